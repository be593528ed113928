package cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.ApiClient;
import support.Views;

/**
 * The soak run: three Livepoll nodes on three Cassandra nodes (replication 3) take ballots at a steady rate for
 * {@code -Dsoak.minutes} (30), and every {@code -Dsoak.sample-seconds} (60) each server's heap after a full GC,
 * threads and open file descriptors, and the Cassandra nodes' disk, are printed. At the end it says whether they
 * stayed flat after the warm-up (the first third of the run) and checks that every acknowledged ballot is counted.
 *
 * <p>Not part of {@code mvn verify} (its name does not end in IT); run it on request:
 * {@code mvn -o verify -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=SoakRun -Dsoak.minutes=30}.
 */
class SoakRun {
  private static final int POLLS = 12;
  private static final int OPTIONS = 3;
  /** Voters in the crowd and their pause between ballots: a steady, moderate rate (tens of ballots/s). */
  private static final int VOTERS = Integer.getInteger("soak.voters", 6);
  private static final Duration PAUSE = Duration.ofMillis(Long.getLong("soak.pause-millis", 100));
  /** Growth after warm-up still called flat: heap after GC, threads, descriptors. */
  private static final double HEAP_TOLERANCE = 0.15;
  private static final int COUNT_TOLERANCE = 8;

  @TempDir Path dataDir;

  /** One sample of one server node. */
  record NodeSample(String node, long heapAfterGcBytes, int threads, int fileDescriptors) {}

  record Sample(long elapsedSeconds, long ballots, List<NodeSample> nodes, long cassandraDiskBytes) {}

  @Test
  void resourcesStayFlatUnderASteadyLoad() {
    Duration length = Duration.ofMinutes(Long.getLong("soak.minutes", 30));
    Duration every = Duration.ofSeconds(Long.getLong("soak.sample-seconds", 60));
    Path logs = Path.of("target", "multi-jvm", "SoakRun");
    try (TestCluster cluster = TestCluster.startCassandraRing(logs, dataDir.resolve("cassandra"), "soak", 3)) {
      for (int i = 1; i <= 3; i++) {
        cluster.addNode("node" + i, ServerNode.Placement.loopback(), cluster.serverEnv());
      }
      cluster.startAll("1.0.0");
      List<String> polls = cluster.createPolls(POLLS, OPTIONS);
      List<Sample> samples = new ArrayList<>();
      long start = System.nanoTime();
      VoterCrowd crowd = new VoterCrowd(polls, OPTIONS, cluster.nodes, VOTERS, PAUSE, stopped -> { });
      try (crowd) {
        System.out.printf("soak: %d min at %d voters pausing %d ms, a sample every %d s%n", length.toMinutes(),
            VOTERS, PAUSE.toMillis(), every.toSeconds());
        System.out.println("soak: elapsed_s ballots  [node heap_after_gc_MiB threads fds]...  cassandra_disk_MiB");
        while (true) {
          Sample sample = sample(cluster, crowd, start);
          samples.add(sample);
          System.out.println("soak: " + format(sample));
          if (Duration.ofNanos(System.nanoTime() - start).plus(every).compareTo(length) > 0) {
            break;
          }
          TestCluster.sleep(every.toMillis());
        }
      }
      System.out.println("soak: " + crowd.summary());
      System.out.println("soak: " + verdict(samples));
      assertEquals(List.of(), crowd.givenUp(), "ballots never acknowledged");
      assertEquals(List.of(), crowd.wrongAnswers(), "wrong answers");
      for (String poll : polls) {
        ApiClient.Reply reply = cluster.nodes.get(0).api().get("/api/polls/" + poll);
        assertEquals(crowd.acknowledged(poll), Views.votes(reply.json()), "counts of " + poll);
      }
      assertTrue(samples.size() >= 2, "at least two samples");
    }
  }

  private static Sample sample(TestCluster cluster, VoterCrowd crowd, long start) {
    List<NodeSample> nodes = new ArrayList<>();
    for (ServerNode node : cluster.nodes) {
      long pid = node.process().pid();
      nodes.add(new NodeSample(node.name, heapAfterGc(pid), threads(pid), fileDescriptors(pid)));
    }
    long disk = cluster.databases.stream().mapToLong(database -> directorySize(database.dataDir)).sum();
    return new Sample(Duration.ofNanos(System.nanoTime() - start).toSeconds(), crowd.ballots(), nodes, disk);
  }

