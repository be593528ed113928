package server;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end of a node's actor system, waited for with a bound. Coordinated shutdown's last phase asks the actor system
 * to terminate and gives up after its timeout; without a bound here a node whose termination hangs (an actor or a
 * termination callback that never finishes) would stay alive, downed and useless, until someone kills it. Once the
 * last phase has begun, the actor system gets that phase's timeout plus {@link #MARGIN}; then the threads are logged,
 * so that the cause can be found, and the node exits anyway (non-zero).
 */
final class Termination {
  private static final Logger log = LoggerFactory.getLogger(Termination.class);
  static final Duration MARGIN = Duration.ofSeconds(5);

  private final CompletableFuture<?> terminated;
  private final CompletableFuture<Done> lastPhaseBegun;
  private final Duration patience;

  private Termination(CompletableFuture<?> terminated, CompletableFuture<Done> lastPhaseBegun, Duration patience) {
    this.terminated = terminated;
    this.lastPhaseBegun = lastPhaseBegun;
    this.patience = patience;
  }

  /** Watches {@code system}: call before its coordinated shutdown can start. */
  static Termination of(ActorSystem<?> system) {
    return of(system, MARGIN);
  }

  static Termination of(ActorSystem<?> system, Duration margin) {
    CompletableFuture<Done> begun = new CompletableFuture<>();
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(CoordinatedShutdown.PhaseActorSystemTerminate(), "note-termination-begun", () -> {
      begun.complete(Done.getInstance());
      return CompletableFuture.completedFuture(Done.getInstance());
    });
    Duration phaseTimeout = scala.jdk.javaapi.DurationConverters.toJava(
        shutdown.timeout(CoordinatedShutdown.PhaseActorSystemTerminate()));
    return new Termination(system.getWhenTerminated().toCompletableFuture(), begun, phaseTimeout.plus(margin));
  }

  /**
   * Blocks until the actor system has terminated (true), or until it has not, {@code patience} after coordinated
   * shutdown's last phase began (false, with every thread's stack in the log).
   */
  boolean await() {
    CompletableFuture.anyOf(terminated, lastPhaseBegun).join();
    try {
      terminated.get(patience.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      log.error("the actor system did not terminate within {} of coordinated shutdown's last phase; the node exits "
          + "anyway. Its threads:\n{}", patience, threadDump());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return true;
    }
  }

  private static String threadDump() {
    StringBuilder dump = new StringBuilder();
    for (ThreadInfo thread : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
      dump.append('"').append(thread.getThreadName()).append("\" ").append(thread.getThreadState());
      if (thread.getLockName() != null) {
        dump.append(" on ").append(thread.getLockName());
      }
      if (thread.getLockOwnerName() != null) {
        dump.append(" owned by \"").append(thread.getLockOwnerName()).append('"');
      }
      dump.append('\n');
      for (StackTraceElement frame : thread.getStackTrace()) {
        dump.append("    at ").append(frame).append('\n');
      }
    }
    return dump.toString();
  }
}
