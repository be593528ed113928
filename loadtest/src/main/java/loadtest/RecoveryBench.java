package loadtest;

import actors.Poll;
import actors.PollDraft;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import server.LivepollServer;

/**
 * How long a poll with many voters takes to recover, and how much heap it holds: writes {@code --voters} ballots
 * into one poll through a node in this JVM (on a Cassandra node of its own in a temporary directory, or on
 * LIVEPOLL_CASSANDRA_CONTACT_POINTS), stops the node, starts it again and times the first read, which replays the
 * poll's journal. Figures, not a test.
 *
 * <pre>./livepoll bench-recovery [--voters 1000000] [--in-flight 2000] [--max-batch 1000]</pre>
 */
public final class RecoveryBench {
  private RecoveryBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = BenchSupport.parse(args);
    int voters = Integer.parseInt(options.getOrDefault("voters", "1000000"));
    int inFlight = Integer.parseInt(options.getOrDefault("in-flight", "2000"));
    int maxBatch = Integer.parseInt(options.getOrDefault("max-batch", "1000"));
    Path dir = Files.createTempDirectory("livepoll-recovery-bench");
    // the node starts its own Cassandra in the temporary directory, unless contact points are configured
    Config config = ConfigFactory.parseString("""
            livepoll.cassandra.keyspace = recovery_bench
            livepoll.cassandra.local.port = 29142
            livepoll.data-dir = "%s"
            livepoll.http.port = 0
            livepoll.remote.port = 0
            livepoll.management.port = 0
            livepoll.read-side.enabled = off
            livepoll.poll.max-batch = %d
            livepoll.poll.max-queued = %d
            pekko.coordinated-shutdown.exit-jvm = off
            pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
            pekko.loglevel = WARNING
            """.formatted(dir, maxBatch, inFlight * 2))
        // before substitutions: the journal's keyspace and the rest follow livepoll.*
        .withFallback(ConfigFactory.defaultApplication());
    config = ConfigFactory.load(config);
    {
      LivepollServer writer = LivepollServer.start(config);
      String pollId = ((Poll.Accepted) writer.polls().create(new PollDraft("Which of these?",
          List.of("a", "b", "c", "d"), null, null, false, null, null, "bench")).toCompletableFuture()
          .get(30, TimeUnit.SECONDS)).poll().id();
      long start = System.nanoTime();
      Semaphore permits = new Semaphore(inFlight);
      for (int v = 0; v < voters; v++) {
        permits.acquire();
        writer.polls().castBallot(pollId, "voter-" + v, List.of(v % 4), null)
            .whenComplete((reply, failure) -> permits.release());
        if ((v + 1) % (voters / 10) == 0) {
          System.out.printf("  %d ballots sent after %.1f s%n", v + 1, (System.nanoTime() - start) / 1e9);
        }
      }
      permits.acquire(inFlight);
      Poll.Accepted written = (Poll.Accepted) writer.polls().get(pollId).toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
      System.out.printf("wrote %d ballots in %.1f s as %d events (%.0f ballots a write)%n",
          written.poll().totalBallots(), (System.nanoTime() - start) / 1e9, written.poll().version() - 1,
          written.poll().totalBallots() / (double) (written.poll().version() - 1));
      writer.stop();

      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      LivepollServer reader = LivepollServer.start(config);
      long heapBefore = heapAfterGc(memory);
      long recovering = System.nanoTime();
      Poll.Accepted recovered = (Poll.Accepted) reader.polls().get(pollId).toCompletableFuture()
          .get(5, TimeUnit.MINUTES);
      double seconds = (System.nanoTime() - recovering) / 1e9;
      long heapWith = heapAfterGc(memory);
      System.out.printf("recovered %d voters (version %d) in %.1f s; heap with the poll: %.0f MB more "
              + "(%.0f bytes a voter)%n", recovered.poll().totalBallots(), recovered.poll().version(), seconds,
          (heapWith - heapBefore) / 1e6, (heapWith - heapBefore) / (double) recovered.poll().totalBallots());
      // a voter's ballot is still known after recovery: the same ballot again writes nothing
      Poll.Accepted again = (Poll.Accepted) reader.polls().castBallot(pollId, "voter-7", List.of(3), null)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      System.out.println("a recorded voter's ballot again is acknowledged at the same version: "
          + (again.poll().version() == recovered.poll().version()));
      reader.stop();
    }
    System.exit(0);
  }

  private static long heapAfterGc(MemoryMXBean memory) {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
