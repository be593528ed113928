package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import storage.LocalCassandra;
import support.ApiClient;
import support.FreePorts;
import support.LiveSocketClient;
import support.LivepollProcess;
import support.Scrape;
import support.TestConfig;

/**
 * What operators rely on, on a real server run as users run it ({@code ./livepoll}, metrics on, JSON logs) against a
 * real Cassandra of the test's own: the Prometheus scrape moves with real ballots, every metric the Grafana dashboard
 * queries is scraped, every output line is JSON, and {@code /ready} follows the database.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OperationsIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Path DASHBOARD = Path.of("cluster-k8s", "grafana", "livepoll-dashboard.json");
  private static final Duration START_TIMEOUT = Duration.ofMinutes(3);
  /** Kamon publishes a snapshot every 10 s (metrics.conf): a value shows within two ticks. */
  private static final Duration SCRAPE_PATIENCE = Duration.ofSeconds(30);
  private static final int BALLOTS = 30;

  @TempDir static Path dir;
  private static LocalCassandra cassandra;
  private static LivepollProcess server;
  private static int httpPort;
  private static int managementPort;
  private static int metricsPort;
  private static ApiClient http;
  private static String pollId;

  @BeforeAll
  static void startServer() throws Exception {
    cassandra = LocalCassandra.start(new LocalCassandra.Config(dir.resolve("cassandra"), FreePorts.next(),
        FreePorts.next(), Path.of("target", "cassandra-node", "lib"), "512m", "batch", Duration.ofMinutes(2)));
    httpPort = FreePorts.next();
    managementPort = FreePorts.next();
    metricsPort = FreePorts.next();
    Map<String, String> env = new HashMap<>();
    env.put("LIVEPOLL_DATA_DIR", dir.resolve("server").toString());
    env.put("LIVEPOLL_HTTP_PORT", Integer.toString(httpPort));
    env.put("LIVEPOLL_REMOTE_PORT", Integer.toString(FreePorts.next()));
    env.put("LIVEPOLL_MANAGEMENT_PORT", Integer.toString(managementPort));
    env.put("LIVEPOLL_METRICS_PORT", Integer.toString(metricsPort));
    env.put("LIVEPOLL_CASSANDRA_CONTACT_POINTS", "127.0.0.1:" + cassandra.contactPoint().getPort());
    env.put("LIVEPOLL_CASSANDRA_KEYSPACE", "operations_it");
    env.put("LIVEPOLL_CASSANDRA_USERNAME", cassandra.credentials().username());
    env.put("LIVEPOLL_CASSANDRA_PASSWORD", cassandra.credentials().password());
    env.put("LIVEPOLL_AUTH_SECRET", TestConfig.AUTH_SECRET);
    env.put("LIVEPOLL_LOG_FORMAT", "json");
    env.put("LIVEPOLL_METRICS_ENABLED", "true");
    // the schema first, as the Kubernetes Job does it, then a server that finds it in place
    Command schema = Command.run(List.of("./livepoll", "schema"), env);
    assertEquals(0, schema.exitCode(), schema.output());
    assertTrue(schema.output().contains("Schema of keyspace operations_it is in place"), schema.output());
    server = LivepollProcess.start("operations", List.of("./livepoll"), env, dir.resolve("server.log"),
        line -> !line.contains("\"level\":\"DEBUG\""));
    awaitReady(server);
    http = new ApiClient(httpPort);
    String organizer = TestConfig.tokens().organizer("operations-it", false);
    pollId = ApiClient.createdId(http.as(organizer).post("/api/polls",
        "{\"question\":\"Metrics?\",\"options\":[\"yes\",\"no\"]}"));
  }

  @AfterAll
  static void stopEverything() {
    if (server != null) {
      server.terminate();
      if (!server.awaitExit(Duration.ofMinutes(2))) {
        server.close();
      }
      server.close();
    }
    if (cassandra != null) {
      cassandra.close();
    }
  }

  @Test
  @Order(1)
  void theScrapeMovesWithRealBallotsSocketsAndRejections() throws Exception {
    Watcher watcher = LiveSocketClient.open(httpPort, pollId, null, new Watcher());
    try {
      for (int voter = 0; voter < BALLOTS; voter++) {
        String token = TestConfig.tokens().newVoter().token();
        ApiClient.Reply ballot = http.as(token).post("/api/polls/" + pollId + "/ballots", "{\"choices\":[0]}");
        assertEquals(200, ballot.status(), ballot.body());
      }
      // one voter changes their mind on a poll that does not allow it (409), then retries past their rate (429)
      String stubborn = TestConfig.tokens().newVoter().token();
      assertEquals(200, http.as(stubborn).post("/api/polls/" + pollId + "/ballots", "{\"choices\":[0]}").status());
      assertEquals(409, http.as(stubborn).post("/api/polls/" + pollId + "/ballots", "{\"choices\":[1]}").status());
      int tooMany = 0;
      for (int i = 0; i < 10; i++) {
        if (http.as(stubborn).post("/api/polls/" + pollId + "/ballots", "{\"choices\":[0]}").status() == 429) {
          tooMany++;
        }
      }
      int limited = tooMany;
      assertTrue(limited > 0, "the voter's ballot rate (burst 5) must have been exceeded");
      assertTrue(watcher.frames.size() > 0, "the watcher got no frame");

      // the sharding figures are sampled once per tick too
      Scrape scrape = awaitScrape(s ->
          s.sum("pekko_cluster_sharding_region_hosted_entities_avg", Map.of("type", "Poll")) >= 1
              && s.sum("pekko_cluster_sharding_region_hosted_shards_avg", Map.of("type", "Poll")) >= 1
              && s.sum("livepoll_ballots_total", Map.of("outcome", "accepted")) >= BALLOTS + 1
              && s.sum("livepoll_ballots_total", Map.of("outcome", "rejected", "reason", "already_voted")) >= 1
              && s.sum("livepoll_ballot_ack_seconds_count") >= BALLOTS + 1
              && s.sum("livepoll_journal_batch_size_count") >= BALLOTS
              && s.sum("livepoll_journal_write_seconds_count") >= BALLOTS
              && s.sum("livepoll_live_frames_total") >= 1
              && s.sum("livepoll_live_sockets") == 1
              && s.sum("livepoll_rate_limited_total", Map.of("limit", "ballots-per-voter")) >= limited
              && s.has("livepoll_projection_lag_seconds", Map.of("projection", "catalogue"))
              && s.has("livepoll_projection_lag_seconds", Map.of("projection", "results")));
      // the ack time is a real duration: all of them took more than nothing, and less than the edge waits at most
      double ackSum = scrape.sum("livepoll_ballot_ack_seconds_sum");
      double acks = scrape.sum("livepoll_ballot_ack_seconds_count");
      assertTrue(ackSum > 0 && ackSum / acks < 20, "mean ack " + ackSum / acks + " s");
      assertTrue(scrape.sum("livepoll_ballot_ack_seconds_bucket", Map.of("le", "+Inf")) == acks);

      // each ballot above was a write of its own (one at a time), each write took a real time
      double writeSum = scrape.sum("livepoll_journal_write_seconds_sum");
      double writes = scrape.sum("livepoll_journal_write_seconds_count");
      assertTrue(writeSum > 0 && writeSum / writes < 20, "mean journal write " + writeSum / writes + " s");

      // Kamon's instrumentation: HTTP server, sharding, the JVM; not actor groups or dispatchers (their timing of
      // every message and task is off unless LIVEPOLL_METRICS_ACTORS is on)
      assertTrue(scrape.sum("http_server_requests_total") >= BALLOTS, "HTTP server requests");
      assertTrue(scrape.sum("pekko_cluster_sharding_region_hosted_entities_avg", Map.of("type", "Poll")) >= 1,
          "sharding: hosted poll entities");
      assertTrue(scrape.sum("pekko_cluster_sharding_region_hosted_shards_avg", Map.of("type", "Poll")) >= 1,
          "sharding: hosted poll shards");
      assertFalse(scrape.names().stream().anyMatch(name -> name.startsWith("executor_")
          || name.startsWith("pekko_group_")), "actor and dispatcher timings are off by default");
      assertTrue(scrape.names().stream().anyMatch(name -> name.startsWith("jvm_memory")), "JVM memory");
      assertFalse(scrape.text().contains(pollId), "a series per poll: " + seriesWith(scrape, pollId));
    } finally {
      watcher.abort();
    }
    awaitScrape(s -> s.sum("livepoll_live_sockets") == 0);
  }

  @Test
  @Order(2)
  void everyMetricTheDashboardQueriesIsScraped() throws Exception {
    JsonNode dashboard = MAPPER.readTree(Files.readString(DASHBOARD));
    assertFalse(dashboard.path("uid").asText().isBlank(), "a stable uid");
    JsonNode datasource = null;
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      if (variable.path("type").asText().equals("datasource")) {
        datasource = variable;
      }
    }
    assertTrue(datasource != null && datasource.path("query").asText().equals("prometheus"),
        "a Prometheus datasource variable");
    String reference = "${" + datasource.path("name").asText() + "}";
    List<String> expressions = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (JsonNode panel : panels(dashboard)) {
      for (JsonNode target : panel.path("targets")) {
        expressions.add(target.path("expr").asText());
        if (!target.path("datasource").path("uid").asText().equals(reference)) {
          problems.add(panel.path("title").asText() + ": a target not on " + reference);
        }
      }
      if (!panel.path("type").asText().equals("row")
          && !panel.path("datasource").path("uid").asText().equals(reference)) {
        problems.add(panel.path("title").asText() + ": the panel is not on " + reference);
      }
    }
    assertEquals(List.of(), problems, "no hard-coded datasource");
    Set<String> queried = new TreeSet<>();
    expressions.forEach(expression -> queried.addAll(metricNames(expression)));
    assertTrue(queried.size() >= 10, "the dashboard queries too little: " + queried);
    Scrape scrape = Scrape.of(metricsPort);
    Set<String> missing = new TreeSet<>(queried);
    missing.removeAll(scrape.names());
    assertEquals(Set.of(), missing, "queried by the dashboard but not scraped (a rename?)");
  }

  @Test
  @Order(3)
  void everyLineTheServerPrintsIsJson() throws Exception {
    List<String> lines = Files.readAllLines(dir.resolve("server.log"));
    assertTrue(lines.size() > 10, "too few lines to judge: " + lines);
    List<String> notJson = new ArrayList<>();
    boolean ready = false;
    for (String line : lines) {
      JsonNode json;
      try {
        json = MAPPER.readTree(line);
      } catch (IOException e) {
        notJson.add(line);
        continue;
      }
      if (!json.isObject() || !json.has("level") || !json.has("loggerName") || !json.has("formattedMessage")
          || !json.has("timestamp")) {
        notJson.add(line);
      }
      ready |= json.path("formattedMessage").asText().startsWith("Livepoll is ready");
    }
    assertEquals(List.of(), notJson, "lines that are not a JSON log event");
    assertTrue(ready, "the ready line is a log event too");
  }

  @Test
  @Order(4)
  void aLogFormatWithoutAnAppenderStopsAtOnceAndSaysWhy() throws Exception {
    Command wrong = Command.run(List.of("./livepoll"), Map.of("LIVEPOLL_LOG_FORMAT", "xml",
        "LIVEPOLL_DATA_DIR", dir.resolve("never-used").toString(), "LIVEPOLL_METRICS_PORT",
        Integer.toString(FreePorts.next())));
    assertEquals(2, wrong.exitCode(), wrong.output());
    assertTrue(wrong.output().contains("LIVEPOLL_LOG_FORMAT must be text or json, not 'xml'"), wrong.output());
    assertFalse(Files.exists(dir.resolve("never-used").resolve("cassandra")), "nothing may have been started");
  }

  /** Last: it stops the database under the server. */
  @Test
  @Order(5)
  void readinessFollowsTheDatabase() throws Exception {
    ApiClient management = new ApiClient(managementPort);
    assertEquals(200, management.get("/ready").status());
    assertEquals(200, management.get("/alive").status());
    cassandra.close();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    ApiClient.Reply ready;
    do {
      Thread.sleep(500);
      ready = management.get("/ready");
    } while (ready.status() == 200 && System.nanoTime() < deadline);
    // Pekko Management answers a readiness check that is not ok with 500; Kubernetes takes any 4xx/5xx as not ready
    assertEquals(500, ready.status(), "not ready without a database: " + ready.body());
    assertTrue(ready.body().contains("com.datastax.oss.driver"), "the database check must be the one that failed: "
        + ready.body());
    System.out.println("OperationsIT: /ready without Cassandra: " + ready.status() + " " + ready.body());
    assertEquals(200, management.get("/alive").status(), "alive all the same: a restart would not help");
  }

  // ------------------------------------------------------------------------------------------------- helpers

  private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring", "group_left",
      "group_right", "offset", "bool", "and", "or", "unless", "inf", "nan");

  /** The metric names in a PromQL expression: identifiers that are not functions, labels, durations or keywords. */
  static Set<String> metricNames(String expression) {
    String bare = expression
        .replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
        .replaceAll("\\{[^}]*}", " ")
        .replaceAll("\\[[^]]*]", " ")
        .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
    Set<String> names = new TreeSet<>();
    Matcher token = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?").matcher(bare);
    while (token.find()) {
      if (token.group(2) == null && !PROMQL_WORDS.contains(token.group(1).toLowerCase())) {
        names.add(token.group(1));
      }
    }
    return names;
  }

  private static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> panels = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      panels.add(panel);
      panel.path("panels").forEach(panels::add);
    }
    return panels;
  }

  private interface ScrapeCondition {
    boolean holds(Scrape scrape);
  }

  private static Scrape awaitScrape(ScrapeCondition condition) throws Exception {
    long deadline = System.nanoTime() + SCRAPE_PATIENCE.toNanos();
    Scrape scrape = Scrape.of(metricsPort);
    while (!condition.holds(scrape)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the scrape did not get there within " + SCRAPE_PATIENCE + "; livepoll_* now:\n"
            + String.join("\n", scrape.text().lines().filter(l -> l.startsWith("livepoll_")).toList()));
      }
      Thread.sleep(1000);
      scrape = Scrape.of(metricsPort);
    }
    return scrape;
  }

  private static List<String> seriesWith(Scrape scrape, String text) {
    return scrape.text().lines().filter(line -> line.contains(text)).limit(5).toList();
  }

  private static void awaitReady(LivepollProcess process) throws InterruptedException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (!process.printed("Livepoll is ready")) {
      if (!process.isAlive()) {
        throw new AssertionError("the server exited before it was ready");
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the server was not ready within " + START_TIMEOUT);
      }
      Thread.sleep(200);
    }
  }

  /** A ./livepoll command run to its end, with its output. */
  private record Command(int exitCode, String output) {
    static Command run(List<String> command, Map<String, String> env) throws Exception {
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
      builder.environment().putAll(env);
      Process process = builder.start();
      try {
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(process.waitFor(2, java.util.concurrent.TimeUnit.MINUTES), "did not end: " + command);
        return new Command(process.exitValue(), output);
      } finally {
        process.destroyForcibly();
      }
    }
  }

  private static final class Watcher extends LiveSocketClient {
    final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();

    @Override
    protected void onFrame(Frame frame) {
      frames.add(frame);
    }
  }
}