  private static String format(Sample sample) {
    StringBuilder line = new StringBuilder(String.format("%6d %8d ", sample.elapsedSeconds(), sample.ballots()));
    for (NodeSample node : sample.nodes()) {
      line.append(String.format(" [%s %5.1f %4d %5d]", node.node(), node.heapAfterGcBytes() / 1048576.0,
          node.threads(), node.fileDescriptors()));
    }
    return line.append(String.format("  %7.1f", sample.cassandraDiskBytes() / 1048576.0)).toString();
  }

  /** Compares the first sample after warm-up (a third of the run) with the last one. */
  static String verdict(List<Sample> samples) {
    Sample warm = samples.get(Math.min(samples.size() - 1, samples.size() / 3));
    Sample last = samples.get(samples.size() - 1);
    List<String> findings = new ArrayList<>();
    boolean flat = true;
    for (int i = 0; i < warm.nodes().size(); i++) {
      NodeSample from = warm.nodes().get(i);
      NodeSample to = last.nodes().get(i);
      double heapGrowth = (to.heapAfterGcBytes() - from.heapAfterGcBytes()) / (double) from.heapAfterGcBytes();
      boolean nodeFlat = heapGrowth <= HEAP_TOLERANCE
          && Math.abs(to.threads() - from.threads()) <= COUNT_TOLERANCE
          && Math.abs(to.fileDescriptors() - from.fileDescriptors()) <= COUNT_TOLERANCE;
      flat &= nodeFlat;
      findings.add(String.format("%s heap after GC %+.1f%% (%.1f -> %.1f MiB), threads %d -> %d, fds %d -> %d",
          from.node(), heapGrowth * 100, from.heapAfterGcBytes() / 1048576.0, to.heapAfterGcBytes() / 1048576.0,
          from.threads(), to.threads(), from.fileDescriptors(), to.fileDescriptors()));
    }
    long ballots = last.ballots() - warm.ballots();
    long disk = last.cassandraDiskBytes() - warm.cassandraDiskBytes();
    findings.add(String.format("Cassandra disk %.1f -> %.1f MiB (%s bytes per ballot over 3 replicas)",
        warm.cassandraDiskBytes() / 1048576.0, last.cassandraDiskBytes() / 1048576.0,
        ballots == 0 ? "-" : Long.toString(disk / ballots)));
    return (flat ? "FLAT after warm-up (" : "NOT FLAT after warm-up (") + "from " + warm.elapsedSeconds() + " s to "
        + last.elapsedSeconds() + " s): " + String.join("; ", findings);
  }

  /** Heap in use right after a full GC ({@code jcmd GC.run}, then {@code jstat -gc}: survivors, eden, old). */
  private static long heapAfterGc(long pid) {
    run("jcmd", Long.toString(pid), "GC.run");
    List<String> lines = run("jstat", "-gc", Long.toString(pid));
    String[] names = lines.get(0).trim().split("\\s+");
    String[] values = lines.get(1).trim().split("\\s+");
    double usedKb = 0;
    for (int i = 0; i < names.length; i++) {
      if (List.of("S0U", "S1U", "EU", "OU").contains(names[i])) {
        usedKb += Double.parseDouble(values[i]);
      }
    }
    return (long) (usedKb * 1024);
  }

  private static int threads(long pid) {
    try {
      return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
          .filter(line -> line.startsWith("Threads:"))
          .mapToInt(line -> Integer.parseInt(line.substring("Threads:".length()).trim()))
          .findFirst().orElse(-1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int fileDescriptors(long pid) {
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return (int) fds.count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long directorySize(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(file -> {
        try {
          return Files.size(file);
        } catch (IOException vanished) {
          return 0; // compaction removed it meanwhile
        }
      }).sum();
    } catch (IOException | UncheckedIOException e) {
      return -1;
    }
  }

  private static List<String> run(String... command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      List<String> lines = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
          .toList();
      process.waitFor();
      return lines;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
