package server;

import static support.ApiAssertions.assertProblem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import auth.Tokens;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.javadsl.ProjectionManagement;
import readside.ReadSide;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import support.ApiClient;
import support.FreePorts;
import support.RealServer;
import support.TestConfig;

/**
 * The read side on a real Cassandra 5 node: events flow into the catalogue and results read models, a paused
 * projection resumes from its offset (also across a restart), replays change nothing, a rebuild from zero gives
 * identical read models, and catalogue pages never skip or repeat a poll while new ones are created. Also the
 * read API's own rules: who may read what, and 400s for bad parameters.
 */
class ReadSideIT {
  private static final Tokens TOKENS = TestConfig.tokens();
  private static final Duration CATCH_UP = Duration.ofSeconds(30);
  private static final String OPERATOR_PASSWORD = "it-operator";
  private static final String POLL = "{\"question\":\"Q?\",\"options\":[\"a\",\"=b\",\"c\"],\"allowVoteChange\":true}";

  @RegisterExtension static final RealServer servers = new RealServer("read_side_it");
  private static LivepollServer server;
  private static int managementPort;
  private static ApiClient api;
  private static ApiClient alice;
  private static ApiClient bob;
  private static ApiClient admin;
  private static final HttpClient OPERATOR = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    managementPort = FreePorts.next();
    startServer();
  }

  private static void startServer() {
    startServer("");
  }

  private static void startServer(String extraConfig) {
    server = servers.start("""
        livepoll.management.port = %d
        livepoll.management.operator-password = "%s"
        """.formatted(managementPort, OPERATOR_PASSWORD) + extraConfig);
    api = new ApiClient(server.httpPort());
    alice = api.as(TOKENS.organizer("alice", false));
    bob = api.as(TOKENS.organizer("bob", false));
    admin = api.as(TOKENS.organizer("root", true));
  }

  // ------------------------------------------------------------------------------------------------- read models

  @Test
  void everyEventReachesTheCatalogueTheTimelineTheStatsAndTheExport() {
    String id = newPoll(alice, POLL);
    String v1 = TOKENS.newVoter().token();
    String v2 = TOKENS.newVoter().token();
    vote(v1, id, 0);
    vote(v2, id, 1);
    vote(TOKENS.newVoter().token(), id, 1);
    vote(v1, id, 2); // a change
    assertEquals(200, api.as(v2).delete("/api/polls/" + id + "/ballots/me").status());
    vote(v2, id, 0); // a returning voter
    JsonNode poll = json(alice.post("/api/polls/" + id + "/close", ""), 200);
    long version = poll.get("version").asLong();

    JsonNode stats = awaitSeq(() -> alice.get("/api/polls/" + id + "/stats"), version);
    assertEquals(3, stats.get("uniqueVoters").asLong(), stats::toString);
    assertEquals(4, stats.get("ballotsCast").asLong(), stats::toString);
    assertEquals(1, stats.get("ballotsChanged").asLong(), stats::toString);
    assertEquals(1, stats.get("ballotsRetracted").asLong(), stats::toString);
    assertEquals(6, stats.get("peakBucket").get("ballots").asLong() + otherMinutes(id, stats), stats::toString);
    assertTrue(stats.get("firstBallotAt").isTextual() && stats.get("lastBallotAt").isTextual(), stats::toString);
    // Cassandra keeps timestamps to the millisecond
    assertEquals(Instant.parse(poll.get("closedAt").asText()).truncatedTo(ChronoUnit.MILLIS),
        Instant.parse(stats.get("asOf").asText()), "asOf is the time of the newest event");

    JsonNode item = awaitItem(alice, id, version);
    assertEquals("closed", item.get("status").asText());
    assertEquals(3, item.get("totalBallots").asLong());
    assertEquals("Q?", item.get("question").asText());
    assertEquals(Instant.parse(poll.get("createdAt").asText()).truncatedTo(ChronoUnit.MILLIS),
        Instant.parse(item.get("createdAt").asText()));

    JsonNode timeline = json(alice.get("/api/polls/" + id + "/timeline?bucket=1d"), 200);
    assertEquals(1, timeline.get("buckets").size(), timeline::toString);
    JsonNode day = timeline.get("buckets").get(0);
    assertEquals(List.of(4L, 1L, 1L), List.of(day.get("cast").asLong(), day.get("changed").asLong(),
        day.get("retracted").asLong()));
    List<Long> castPerOption = new ArrayList<>();
    day.get("options").forEach(option -> castPerOption.add(option.get("cast").asLong()));
    assertEquals(List.of(2L, 2L, 0L), castPerOption, timeline::toString);
    assertEquals(1, day.get("options").get(0).get("changedFrom").asLong());
    assertEquals(1, day.get("options").get(2).get("changedTo").asLong());
    assertEquals(1, day.get("options").get(1).get("retracted").asLong());

    ApiClient.Reply csv = alice.get("/api/polls/" + id + "/export.csv");
    assertEquals(200, csv.status(), csv::toString);
    assertEquals("text/csv", csv.mediaType());
    List<String> lines = csv.body().lines().toList();
    assertEquals("section,round,minute,option,label,votes,points,cast,changed_to,changed_from,retracted",
        lines.get(0));
    assertEquals(List.of("final,1,,0,\"a\",1,,,,,", "final,1,,1,\"'=b\",1,,,,,", "final,1,,2,\"c\",1,,,,,"),
        lines.subList(1, 4), "final counts come from the poll itself; a label never reads as a formula");
    assertTrue(lines.stream().anyMatch(line -> line.startsWith("timeline,1,")), csv::body);
    assertTrue(csv.header("content-disposition").orElse("").contains("poll-" + id + ".csv"));
  }

  /** Ballots in minutes other than the peak one, for a run that crosses a minute boundary. */
  private long otherMinutes(String id, JsonNode stats) {
    JsonNode minutes = json(alice.get("/api/polls/" + id + "/timeline?bucket=1m"), 200).get("buckets");
    long all = 0;
    for (JsonNode minute : minutes) {
      all += minute.get("cast").asLong() + minute.get("changed").asLong() + minute.get("retracted").asLong();
    }
    return all - stats.get("peakBucket").get("ballots").asLong();
  }

  @Test
  void aPausedProjectionResumesFromItsOffsetAlsoAfterARestart() {
    String id = newPoll(alice, POLL);
    long version = vote(TOKENS.newVoter().token(), id, 0).get("version").asLong();
    awaitSeq(() -> alice.get("/api/polls/" + id + "/stats"), version);

    assertEquals(200, operator("POST", "/projections/results/pause").statusCode());
    long latest = 0;
    for (int i = 0; i < 5; i++) {
      latest = vote(TOKENS.newVoter().token(), id, 1).get("version").asLong();
    }
    sleep(Duration.ofSeconds(2));
    JsonNode paused = json(alice.get("/api/polls/" + id + "/stats"), 200);
    assertEquals(version, paused.get("seq").asLong(), "a paused projection applies nothing: " + paused);
    assertEquals(1, paused.get("ballotsCast").asLong());

    // the pause is stored: a restarted node keeps the projection paused
    servers.stop(server);
    startServer();
    sleep(Duration.ofSeconds(2));
    assertEquals(version, json(alice.get("/api/polls/" + id + "/stats"), 200).get("seq").asLong());
    assertTrue(status("results").stream().allMatch(instance -> instance.get("paused").asBoolean()));

    assertEquals(200, operator("POST", "/projections/results/resume").statusCode());
    JsonNode resumed = awaitSeq(() -> alice.get("/api/polls/" + id + "/stats"), latest);
    assertEquals(6, resumed.get("ballotsCast").asLong(), resumed::toString);
    assertEquals(6, resumed.get("uniqueVoters").asLong(), resumed::toString);
  }

  /**
   * A node restarted with fewer change logs: what the dropped logs recorded last, and no projection read before the
   * stop, still reaches the read models (here the dropped slices' projections are paused, so that it is certainly
   * unread). Without the start's look for dropped slices, the poll's models would stay behind until its next ballot.
   */
  @Test
  void recordsLeftInDroppedChangeLogsStillReachTheReadModels() throws Exception {
    servers.stop(server);
    startServer("livepoll.changes.slices = 4");
    // a voted poll in each of the 4 slices, so that every instance of both models has an offset before the stop
    Map<Integer, String> pollBySlice = new java.util.TreeMap<>();
    Map<Integer, Long> versionBySlice = new java.util.TreeMap<>();
    while (pollBySlice.size() < 4) {
      String id = newPoll(alice, POLL);
      int slice = actors.PollChanges.sliceOf(id, 4);
      if (pollBySlice.putIfAbsent(slice, id) == null) {
        long version = vote(TOKENS.newVoter().token(), id, 0).get("version").asLong();
        versionBySlice.put(slice, version);
        awaitSeq(() -> alice.get("/api/polls/" + id + "/stats"), version);
        awaitItem(alice, id, version);
      }
    }
    ProjectionManagement management = ProjectionManagement.get(server.system());
    for (int slice = 2; slice < 4; slice++) {
      for (String name : List.of("catalogue", "results-by-round")) {
        management.pause(ProjectionId.of(name, "slice-" + slice)).toCompletableFuture().get();
      }
    }
    Map<Integer, Long> latestBySlice = new java.util.TreeMap<>();
    for (int slice = 2; slice < 4; slice++) {
      String id = pollBySlice.get(slice);
      vote(TOKENS.newVoter().token(), id, 1);
      latestBySlice.put(slice, json(alice.post("/api/polls/" + id + "/close", ""), 200).get("version").asLong());
    }
    sleep(Duration.ofSeconds(1));
    for (int slice = 2; slice < 4; slice++) {
      String id = pollBySlice.get(slice);
      assertEquals(versionBySlice.get(slice), json(alice.get("/api/polls/" + id + "/stats"), 200).get("seq").asLong(),
          "the paused slice's projection read nothing");
    }

    servers.stop(server);
    startServer("livepoll.changes.slices = 2");
    for (int slice = 2; slice < 4; slice++) {
      String id = pollBySlice.get(slice);
      long latest = latestBySlice.get(slice);
      JsonNode stats = awaitSeq(() -> alice.get("/api/polls/" + id + "/stats"), latest);
      assertEquals(2, stats.get("ballotsCast").asLong(), stats::toString);
      assertEquals("closed", awaitItem(alice, id, latest).get("status").asText());
    }
    ReadSide readSide = ReadSide.runningIn(server.system().classicSystem()).orElseThrow();
    assertEquals(0, readSide.followDroppedSlices().toCompletableFuture().get(),
        "the dropped slices' offsets were removed once their polls were recorded again");
    servers.stop(server);
    startServer();
  }

  @Test
  void replayingEventsFromAnOlderOffsetNeverCountsTwiceAndARebuildGivesTheSameReadModels() throws Exception {
    List<String> ids = new ArrayList<>();
    long[] versions = new long[3];
    for (int p = 0; p < 3; p++) {
      String id = newPoll(bob, POLL);
      ids.add(id);
      for (int v = 0; v < 4 + p; v++) {
        versions[p] = vote(TOKENS.newVoter().token(), id, v % 3).get("version").asLong();
      }
    }
    Map<String, JsonNode> before = readModels(ids, versions);

    // a restart from an older offset (here: the very first) delivers every event again to the same read models
    Map<String, String> offsets = storedOffsets();
    Instant cleared = Instant.now();
    ProjectionManagement management = ProjectionManagement.get(server.system());
    for (int slice = 0; slice < slices(); slice++) {
      // the results model keeps its offsets under the name of its per-round table's projection
      for (String name : List.of("catalogue", "results-by-round")) {
        management.clearOffset(ProjectionId.of(name, "slice-" + slice)).toCompletableFuture().get();
      }
    }
    awaitReplayed(offsets, cleared);
    assertEquals(before, readModels(ids, versions), "replayed events changed a read model");

    // a rebuild empties the read models and applies every event again from the first
    for (String name : List.of("catalogue", "results")) {
      assertEquals(202, operator("POST", "/projections/" + name + "/rebuild").statusCode());
    }
    assertEquals(before, readModels(ids, versions), "a rebuilt read model differs");

    // each rebuild is in the audit log: the operator's user name, role and address, the projection
    JsonNode audit = json(admin.get("/api/audit?actor=operator&limit=2"), 200);
    List<String> rebuilt = new java.util.ArrayList<>();
    for (JsonNode entry : audit.get("items")) {
      assertEquals("projection-rebuilt", entry.get("action").asText(), audit::toString);
      assertEquals("operator", entry.get("role").asText(), audit::toString);
      assertEquals("127.0.0.1", entry.get("address").asText(), audit::toString);
      rebuilt.add(entry.get("detail").asText());
    }
    assertEquals(List.of("projection=results", "projection=catalogue"), rebuilt, audit::toString);
  }

  /** The stored offset (as the time of its event) of every projection instance that has one. */
  private static Map<String, String> storedOffsets() {
    Map<String, String> offsets = new LinkedHashMap<>();
    for (JsonNode instance : status(null)) {
      if (!instance.get("offsetEventAt").isNull()) {
        offsets.put(instance.get("projection").asText() + "/" + instance.get("slice").asText(),
            instance.get("offsetEventAt").asText());
      }
    }
    return offsets;
  }

  /** Waits until every instance that had an offset has processed events again since {@code since}, up to it. */
  private static void awaitReplayed(Map<String, String> offsets, Instant since) {
    long deadline = System.nanoTime() + CATCH_UP.toNanos();
    while (true) {
      boolean replayed = status(null).stream().allMatch(instance -> {
        String offset = offsets.get(instance.get("projection").asText() + "/" + instance.get("slice").asText());
        JsonNode lag = instance.get("lagHere");
        // at least as far as before: an offset read while a group was still being committed can be one group behind
        return offset == null || (!instance.get("offsetEventAt").isNull()
            && !Instant.parse(instance.get("offsetEventAt").asText()).isBefore(Instant.parse(offset))
            && !lag.get("processedAt").isNull() && Instant.parse(lag.get("processedAt").asText()).isAfter(since));
      });
      if (replayed) {
        return;
      }
      assertTrue(System.nanoTime() < deadline, "the projections did not replay up to " + offsets);
      sleep(Duration.ofMillis(200));
    }
  }

  /** Catalogue items, stats and timelines of these polls once they reflect {@code versions}; asOf left out. */
  private Map<String, JsonNode> readModels(List<String> ids, long[] versions) {
    Map<String, JsonNode> models = new LinkedHashMap<>();
    for (int p = 0; p < ids.size(); p++) {
      String id = ids.get(p);
      models.put("item " + id, awaitItem(bob, id, versions[p]));
      models.put("stats " + id, withoutAsOf(awaitSeq(() -> bob.get("/api/polls/" + id + "/stats"), versions[p])));
      models.put("timeline " + id, withoutAsOf(json(bob.get("/api/polls/" + id + "/timeline"), 200)));
    }
    return models;
  }

  // ------------------------------------------------------------------------------------------------- catalogue

  @Test
  void catalogueListsTheCallersPollsNewestFirstAndPagesNeverSkipOrRepeatWhileNewOnesAppear() {
    ApiClient carol = api.as(TOKENS.organizer("carol", false));
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 23; i++) {
      created.add(newPoll(carol, POLL));
    }
    json(carol.post("/api/polls/" + created.get(3) + "/close", ""), 200);
    awaitItem(carol, created.get(0), 1);
    awaitCatalogueSize(carol, 23);

    List<String> listed = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonNode page = json(carol.get("/api/polls?limit=4" + (cursor == null ? "" : "&cursor=" + cursor)), 200);
      page.get("items").forEach(item -> listed.add(item.get("id").asText()));
      assertNotNull(page.get("asOf").textValue(), page::toString);
      cursor = page.get("nextCursor").isNull() ? null : page.get("nextCursor").asText();
      // new polls keep arriving between pages; they are newer than every cursor
      newPoll(carol, POLL);
      pages++;
    } while (cursor != null && pages < 20);
    assertEquals(new HashSet<>(listed).size(), listed.size(), "a poll was listed twice: " + listed);
    List<String> newestFirst = new ArrayList<>(created);
    java.util.Collections.reverse(newestFirst);
    assertEquals(newestFirst, listed, "every poll that existed before the first page, once, newest first");

    JsonNode closed = json(carol.get("/api/polls?status=closed"), 200);
    assertEquals(1, closed.get("items").size(), closed::toString);
    assertEquals(created.get(3), closed.get("items").get(0).get("id").asText());
    assertTrue(closed.get("nextCursor").isNull());
  }

  @Test
  void readApiRulesWhoMayReadWhatAndRefusesBadParameters() {
    String id = newPoll(alice, POLL);
    long version = 1;
    awaitSeq(() -> alice.get("/api/polls/" + id + "/stats"), version);

    for (String path : List.of("/api/polls", "/api/polls/" + id + "/stats", "/api/polls/" + id + "/timeline",
        "/api/polls/" + id + "/export.csv")) {
      assertProblem(api.get(path), 401);
      assertProblem(api.as(TOKENS.newVoter().token()).get(path), 403);
    }
    for (String path : List.of("/stats", "/timeline", "/export.csv")) {
      assertProblem(bob.get("/api/polls/" + id + path), 403);
      assertEquals(200, admin.get("/api/polls/" + id + path).status(), path);
    }
    assertProblem(bob.get("/api/polls?owner=alice"), 403);
    JsonNode alicesPolls = json(admin.get("/api/polls?owner=alice&limit=100"), 200);
    assertTrue(alicesPolls.get("items").size() >= 1, alicesPolls::toString);
    alicesPolls.get("items").forEach(item -> assertNotNull(item.get("id").textValue()));

    assertProblem(alice.get("/api/polls?status=maybe"), 400);
    assertProblem(alice.get("/api/polls?limit=0"), 400);
    assertProblem(alice.get("/api/polls?limit=101"), 400);
    assertProblem(alice.get("/api/polls?limit=ten"), 400);
    assertProblem(alice.get("/api/polls?cursor=%25%25%25"), 400);
    assertProblem(alice.get("/api/polls?cursor=" + Base64.getUrlEncoder().encodeToString(
        "12:../../etc".getBytes(StandardCharsets.UTF_8))), 400);
    assertProblem(alice.get("/api/polls/" + id + "/timeline?bucket=7m"), 400);
    assertProblem(alice.get("/api/polls/abcdefabcdef/stats"), 404);
  }

  // ------------------------------------------------------------------------------------------------- operators

  /** The server's number of change logs, each followed by one instance of each read model. */
  private static int slices() {
    return Settings.from(server.system().settings().config()).changeLogs().slices();
  }

  @Test
  void operatorsSeeEveryProjectionInstanceWithItsOffsetAndLag() {
    String id = newPoll(alice, POLL);
    long version = vote(TOKENS.newVoter().token(), id, 2).get("version").asLong();
    awaitSeq(() -> alice.get("/api/polls/" + id + "/stats"), version);
    List<JsonNode> instances = status(null);
    assertEquals(2 * slices(), instances.size(), "two read models, one instance per slice each: " + instances);
    JsonNode busy = instances.stream()
        .filter(instance -> instance.get("projection").asText().equals("results"))
        .filter(instance -> instance.get("slice").asText().equals("slice-" + actors.PollChanges.sliceOf(id, slices())))
        .findFirst().orElseThrow();
    assertFalse(busy.get("offsetEventAt").isNull(), busy::toString);
    JsonNode lag = busy.get("lagHere");
    // the creation and the ballot: one change-log record, or two when the log wrote them apart
    assertTrue(lag.get("eventsProcessed").asLong() >= 1, busy::toString);
    assertTrue(lag.get("p99LagMillis").asLong() >= 0 && lag.get("maxLagMillis").asLong() < 5000, busy::toString);

    assertEquals(401, HttpClientCalls.status(OPERATOR, managementPort, "GET", "/projections", null));
    assertEquals(404, operator("POST", "/projections/nothing/pause").statusCode());
  }

  // ------------------------------------------------------------------------------------------------- helpers

  private static final class HttpClientCalls {
    static int status(HttpClient client, int port, String method, String path, String credentials) {
      HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
          .method(method, HttpRequest.BodyPublishers.noBody());
      if (credentials != null) {
        request.header("Authorization", "Basic " + credentials);
      }
      try {
        return client.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
  }

  private static HttpResponse<String> operator(String method, String path) {
    String credentials = Base64.getEncoder().encodeToString(("operator:" + OPERATOR_PASSWORD)
        .getBytes(StandardCharsets.UTF_8));
    try {
      return OPERATOR.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
          .method(method, HttpRequest.BodyPublishers.noBody())
          .header("Authorization", "Basic " + credentials)
          .build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** Projection instances as GET /projections shows them, of one projection or (null) all. */
  private static List<JsonNode> status(String projection) {
    HttpResponse<String> response = operator("GET", "/projections");
    assertEquals(200, response.statusCode(), response::body);
    List<JsonNode> instances = new ArrayList<>();
    try {
      new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body()).forEach(instances::add);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return instances.stream()
        .filter(instance -> projection == null || instance.get("projection").asText().equals(projection)).toList();
  }

  private static String newPoll(ApiClient organizer, String body) {
    ApiClient.Reply reply = organizer.post("/api/polls", body);
    assertEquals(201, reply.status(), reply::toString);
    return ApiClient.createdId(reply);
  }

  private static JsonNode vote(String token, String pollId, int choice) {
    return json(api.as(token).post("/api/polls/" + pollId + "/ballots", "{\"choices\":[" + choice + "]}"), 200);
  }

  private static JsonNode json(ApiClient.Reply reply, int status) {
    assertEquals(status, reply.status(), reply::toString);
    return reply.json();
  }

  /** The read model's answer once it reflects poll version {@code seq} (its {@code seq} field). */
  private static JsonNode awaitSeq(Supplier<ApiClient.Reply> read, long seq) {
    long deadline = System.nanoTime() + CATCH_UP.toNanos();
    ApiClient.Reply last = null;
    while (System.nanoTime() < deadline) {
      last = read.get();
      if (last.status() == 200 && last.json().get("seq").asLong() == seq) {
        return last.json();
      }
      sleep(Duration.ofMillis(100));
    }
    throw new AssertionError("the read model did not reach seq " + seq + " within " + CATCH_UP + "; last: " + last);
  }

  /** The poll's catalogue item once it reflects version {@code seq}. */
  private static JsonNode awaitItem(ApiClient organizer, String pollId, long seq) {
    long deadline = System.nanoTime() + CATCH_UP.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode page = json(organizer.get("/api/polls?limit=100"), 200);
      for (JsonNode item : page.get("items")) {
        if (item.get("id").asText().equals(pollId) && item.get("seq").asLong() == seq) {
          return item;
        }
      }
      sleep(Duration.ofMillis(100));
    }
    throw new AssertionError("poll " + pollId + " did not reach seq " + seq + " in the catalogue");
  }

  private static void awaitCatalogueSize(ApiClient organizer, int size) {
    long deadline = System.nanoTime() + CATCH_UP.toNanos();
    while (System.nanoTime() < deadline) {
      if (json(organizer.get("/api/polls?limit=100"), 200).get("items").size() >= size) {
        return;
      }
      sleep(Duration.ofMillis(100));
    }
    throw new AssertionError("the catalogue did not reach " + size + " polls");
  }

  private static JsonNode withoutAsOf(JsonNode node) {
    ObjectNode copy = node.deepCopy();
    copy.remove("asOf");
    return copy;
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
