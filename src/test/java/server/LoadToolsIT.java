package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.FreePorts;
import support.LivepollProcess;

/**
 * The load tools of the loadtest/ module, run as a user runs them against a server started by {@code ./livepoll}:
 * {@code ./livepoll bench} (the drivers' jar with the server's jar on its class path) and {@code ./livepoll gatling}
 * (the Gatling suite, a class path of its own). Short and slow on purpose: this proves that they work and check what
 * they claim (bench fails when an acknowledged ballot is missing, Gatling when more than 1% of requests fail), not
 * how fast anything is.
 */
class LoadToolsIT {
  @TempDir static Path dataDir;
  private static final List<LivepollProcess> started = new ArrayList<>();
  private static Map<String, String> env;
  private static String url;

  @BeforeAll
  static void startServer() {
    Map<String, String> settings = new HashMap<>(Map.of(
        "LIVEPOLL_DATA_DIR", dataDir.resolve("data").toString(),
        "LIVEPOLL_HTTP_PORT", Integer.toString(FreePorts.next()),
        "LIVEPOLL_REMOTE_PORT", Integer.toString(FreePorts.next()),
        "LIVEPOLL_MANAGEMENT_PORT", Integer.toString(FreePorts.next()),
        "LIVEPOLL_METRICS_PORT", Integer.toString(FreePorts.next()),
        "LIVEPOLL_CASSANDRA_PORT", Integer.toString(FreePorts.next()),
        "LIVEPOLL_CASSANDRA_STORAGE_PORT", Integer.toString(FreePorts.next()),
        "LIVEPOLL_CASSANDRA_HEAP", "512m"));
    // one load driver signs every voter up from one address
    for (String limit : List.of("REQUESTS", "VOTERS", "BALLOTS")) {
      settings.put("LIVEPOLL_LIMIT_" + limit + "_PER_SECOND", "100000");
      settings.put("LIVEPOLL_LIMIT_" + limit + "_BURST", "100000");
    }
    env = Map.copyOf(settings);
    url = "http://127.0.0.1:" + env.get("LIVEPOLL_HTTP_PORT");
    LivepollProcess server = run("livepoll", List.of("./livepoll"));
    server.awaitLine("Livepoll is ready", Duration.ofMinutes(3));
  }

  @AfterAll
  static void stopEverything() {
    started.forEach(LivepollProcess::close);
  }

  @Test
  void benchVotesAndChecksEveryAcknowledgedBallot() {
    LivepollProcess bench = run("bench", List.of("./livepoll", "bench", "--url", url, "--polls", "2",
        "--concurrency", "4", "--warmup", "1", "--seconds", "3", "--watchers", "2"));
    assertTrue(bench.awaitExit(Duration.ofMinutes(3)), "./livepoll bench did not finish");
    assertEquals(0, bench.process().exitValue(), "./livepoll bench failed (see its output above)");
    assertTrue(bench.printed("ballots/s"), "bench printed no throughput");
    // it read the polls' read models during the window and timed them against the acknowledged ballots
    assertTrue(bench.printed("results (stats) (ms): p50"), "bench printed no read-model lag");
    assertTrue(bench.printed("catalogue (ms): p50"), "bench printed no catalogue lag");
  }

  @Test
  void gatlingRunsTheSuiteAndWritesItsReport() throws IOException {
    Path reports = Path.of("loadtest/gatling/target/gatling");
    List<Path> before = reportsIn(reports);
    LivepollProcess gatling = run("gatling", List.of("./livepoll", "gatling", "-Dlivepoll.url=" + url,
        "-Dlivepoll.organizerToken=" + organizerToken(), "-Dlivepoll.polls=2", "-Dlivepoll.seconds=5",
        "-Dlivepoll.watchers=10", "-Dlivepoll.restVotersPerSecond=5", "-Dlivepoll.socketVotersPerSecond=2"));
    assertTrue(gatling.awaitExit(Duration.ofMinutes(5)), "./livepoll gatling did not finish");
    assertEquals(0, gatling.process().exitValue(), "the Gatling run failed (see its output above)");
    List<Path> written = new ArrayList<>(reportsIn(reports));
    written.removeAll(before);
    assertEquals(1, written.size(), "one new report: " + written);
    assertTrue(Files.isRegularFile(written.get(0).resolve("index.html")), "no index.html in " + written.get(0));
  }

  private static String organizerToken() {
    LivepollProcess token = run("token", List.of("./livepoll", "token", "organizer", "load-tools-it"));
    assertTrue(token.awaitExit(Duration.ofMinutes(1)), "./livepoll token did not finish");
    assertEquals(0, token.process().exitValue(), "./livepoll token failed");
    return token.awaitLine("eyJ", Duration.ofSeconds(5)).trim();
  }

  private static List<Path> reportsIn(Path folder) throws IOException {
    if (!Files.isDirectory(folder)) {
      return List.of();
    }
    try (Stream<Path> entries = Files.list(folder)) {
      return entries.filter(Files::isDirectory).toList();
    }
  }

  private static LivepollProcess run(String name, List<String> command) {
    LivepollProcess process = LivepollProcess.start(name, command, env,
        dataDir.resolve(name + "-" + started.size() + ".log"), line -> true);
    started.add(process);
    return process;
  }
}
