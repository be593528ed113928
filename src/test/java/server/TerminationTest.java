package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.junit.jupiter.api.Test;

/**
 * A node whose actor system does not finish terminating still ends: {@link Termination} waits coordinated
 * shutdown's last phase plus a margin, then lets {@link Main} exit non-zero. Real actor systems; the hang is a
 * termination callback that blocks until the test releases it.
 */
class TerminationTest {

  private static ActorSystem<Void> system() {
    return ActorSystem.create(Behaviors.empty(), "termination", ConfigFactory.parseString("""
        pekko.coordinated-shutdown.phases.actor-system-terminate.timeout = 1s
        pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
        pekko.actor.provider = local
        """).withFallback(ConfigFactory.load()));
  }

  @Test
  void aSystemThatTerminatesIsReportedAsTerminated() {
    ActorSystem<Void> system = system();
    Termination termination = Termination.of(system, Duration.ofMillis(500));
    CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
    assertTrue(termination.await());
    assertTrue(system.getWhenTerminated().toCompletableFuture().isDone());
  }

  @Test
  void aSystemWhoseTerminationHangsIsGivenUpOnAfterTheLastPhaseAndTheMargin() throws Exception {
    ActorSystem<Void> system = system();
    CountDownLatch release = new CountDownLatch(1);
    system.classicSystem().registerOnTermination(() -> {
      try {
        release.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    try {
      Termination termination = Termination.of(system, Duration.ofMillis(500));
      long start = System.nanoTime();
      CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.clusterDowningReason());
      assertFalse(termination.await(), "the actor system cannot terminate while its callback blocks");
      long waitedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(waitedMs >= 1_500 && waitedMs < 20_000, "waited the phase's 1 s and the 0.5 s margin: " + waitedMs);
      assertFalse(system.getWhenTerminated().toCompletableFuture().isDone());
    } finally {
      release.countDown();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void anUnfinishedTerminationMakesEvenACleanStopExitNonZero() {
    Exit clean = Exit.of(Optional.of(Exit.Signalled.INSTANCE), MemberStatus.removed(), Optional.empty(), true);
    assertEquals(0, clean.status());
    Exit unfinished = Exit.of(Optional.of(Exit.Signalled.INSTANCE), MemberStatus.removed(), Optional.empty(), false);
    assertEquals(Exit.SHUTDOWN_FAILED, unfinished.status());
    assertTrue(unfinished.reason().contains("did not finish terminating"), unfinished.reason());
    Exit downed = Exit.of(Optional.of(CoordinatedShutdown.clusterDowningReason()), MemberStatus.down(),
        Optional.empty(), false);
    assertEquals(Exit.SHUTDOWN_FAILED, downed.status());
    assertTrue(downed.reason().contains("downed by the cluster") && downed.reason().contains("did not finish"),
        downed.reason());
  }
}
