package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.FreePorts;
import support.ApiClient;
import support.LivepollProcess;

/**
 * Runs {@code ./livepoll} exactly as a user does: the launcher script, the shaded jar, a local Cassandra child JVM.
 * Ballots acknowledged before a SIGTERM are all there after the next start on the same data directory; a stop after
 * the database died says so. One test, because each start of the launcher starts a Cassandra of its own (most of
 * this class's time).
 */
class LauncherIT {
  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);

  @TempDir Path dataDir;
  private final List<LivepollProcess> started = new ArrayList<>();

  @AfterEach
  void stopEverything() {
    started.forEach(LivepollProcess::close);
  }

  @Test
  void acknowledgedBallotsSurviveARestartOfTheWholeServerAndAStopAfterTheDatabaseDiedSaysSo() throws Exception {
    Map<String, String> env = env();
    ApiClient http = new ApiClient(Integer.parseInt(env.get("LIVEPOLL_HTTP_PORT")));
    LivepollProcess first = launch(env);
    // a new user's first start: the local node's login is created without a refused login logged on the way
    assertFalse(first.printed("Authentication error"), "the first start printed a refused login");
    String organizerToken = tokenFromTheCommandLine(env);
    String pollId = ApiClient.createdId(http.as(organizerToken).post("/api/polls",
        "{\"question\":\"Lunch?\",\"options\":[\"pizza\",\"salad\",\"soup\"]}"));
    long[] acknowledged = new long[3];
    for (int voter = 0; voter < 60; voter++) {
      int choice = voter % 3;
      String voterToken = http.post("/api/voters", "").json().get("token").asText();
      ApiClient.Reply ballot = http.as(voterToken).post("/api/polls/" + pollId + "/ballots",
          "{\"choices\":[" + choice + "]}");
      assertEquals(200, ballot.status(), ballot.body());
      acknowledged[choice]++;
    }
    String key = java.util.UUID.randomUUID().toString();
    String keyedPoll = "{\"question\":\"Created once?\",\"options\":[\"yes\",\"no\"]}";
    ApiClient.Reply keyed = http.as(organizerToken).postWithKey("/api/polls", key, keyedPoll);
    assertEquals(201, keyed.status(), keyed::toString);
    String before = http.get("/api/polls/" + pollId).body();
    long cassandraPid = cassandraPid(first);

    stop(first);
    assertFalse(ProcessHandle.of(cassandraPid).map(ProcessHandle::isAlive).orElse(false),
        "the server's Cassandra child must stop with it");

    LivepollProcess second = launch(env);
    assertFalse(second.printed("Authentication error"), "the restart printed a refused login");
    ApiClient.Reply keyedAgain = http.as(organizerToken).postWithKey("/api/polls", key, keyedPoll);
    assertEquals(201, keyedAgain.status(), keyedAgain::toString);
    assertEquals(ApiClient.createdId(keyed), ApiClient.createdId(keyedAgain),
        "a creation repeated with its Idempotency-Key after a restart names the poll created before it");
    ApiClient.Reply after = http.get("/api/polls/" + pollId);
    assertEquals(200, after.status());
    assertEquals(before, after.body(), "the poll after the restart is exactly the poll before it");
    for (int option = 0; option < 3; option++) {
      assertTrue(after.body().contains("\"index\":" + option + ",\"label\":\"" + List.of("pizza", "salad", "soup")
          .get(option) + "\",\"votes\":" + acknowledged[option]), after.body());
    }
    aShutdownThatFailsExitsNonZeroWithTheReasonOnTheLastLine(second);
  }

  /**
   * A stop that fails says so: the server's database died under it (kill -9 of its Cassandra child), so the SIGTERM
   * that follows ends with a non-zero status and the reason on the last line.
   */
  private static void aShutdownThatFailsExitsNonZeroWithTheReasonOnTheLastLine(LivepollProcess server) {
    long cassandraPid = cassandraPid(server);
    ProcessHandle cassandra = ProcessHandle.of(cassandraPid).orElseThrow();
    cassandra.destroyForcibly();
    cassandra.onExit().join();
    server.terminate();
    assertTrue(server.awaitExit(Duration.ofMinutes(2)), "./livepoll did not stop after SIGTERM");
    String last = server.lastLine();
    System.out.printf("LauncherIT: SIGTERM after the database died: exit status %d, last line: %s%n",
        server.exitStatus(), last);
    assertEquals(Exit.SHUTDOWN_FAILED, server.exitStatus(), "exit status of a failed shutdown");
    assertTrue(last.startsWith("Livepoll stopped with an error: Cassandra (pid " + cassandraPid + ")"), last);
  }

  private Map<String, String> env() {
    return Map.of(
        "LIVEPOLL_DATA_DIR", dataDir.resolve("data").toString(),
        "LIVEPOLL_HTTP_PORT", Integer.toString(FreePorts.next()),
        "LIVEPOLL_REMOTE_PORT", Integer.toString(FreePorts.next()),
        "LIVEPOLL_MANAGEMENT_PORT", Integer.toString(FreePorts.next()),
        "LIVEPOLL_METRICS_PORT", Integer.toString(FreePorts.next()),
        "LIVEPOLL_CASSANDRA_PORT", Integer.toString(FreePorts.next()),
        "LIVEPOLL_CASSANDRA_STORAGE_PORT", Integer.toString(FreePorts.next()),
        "LIVEPOLL_CASSANDRA_HEAP", "512m",
        // sixty voters sign up from one address within a second
        "LIVEPOLL_LIMIT_VOTERS_BURST", "100");
  }

  /** {@code ./livepoll token organizer}, run with the server's environment, prints the token on its last line. */
  private static String tokenFromTheCommandLine(Map<String, String> env) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder("./livepoll", "token", "organizer", "launcher-it");
    builder.environment().putAll(env);
    builder.redirectError(ProcessBuilder.Redirect.INHERIT);
    Process process = builder.start();
    List<String> lines = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "./livepoll token did not finish");
    assertEquals(0, process.exitValue(), "./livepoll token failed: " + lines);
    return lines.get(lines.size() - 1);
  }

  private static long cassandraPid(LivepollProcess server) {
    return server.process().descendants()
        .filter(child -> child.info().commandLine().orElse("").contains("cassandranode.CassandraNode"))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no Cassandra child process"))
        .pid();
  }

  private LivepollProcess launch(Map<String, String> env) {
    LivepollProcess server = LivepollProcess.start("livepoll", List.of("./livepoll"), env,
        dataDir.resolve("livepoll-" + started.size() + ".log"), line -> true);
    started.add(server);
    server.awaitLine("Livepoll is ready", START_TIMEOUT);
    return server;
  }

  /** SIGTERM: coordinated shutdown, then the local Cassandra stops; a clean stop exits 0 and says so last. */
  private static void stop(LivepollProcess server) {
    server.terminate();
    assertTrue(server.awaitExit(Duration.ofMinutes(2)), "./livepoll did not stop after SIGTERM");
    assertEquals(0, server.exitStatus(), "exit status after SIGTERM; last line: " + server.lastLine());
    assertTrue(server.lastLine().startsWith("Livepoll stopped cleanly"), server.lastLine());
  }
}
