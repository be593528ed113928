package server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import auth.ForgedTokens;
import auth.Tokens;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.TestFactory;
import support.RealServer;
import support.ApiClient;
import support.FreePorts;
import support.TestConfig;

/**
 * More than ten thousand generated hostile requests (fixed seed) against one real server on a real Cassandra node:
 * random bytes, broken HTTP, broken and tricky JSON, invalid UTF-8, control characters, overlong and unicode ids,
 * path traversal, forged, expired, unsigned, re-algorithmed, tampered and misplaced tokens, and floods beyond the rate
 * limits. No answer may be a 5xx, every error is problem+json, the node stays ready, the floods are throttled with
 * 429 + Retry-After, and the polls set up before the run read byte for byte the same after it.
 *
 * <p>No hostile request is a valid ballot or close of a setup poll: a request whose credential could vote and whose
 * body would be a valid ballot for a setup poll it might reach is sent to the closed poll instead (see {@link
 * World#mayCount}), owner and admin tokens never go near a close, and the floods have a poll of their own, whose
 * counts must equal exactly the ballots that were acknowledged.
 */
class HostileInputIT {
  private static final long SEED = 20_261_124L;
  private static final int THREADS = 8;
  /** The hostile phase gives up (and fails) after this long; it normally takes a small fraction of it. */
  private static final Duration RUN_BUDGET = Duration.ofSeconds(100);
  private static final String OWNER = "hostile-owner";
  private static final String UNKNOWN_ID = "abcdefabcdef";
  private static final byte[] SECRET = TestConfig.AUTH_SECRET.getBytes(UTF_8);
  private static final byte[] OTHER_KEY = "another-key-of-at-least-32-bytes-long!!".getBytes(UTF_8);
  private static final String JSON = "application/json";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static final int FLOOD_VOTERS = 40;
  private static final int FLOOD_BALLOTS_EACH = 15;
  private static final int FLOOD_SIGN_UPS = 300;
  private static final int FLOOD_JOINS = 300;
  private static final int RANDOM_IDS = 100;

  @RegisterExtension static final RealServer servers = new RealServer("hostile_it");
  private static LivepollServer server;
  private static int managementPort;
  /** The real default limits of voter sign-ups per address and ballots per voter, as application.conf has them. */
  private static Config realLimits;

  @BeforeAll
  static void start() {
    managementPort = FreePorts.next();
    realLimits = ConfigFactory.load().getConfig("livepoll.limits");
    server = servers.start("""
        livepoll.management.port = %d
        # TestConfig lifts every rate limit; this test restores the real defaults of application.conf, except the
        # per-address request limit: every request here comes from 127.0.0.1, and at the default 100/s (burst 200)
        # the run would take two minutes. 5000/s with a burst of 5000 lets it run at full speed; the flood class
        # still runs into the real per-voter ballot limit and the real per-address voter sign-up limit.
        livepoll.limits.requests-per-address { per-second = 5000, burst = 5000 }
        livepoll.limits.voters-per-address = %s
        livepoll.limits.ballots-per-voter = %s
        """.formatted(managementPort,
        realLimits.getConfig("voters-per-address").root().render(ConfigRenderOptions.concise()),
        realLimits.getConfig("ballots-per-voter").root().render(ConfigRenderOptions.concise())));
  }

  /**
   * The hostile phase runs once (every kind at once, shuffled, on {@value #THREADS} threads, with the floods); then one
   * dynamic test per kind of input says whether every answer to that kind kept the rules, followed by the checks of
   * the whole run: the node stayed ready, the setup polls are unchanged, the floods were held to their limits. A
   * failure names its kind.
   */
  @TestFactory
  Stream<DynamicNode> hostileRequestsOfEachKindAreRefusedCleanlyAndChangeNothing() throws Exception {
    int port = server.httpPort();
    World world = World.setUp(new ApiClient(port));
    Map<String, byte[]> before = world.views();

    List<Hostile> hostile = new Generator(new Random(SEED), world).all();
    Stats stats = new Stats();
    Sender sender = new Sender(port);
    Flood flood = new Flood(world, sender, stats);

    List<Runnable> tasks = new ArrayList<>();
    AtomicInteger skipped = new AtomicInteger();
    long start = System.nanoTime();
    long deadline = start + RUN_BUDGET.toNanos();
    for (Hostile request : hostile) {
      tasks.add(() -> {
        if (System.nanoTime() > deadline) {
          skipped.incrementAndGet();
          return;
        }
        stats.record(request, sender.send(request));
      });
    }
    for (int voter = 0; voter < FLOOD_VOTERS; voter++) {
      int index = voter;
      tasks.add(() -> flood.voter(index));
    }
    tasks.add(flood::signUps);
    tasks.add(flood::joins);
    Collections.shuffle(tasks, new Random(SEED + 1));

    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    List<Integer> readyDuring;
    try (ReadinessProbe ready = new ReadinessProbe(managementPort)) {
      for (Runnable task : tasks) {
        pool.execute(() -> {
          try {
            task.run();
          } catch (RuntimeException | Error e) {
            stats.fail(null, "task crashed", e.toString(), null);
          }
        });
      }
      pool.shutdown();
      boolean finished = pool.awaitTermination(RUN_BUDGET.toSeconds() + 30, TimeUnit.SECONDS);
      if (!finished) {
        pool.shutdownNow();
        stats.fail(null, "run did not finish", "still running after " + RUN_BUDGET.toSeconds() + " s", null);
      }
      readyDuring = ready.statuses();
    }
    Duration wall = Duration.ofNanos(System.nanoTime() - start);
    int readyAfter = ReadinessProbe.once(managementPort);
    Map<String, byte[]> after = world.views();

    stats.print(wall);
    long total = stats.total();

    List<DynamicNode> tests = new ArrayList<>();
    for (Cls cls : Cls.values()) {
      tests.add(DynamicTest.dynamicTest(cls.label + " (" + stats.sent(cls) + " sent): no 5xx, every error a problem",
          () -> assertTrue(stats.failuresOf(cls).isEmpty(), () -> stats.failureReport(cls))));
    }
    List<DynamicTest> run = new ArrayList<>();
    run.add(DynamicTest.dynamicTest("no task crashed and the run finished",
        () -> assertTrue(stats.failuresOf(null).isEmpty(), () -> stats.failureReport(null))));
    run.add(DynamicTest.dynamicTest("every request was sent within " + RUN_BUDGET.toSeconds() + " s",
        () -> assertEquals(0, skipped.get(), "requests not sent in time")));
    run.add(DynamicTest.dynamicTest("at least 10,000 requests",
        () -> assertTrue(total >= 10_000, "only " + total + " requests were sent")));
    run.add(DynamicTest.dynamicTest("the node stayed ready",
        () -> assertTrue(!readyDuring.isEmpty() && readyDuring.stream().allMatch(s -> s == 200),
            "management /ready during the run answered " + summarize(readyDuring))));
    run.add(DynamicTest.dynamicTest("the node is ready after the run",
        () -> assertEquals(200, readyAfter, "management /ready after the run")));
    for (String id : before.keySet()) {
      run.add(DynamicTest.dynamicTest("setup poll " + id + " is unchanged",
          () -> assertArrayEquals(before.get(id), after.get(id), () -> "the view of setup poll " + id
              + " changed:\nbefore " + new String(before.get(id), UTF_8) + "\nafter  "
              + new String(after.get(id), UTF_8))));
    }
    run.addAll(flood.checks(world));
    run.add(DynamicTest.dynamicTest("random well-formed ids start no poll entity",
        () -> assertRandomIdsStartNoEntity(new Random(SEED + 2))));
    return Stream.of(DynamicContainer.dynamicContainer("kinds of hostile input", tests),
        DynamicContainer.dynamicContainer("the whole run", run));
  }

  /**
   * Unknown poll ids cost no entity: after the run, a burst of GETs of random well-formed ids (through REST and the
   * live socket's address) leaves the node's live poll entities exactly as many as before.
   */
  private static void assertRandomIdsStartNoEntity(Random random) throws Exception {
    ApiClient api = new ApiClient(server.httpPort());
    int entitiesBefore = liveEntities();
    for (int i = 0; i < RANDOM_IDS; i++) {
      String id = randomPollId(random);
      for (String path : List.of("", "/rounds", "/live", "/join")) {
        ApiClient.Reply reply = api.get("/api/polls/" + id + path);
        assertEquals(404, reply.status(), reply::toString);
      }
    }
    int entitiesAfter = liveEntities();
    System.out.printf("random ids: %d GETs of %d random ids, live poll entities %d -> %d%n", 4 * RANDOM_IDS,
        RANDOM_IDS, entitiesBefore, entitiesAfter);
    assertTrue(entitiesAfter <= entitiesBefore, "poll entities " + entitiesBefore + " -> " + entitiesAfter);
  }

  /** Poll entities alive on the node now. */
  private static int liveEntities() throws Exception {
    var system = server.system();
    org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState state =
        org.apache.pekko.actor.typed.javadsl.AskPattern.<org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery,
                org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState>ask(
            org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(system).shardState(),
            replyTo -> new org.apache.pekko.cluster.sharding.typed.GetShardRegionState(actors.PollEntity.ENTITY_KEY,
                replyTo), Duration.ofSeconds(5), system.scheduler())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    Set<String> ids = new java.util.HashSet<>();
    state.getShards().forEach(shard -> ids.addAll(shard.getEntityIds()));
    return ids.size();
  }

  /** A well-formed poll id nobody created: 12 characters of [a-z0-9] (never one a guard would take for a close). */
  private static String randomPollId(Random random) {
    StringBuilder id = new StringBuilder(12);
    for (int i = 0; i < 12; i++) {
      id.append("abcdefghijklmnopqrstuvwxyz0123456789".charAt(random.nextInt(36)));
    }
    return id.indexOf("clos") >= 0 ? randomPollId(random) : id.toString();
  }

  /**
   * Hostile input to the new kinds: huge, invisible and reordering words, wrong shapes, out-of-range ratings and
   * rankings, hostile hidden-word texts and presenter requests by others. Every one is a 4xx problem+json. Then
   * thousands of distinct words in one poll (through the write side, past the HTTP rate limits): the cloud stops at
   * its cap of distinct words (409 for a ballot bringing a new word, words already in it still counted), views show
   * 100 words, and the poll's counts stay exact.
   */
  @Test
  void hostileWordsRatingsAndRankingsAreRefusedAndAWordCloudStaysBounded() throws Exception {
    int port = server.httpPort();
    Tokens tokens = TestConfig.tokens();
    ApiClient owner = new ApiClient(port).as(tokens.organizer(OWNER, false));
    String cloud = ApiClient.createdId(owner.post("/api/polls",
        "{\"question\":\"Word?\",\"kind\":\"wordcloud\",\"maxWords\":10,\"allowVoteChange\":true}"));
    String rating = ApiClient.createdId(owner.post("/api/polls",
        "{\"question\":\"Rate?\",\"kind\":\"rating\",\"scale\":{\"min\":1,\"max\":5}}"));
    String ranking = ApiClient.createdId(owner.post("/api/polls",
        "{\"question\":\"Rank?\",\"kind\":\"ranking\",\"options\":[\"a\",\"b\",\"c\"]}"));
    Map<String, List<String>> bodies = new LinkedHashMap<>();
    String huge = "w".repeat(16_000);
    bodies.put(cloud, List.of(
        "{\"words\":[\"" + "x".repeat(41) + "\"]}",
        "{\"words\":[\"" + huge + "\"]}",
        "{\"words\":[\"" + "\\uD83D\\uDE00".repeat(41) + "\"]}",
        "{\"words\":[" + String.join(",", Collections.nCopies(11, "\"a\"")) + "]}",
        "{\"words\":[" + String.join(",", Collections.nCopies(2000, "\"a\"")) + "]}",
        "{\"words\":[\"evil\\u202Eword\"]}", "{\"words\":[\"zero\\u200Bwidth\"]}",
        "{\"words\":[\"a\\u0000b\"]}", "{\"words\":[\"\\uD800\"]}", "{\"words\":[\"bom\\uFEFF\"]}",
        "{\"words\":[\"\\u2066iso\"]}", "{\"words\":[\"   \"]}", "{\"words\":[]}", "{\"words\":null}",
        "{\"words\":\"pekko\"}", "{\"words\":[1]}", "{\"words\":[[\"a\"]]}", "{\"words\":[{\"a\":1}]}",
        "{\"words\":[\"a\",\"A\"]}", "{\"words\":[\"a\"],\"choices\":[0]}", "{\"rating\":3}",
        "{\"words\":[\"a\"],\"extra\":1}"));
    bodies.put(rating, List.of("{\"rating\":0}", "{\"rating\":6}", "{\"rating\":-2147483648}",
        "{\"rating\":2147483648}", "{\"rating\":1e30}", "{\"rating\":1.5}", "{\"rating\":\"4\"}",
        "{\"rating\":null}", "{\"rating\":[4]}", "{\"rating\":" + "9".repeat(40) + "}", "{\"choices\":[0]}",
        "{}"));
    bodies.put(ranking, List.of("{\"ranking\":[]}", "{\"ranking\":[0,0]}", "{\"ranking\":[3]}",
        "{\"ranking\":[-1]}", "{\"ranking\":[0,1,2,0]}", "{\"ranking\":[2147483647]}",
        "{\"ranking\":[" + String.join(",", Collections.nCopies(5000, "1")) + "]}", "{\"ranking\":\"0,1\"}",
        "{\"ranking\":[0.5]}", "{\"ranking\":[null]}", "{\"choices\":[0]}"));
    Map<Integer, Integer> statuses = new TreeMap<>();
    int sent = 0;
    for (Map.Entry<String, List<String>> poll : bodies.entrySet()) {
      for (String body : poll.getValue()) {
        // a fresh voter for each request: the per-voter ballot limit must not be what answers
        ApiClient voter = new ApiClient(port).as(tokens.newVoter().token());
        ApiClient.Reply reply = voter.post("/api/polls/" + poll.getKey() + "/ballots", body);
        assertHostileRefused(reply, body);
        statuses.merge(reply.status(), 1, Integer::sum);
        sent++;
      }
    }
    List<String> texts = List.of("", "   ", "x".repeat(41), huge, "a\\u202Eb", "a\\u200Db", "a\\u0007b");
    for (String text : texts) {
      for (String method : List.of("POST", "DELETE")) {
        ApiClient.Reply reply = owner.send(method, "/api/polls/" + cloud + "/hidden-words", JSON,
            HttpRequest.BodyPublishers.ofString("{\"text\":\"" + text + "\"}"));
        assertHostileRefused(reply, method + " hidden word " + text);
        statuses.merge(reply.status(), 1, Integer::sum);
        sent++;
      }
    }
    ApiClient stranger = new ApiClient(port).as(tokens.organizer("not-the-owner", false));
    ApiClient voter = new ApiClient(port).as(tokens.newVoter().token());
    for (ApiClient other : List.of(stranger, voter, new ApiClient(port))) {
      for (String path : List.of("/reveal", "/rounds", "/hidden-words")) {
        ApiClient.Reply reply = other.post("/api/polls/" + cloud + path, "{\"text\":\"a\"}");
        assertHostileRefused(reply, "POST " + path);
        statuses.merge(reply.status(), 1, Integer::sum);
        sent++;
      }
    }
    System.out.printf("hostile ballots and presenter requests to the new kinds: %d sent, statuses %s%n", sent,
        statuses);
    assertEquals(0, new ApiClient(port).get("/api/polls/" + cloud).json().get("totalBallots").asInt());
    assertEquals(1, new ApiClient(port).get("/api/polls/" + cloud).json().get("round").asInt());

    // thousands of distinct words: ten new ones per voter until the cap, through the write side
    int cap = ConfigFactory.load().getInt("livepoll.poll.max-distinct-words");
    actors.Polls polls = server.polls();
    int voters = cap / 10 + 200;
    List<java.util.concurrent.CompletableFuture<actors.Poll.Reply>> replies = new ArrayList<>();
    for (int v = 0; v < voters; v++) {
      List<String> words = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        words.add("word-" + v + "-" + i + "-" + "z".repeat(20));
      }
      replies.add(polls.castBallot(cloud, "flood-" + v, actors.Ballot.ofWords(words), null).toCompletableFuture());
    }
    int accepted = 0;
    int full = 0;
    for (var reply : replies) {
      actors.Poll.Reply answer = reply.get(60, TimeUnit.SECONDS);
      if (answer instanceof actors.Poll.Accepted) {
        accepted++;
      } else if (answer instanceof actors.Poll.Rejected rejected
          && rejected.reason() == actors.Poll.Rejection.LIMIT_REACHED) {
        full++;
      } else {
        throw new AssertionError("unexpected answer " + answer);
      }
    }
    assertEquals(cap / 10, accepted, "voters whose ten new words fit under the cap of " + cap);
    assertEquals(200, full);
    // past the cap: a ballot with a new word is 409, one with words already in the cloud counts
    ApiClient late = new ApiClient(port).as(tokens.newVoter().token());
    ApiClient.Reply refused = late.post("/api/polls/" + cloud + "/ballots", "{\"words\":[\"brand new\"]}");
    assertEquals(409, refused.status(), refused::toString);
    assertTrue(refused.body().contains("limit-reached"), refused::toString);
    ApiClient.Reply counted = late.post("/api/polls/" + cloud + "/ballots",
        "{\"words\":[\"WORD-0-0-" + "Z".repeat(20) + "\"]}");
    assertEquals(200, counted.status(), counted::toString);
    JsonNode view = counted.json();
    assertEquals(cap / 10 + 1, view.get("totalBallots").asInt());
    assertEquals(100, view.get("words").size());
    assertEquals(2, view.get("words").get(0).get("count").asInt(), view.get("words").get(0)::toString);
    assertTrue(view.toString().length() < 16_000, "a view stays small however many words: "
        + view.toString().length() + " characters");
  }

  private static void assertHostileRefused(ApiClient.Reply reply, String what) {
    String shown = what.length() > 80 ? what.substring(0, 80) + "..." : what;
    assertTrue(reply.status() >= 400 && reply.status() < 500, () -> shown + " answered " + reply);
    assertEquals("application/problem+json", reply.mediaType(), () -> shown + " answered " + reply);
  }

  // ------------------------------------------------------------------------------------------------ the world

  /** What the organizer of a poll may do, for the guard that keeps valid ballots off the setup polls. */
  private record Shape(String id, int options, int maxChoices, boolean single, boolean invited) {}

  /**
   * A credential and what it could do if the server honoured it: vote ({@code invitedTo}: only on that poll), or
   * manage the setup polls (the owner and admins, who must never reach a close).
   */
  private record Cred(String header, boolean couldVote, boolean couldManage, String invitedTo, String voterId) {
    static Cred none() {
      return null;
    }

    static Cred refused(String header) {
      return new Cred(header, false, false, null, null);
    }
  }

  /** The polls set up before the run, and the credentials the generators use. */
  private static final class World {
    private static final Pattern CANONICAL_BALLOTS = Pattern.compile("/api/polls/([A-Za-z0-9_~-]+)/ballots");
    private static final ObjectMapper LENIENT = JsonMapper.builder()
        .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
        .enable(DeserializationFeature.USE_BIG_INTEGER_FOR_INTS)
        .build();

    final String p1; // public, single
    final String p2; // public, multiple (max 2), vote change allowed
    final String p3; // invited, multiple (max 2)
    final String p4; // closed
    final String flood; // public, single, only for the flood class
    final String floodCode; // the flood poll's join code
    final String invitesSink; // invited, for the owner's valid invite requests: they change the poll they reach
    final String revokedInvite; // a token of an invite to p3 that the owner revoked
    final String p3Code; // the join code of p3: an invited poll takes no sign-ups
    final Map<String, Shape> open = new LinkedHashMap<>();
    final ApiClient api;
    final Cred owner;
    final Cred admin;
    final Cred mallory;
    private final AtomicInteger sequence = new AtomicInteger();

    private World(ApiClient api, String p1, String p2, String p3, String p4, String flood, String floodCode,
        String invitesSink, String revokedInvite, String p3Code) {
      this.floodCode = floodCode;
      this.invitesSink = invitesSink;
      this.revokedInvite = revokedInvite;
      this.p3Code = p3Code;
      this.api = api;
      this.p1 = p1;
      this.p2 = p2;
      this.p3 = p3;
      this.p4 = p4;
      this.flood = flood;
      open.put(p1, new Shape(p1, 3, 1, true, false));
      open.put(p2, new Shape(p2, 4, 2, false, false));
      open.put(p3, new Shape(p3, 3, 2, false, true));
      owner = new Cred("Bearer " + TestConfig.tokens().organizer(OWNER, false), false, true, null, null);
      admin = new Cred("Bearer " + TestConfig.tokens().organizer("hostile-admin", true), false, true, null, null);
      mallory = new Cred("Bearer " + TestConfig.tokens().organizer("mallory", false), false, false, null, null);
    }

    /** Creates the polls and casts their legitimate ballots over HTTP, as users would. */
    static World setUp(ApiClient api) {
      ApiClient organizer = api.as(TestConfig.tokens().organizer(OWNER, false));
      String p1 = create(organizer, "{'question':'Hostile single?','options':['red','green','blue']}");
      String p2 = create(organizer, "{'question':'Hostile multiple?','options':['w','x','y','z'],'kind':'multiple',"
          + "'maxChoices':2,'allowVoteChange':true}");
      String p3 = create(organizer, "{'question':'Hostile invited?','options':['yes','no','maybe'],"
          + "'kind':'multiple','maxChoices':2,'audience':'invited'}");
      String p4 = create(organizer, "{'question':'Hostile closed?','options':['up','down']}");
      String flood = create(organizer, "{'question':'Flood?','options':['a','b','c','d']}");
      String floodCode = organizer.get("/api/polls/" + flood).json().get("joinCode").asText();
      String invitesSink = create(organizer, "{'question':'Invites?','options':['a','b'],'audience':'invited'}");
      String p3Code = organizer.get("/api/polls/" + p3).json().get("joinCode").asText();

      vote(api, p1, voterToken("legit-1"), "[0]");
      vote(api, p1, voterToken("legit-2"), "[1]");
      vote(api, p1, voterToken("legit-3"), "[1]");
      vote(api, p2, voterToken("legit-4"), "[0,1]");
      vote(api, p2, voterToken("legit-5"), "[2]");
      vote(api, p2, voterToken("legit-6"), "[3,0]");
      vote(api, p2, voterToken("legit-4"), "[1,2]"); // a change
      ApiClient.Reply invites = organizer.post("/api/polls/" + p3 + "/invites", "{\"count\":3}");
      assertEquals(201, invites.status(), invites::toString);
      JsonNode revoked = invites.json().get("invites").get(2);
      ApiClient.Reply revocation = organizer.delete("/api/polls/" + p3 + "/invites/" + revoked.get("voterId").asText());
      assertEquals(204, revocation.status(), revocation::toString);
      World world = new World(api, p1, p2, p3, p4, flood, floodCode, invitesSink, revoked.get("token").asText(),
          p3Code);
      vote(api, p3, invites.json().get("invites").get(0).get("token").asText(), "[0,2]");
      vote(api, p3, invites.json().get("invites").get(1).get("token").asText(), "[1]");
      vote(api, p4, voterToken("legit-7"), "[0]");
      vote(api, p4, voterToken("legit-8"), "[1]");
      ApiClient.Reply closed = organizer.post("/api/polls/" + p4 + "/close", "");
      assertEquals(200, closed.status(), closed::toString);
      return world;
    }

    private static String create(ApiClient organizer, String singleQuoted) {
      ApiClient.Reply reply = organizer.post("/api/polls", singleQuoted.replace('\'', '"'));
      assertEquals(201, reply.status(), reply::toString);
      return ApiClient.createdId(reply);
    }

    private static void vote(ApiClient api, String pollId, String token, String choices) {
      ApiClient.Reply reply = api.as(token).post("/api/polls/" + pollId + "/ballots", "{\"choices\":" + choices + "}");
      assertEquals(200, reply.status(), reply::toString);
    }

    /** The full GET view of every setup poll, as bytes. */
    Map<String, byte[]> views() {
      Map<String, byte[]> views = new LinkedHashMap<>();
      for (String id : List.of(p1, p2, p3, p4)) {
        views.put(id, get(id).bytes());
      }
      return views;
    }

    /** The owner's view of a poll (with the counts of admissions). */
    JsonNode ownersView(String id) {
      return get(id).json();
    }

    /**
     * A GET as the owner (an invited poll is unknown to anyone else), waiting out a rate limit, should the run have
     * used up the address's budget.
     */
    ApiClient.Reply get(String id) {
      for (int attempt = 0; ; attempt++) {
        ApiClient.Reply reply = api.as(owner.header().substring(7)).get("/api/polls/" + id);
        if (reply.status() != 429 || attempt == 20) {
          assertEquals(200, reply.status(), reply::toString);
          return reply;
        }
        sleep(Duration.ofMillis(500));
      }
    }

    static String voterToken(String voterId) {
      return ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims(voterId, "voter").build());
    }

    /** A new, valid public voter: its ballot bucket is untouched, so its request reaches the parser. */
    Cred freshVoter() {
      String voterId = "hv" + sequence.incrementAndGet();
      return new Cred("Bearer " + voterToken(voterId), true, false, null, voterId);
    }

    /** A new, valid invitee of {@code pollId}. */
    Cred freshInvitee(String pollId) {
      String voterId = "hi" + sequence.incrementAndGet();
      String token = ForgedTokens.hmac("HS256", SECRET,
          ForgedTokens.claims(voterId, "invite").claim("poll", pollId).build());
      return new Cred("Bearer " + token, true, false, pollId, voterId);
    }

    /** The credential a voter of {@code pollId} needs for the body to be parsed and judged by the poll. */
    Cred voterFor(String pollId, Random random) {
      return pollId.equals(p3) && random.nextInt(10) < 7 ? freshInvitee(p3) : freshVoter();
    }

    /**
     * Whether this request could be counted as a ballot by a setup poll: a credential that can vote, and a body
     * that is a valid ballot (by the README's rules) for a poll the target may reach. A target other than a plain
     * {@code /api/polls/{id}/ballots} may reach any poll (dot segments, percent-encoding...).
     */
    boolean mayCount(Cred cred, String method, String target, byte[] body) {
      if (cred == null || !cred.couldVote() || !"POST".equalsIgnoreCase(method) || body == null) {
        return false;
      }
      Matcher canonical = CANONICAL_BALLOTS.matcher(target);
      if (canonical.matches()) {
        Shape shape = open.get(canonical.group(1));
        return shape != null && countable(shape, cred, body);
      }
      return open.values().stream().anyMatch(shape -> countable(shape, cred, body));
    }

    private static boolean countable(Shape shape, Cred cred, byte[] body) {
      if (cred.invitedTo() != null ? !cred.invitedTo().equals(shape.id()) : shape.invited()) {
        return false; // an invite for another poll, or a public voter on an invited poll
      }
      JsonNode tree = lenientTree(body);
      if (tree == null || !tree.isObject()) {
        return false;
      }
      for (Iterator<String> names = tree.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (!name.equals("choices") && !name.equals("voterId")) {
          return false;
        }
      }
      JsonNode voterId = tree.get("voterId");
      if (voterId != null && !voterId.isNull()
          && !(voterId.isTextual() && voterId.asText().equals(cred.voterId()))) {
        return false;
      }
      JsonNode choices = tree.get("choices");
      if (choices == null || !choices.isArray() || choices.isEmpty()
          || (shape.single() ? choices.size() != 1 : choices.size() > shape.maxChoices())) {
        return false;
      }
      Set<BigDecimal> seen = new TreeSet<>();
      for (JsonNode choice : choices) {
        if (!choice.isNumber()) {
          return false;
        }
        BigDecimal value = choice.decimalValue();
        if (value.signum() != 0 && value.stripTrailingZeros().scale() > 0) {
          return false;
        }
        if (value.signum() < 0 || value.compareTo(BigDecimal.valueOf(shape.options())) >= 0 || !seen.add(value)) {
          return false;
        }
      }
      return true;
    }

    /** Any JSON the server could possibly accept parses here too (this parser is laxer in everything but UTF-8). */
    private static JsonNode lenientTree(byte[] body) {
      try {
        String text = UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        return LENIENT.readTree(text);
      } catch (CharacterCodingException e) {
        return null;
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }
  }

  // ------------------------------------------------------------------------------------------------ requests

  /** The classes of hostile requests; {@code refused}: no request of the class may succeed. */
  private enum Cls {
    RANDOM_BODY("random-bytes-body", true),
    RAW_GARBAGE("raw-garbage-request", false),
    TRUNCATED_JSON("truncated-json", true),
    DEEP_JSON("deeply-nested-json", true),
    HUGE_NUMBERS("huge-numbers", true),
    WRONG_TYPES("wrong-types", true),
    INVALID_UTF8("invalid-utf8", true),
    CONTROL_CHARS("control-characters", false),
    OVERLONG_IDS("overlong-ids", true),
    BAD_OPTION_INDEX("bad-option-indexes", true),
    PATH_IDS("path-traversal-unicode-ids", false),
    BAD_TOKENS("bad-tokens", true),
    WRONG_ROLE("wrong-role-tokens", true),
    RANDOM_IDS("random-well-formed-poll-ids", true),
    ABUSE_CONTROLS("invites-sign-ups-revocations-privacy", true),
    FLOOD("flood-rate-limits", false);

    final String label;
    final boolean refused;

    Cls(String label, boolean refused) {
      this.label = label;
      this.refused = refused;
    }
  }

  /**
   * One request: sent with java.net.http when it can carry it, else byte for byte over a socket ({@code wire} set,
   * or fields java.net.http refuses). {@code raw} requests are written whole and the socket half-closed.
   */
  private record Hostile(Cls cls, String method, String target, String contentType, String authorization,
      byte[] body, byte[] wire, List<String> extraHeaders) {

    boolean needsSocket() {
      return wire != null || extraHeaders != null || !printable(target, false)
          || (authorization != null && !printable(authorization, true))
          || (contentType != null && !printable(contentType, true));
    }

    private static boolean printable(String text, boolean spaces) {
      return text.chars().allMatch(c -> (c > 0x20 && c < 0x7f) || (spaces && c == ' '));
    }

    /** The request as bytes; every String here holds one byte per char (ISO-8859-1). */
    byte[] onTheWire(int port) {
      if (wire != null) {
        return wire;
      }
      StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n");
      head.append("Host: 127.0.0.1:").append(port).append("\r\n");
      if (contentType != null) {
        head.append("Content-Type: ").append(contentType).append("\r\n");
      }
      if (authorization != null) {
        head.append("Authorization: ").append(authorization).append("\r\n");
      }
      boolean ownLength = false;
      if (extraHeaders != null) {
        for (String header : extraHeaders) {
          head.append(header).append("\r\n");
          String lower = header.toLowerCase(Locale.ROOT);
          ownLength |= lower.startsWith("content-length") || lower.startsWith("transfer-encoding");
        }
      }
      if (!ownLength && (body != null || method.equals("POST"))) {
        head.append("Content-Length: ").append(body == null ? 0 : body.length).append("\r\n");
      }
      head.append("\r\n");
      return concat(head.toString().getBytes(ISO_8859_1), body == null ? new byte[0] : body);
    }

    String describe() {
      if (wire != null) {
        return "raw[" + escape(wire, 240) + "]";
      }
      return method + " " + escape(target.getBytes(ISO_8859_1), 160)
          + (contentType == null ? "" : " [" + escape(contentType.getBytes(ISO_8859_1), 60) + "]")
          + (authorization == null ? " [no token]" : " [" + escape(authorization.getBytes(ISO_8859_1), 48) + "]")
          + (extraHeaders == null ? "" : " +" + escape(String.join("|", extraHeaders).getBytes(ISO_8859_1), 120))
          + (body == null ? "" : " body=" + escape(body, 160));
    }
  }

  /**
   * Generates every hostile request from one seeded Random, in one thread, before the run: the same requests every
   * time (the tokens' timestamps and the ids of server-minted voters aside).
   */
  private static final class Generator {
    private static final String CREATE_VALID = "{\"question\":\"Q?\",\"options\":[\"a\",\"b\",\"c\"],"
        + "\"kind\":\"multiple\",\"maxChoices\":2,\"allowVoteChange\":true,\"closesAt\":\"2099-01-01T00:00:00Z\","
        + "\"audience\":\"public\"}";
    private static final String[] CREATE_VARIANTS = {
        CREATE_VALID,
        "{\"question\":\"Qu\u00e9 fruta? \ud83c\udf4e\",\"options\":[\"manzana \ud83c\udf4e\",\"pera \u00f1\"]}",
        "{\"question\":\"\u4f60\u559c\u6b22\u54ea\u4e2a\uff1f\",\"options\":[\"\u82f9\u679c\",\"\u68a8\"],"
            + "\"audience\":\"invited\"}",
        "{\"options\":[\"x\",\"y\"],\"question\":\"Escaped \\u00e9 \\\"q\\\"?\",\"kind\":\"single\"}"};
    private static final String[] CONTENT_TYPES = {
        "text/plain", "application/problem+json", "application/json; charset=utf-16", "application/x-www-form-urlencoded",
        null, "application/json;charset=iso-8859-1", "multipart/form-data; boundary=x", "*/*", "application/"};
    private static final String[] HUGE = {
        "1e400", "-1e400", "1e-400", "1E+400", "99999999999999999999", "-99999999999999999999", "2147483648",
        "-2147483649", "4294967296", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "18446744073709551616", "123456789012345678901234567890123", "1" + "0".repeat(400), "-0", "-0.0", "0.0",
        "0e0", "1.0", "1e0", "2E0", "0.5", "-1.5", "1e-7", "NaN", "-NaN", "Infinity", "-Infinity", "+Infinity",
        "+1", "01", "-01", "00", ".5", "5.", "-", "--1", "1e", "1e+", "0x1", "0b1", "1_000", "1,0", "\u221e",
        "1e2147483648", "1e-2147483649", "4.9e-324", "1.7976931348623157e309"};
    private static final int[][] BAD_UTF8 = {
        {0xC0, 0xAF}, {0xC0, 0x80}, {0xC1, 0xBF}, {0xE0, 0x80, 0xAF}, {0xE0, 0x9F, 0xBF}, {0xF0, 0x80, 0x80, 0xAF},
        {0xF0, 0x8F, 0xBF, 0xBF}, {0xF8, 0x88, 0x80, 0x80, 0x80}, {0xFC, 0x84, 0x80, 0x80, 0x80, 0x80},
        {0xED, 0xA0, 0x80}, {0xED, 0xBF, 0xBF}, {0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80}, {0xF4, 0x90, 0x80, 0x80},
        {0xF5, 0x80, 0x80, 0x80}, {0xFF}, {0xFE}, {0xFE, 0xFF}, {0x80}, {0xBF}, {0xC3}, {0xE2, 0x82},
        {0xF0, 0x9F, 0x98}, {0xC3, 0x28}, {0xE2, 0x28, 0xA1}, {0xC0}, {0xE0, 0x80}};
    private static final String BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private final Random random;
    private final World world;
    private final List<Hostile> out = new ArrayList<>();
    private final List<String> refusedTokens;

    Generator(Random random, World world) {
      this.random = random;
      this.world = world;
      this.refusedTokens = refusedTokens(world);
    }

    List<Hostile> all() {
      randomBodies(1000);
      rawGarbage(1100);
      truncatedJson(900);
      deepJson(500);
      hugeNumbers(900);
      wrongTypes(800);
      invalidUtf8(900);
      controlChars(700);
      overlongIds(700);
      badOptionIndexes(700);
      pathIds(800);
      badTokens(1100);
      wrongRoles(500);
      randomIds(400);
      abuseControls(500);
      return out;
    }

    // ---------------------------------------------------------------------------------------------- builders

    /** A request over java.net.http when it can carry it; keeps valid ballots off the setup polls. */
    private void add(Cls cls, String method, String target, Cred cred, String contentType, byte[] body) {
      out.add(build(cls, method, target, cred, contentType, body, null));
    }

    /** A request over a socket, with extra header lines exactly as given. */
    private void addRaw(Cls cls, String method, String target, Cred cred, String contentType, byte[] body,
        String... headerLines) {
      out.add(build(cls, method, target, cred, contentType, body, List.of(headerLines)));
    }

    /**
     * The same with {@code cred}'s token only somewhere in the header lines, mangled: it may still be honoured, so
     * the guard treats the request as carrying it.
     */
    private void addRawTokenInHeaders(Cls cls, String method, String target, Cred cred, String contentType,
        byte[] body, String... headerLines) {
      Hostile guarded = build(cls, method, target, cred, contentType, body, List.of(headerLines));
      out.add(new Hostile(cls, method, guarded.target(), contentType, null, body, null, List.of(headerLines)));
    }

    private Hostile build(Cls cls, String method, String target, Cred cred, String contentType, byte[] body,
        List<String> extraHeaders) {
      if (cred != null && cred.couldManage() && percentDecoded(target).toLowerCase(Locale.ROOT).contains("clos")) {
        throw new IllegalStateException("generator bug: an owner or admin token aimed at a close: " + target);
      }
      String safeTarget = world.mayCount(cred, method, target, body) ? ballots(world.p4) : target;
      return new Hostile(cls, method, safeTarget, contentType, cred == null ? null : cred.header(), body, null,
          extraHeaders);
    }

    private void addWire(Cls cls, byte[] wire) {
      out.add(new Hostile(cls, "RAW", "", null, null, null, wire, null));
    }

    /** A whole request as bytes; the same guard as {@link #build}. */
    private byte[] wire(String method, String target, Cred cred, String contentType, byte[] body) {
      return build(Cls.RAW_GARBAGE, method, target, cred, contentType, body, List.of()).onTheWire(0);
    }

    /** Where a body goes: a ballot (with a voter able to vote there), a new poll, or invites. */
    private record Endpoint(String target, Cred cred, Shape shape, String kind) {}

    private Endpoint bodyEndpoint() {
      int roll = random.nextInt(20);
      if (roll < 12) {
        String id = pick(world.p1, world.p2, world.p3, world.p3, world.p4, UNKNOWN_ID);
        return new Endpoint(ballots(id), world.voterFor(id, random), world.open.get(id), "ballot");
      } else if (roll < 17) {
        return new Endpoint("/api/polls", random.nextInt(10) < 3 ? world.owner : world.mallory, null, "create");
      }
      Cred inviter = random.nextInt(10) < 7 ? world.owner : world.mallory;
      // the owner's invites are recorded by the poll they reach: they go to a poll of their own
      String invited = inviter == world.owner ? world.invitesSink : world.p3;
      return new Endpoint("/api/polls/" + pick(invited, invited, world.p1, UNKNOWN_ID) + "/invites", inviter, null,
          "invites");
    }

    /** A valid body for an endpoint, sometimes naming the voter's own id. */
    private String validBody(Endpoint endpoint) {
      return switch (endpoint.kind()) {
        case "ballot" -> {
          String choices = endpoint.shape() == null ? "[0]"
              : endpoint.shape().single() ? "[" + random.nextInt(endpoint.shape().options()) + "]" : "[0,2]";
          yield random.nextBoolean() || endpoint.cred().voterId() == null ? "{\"choices\":" + choices + "}"
              : "{\"voterId\":\"" + endpoint.cred().voterId() + "\",\"choices\":" + choices + "}";
        }
        case "create" -> pick(CREATE_VARIANTS);
        default -> "{\"count\":3}";
      };
    }

    // ------------------------------------------------------------------------------------------------ classes

    private void randomBodies(int n) {
      for (int i = 0; i < n; i++) {
        Endpoint endpoint = bodyEndpoint();
        int length = switch (random.nextInt(10)) {
          case 0 -> 2048 + random.nextInt(14_000);
          case 1, 2, 3, 4 -> 64 + random.nextInt(1984);
          default -> random.nextInt(64);
        };
        byte[] body = randomBytes(length);
        if (random.nextInt(4) == 0 && body.length > 0) {
          body[0] = (byte) "{[\"".charAt(random.nextInt(3)); // past the first byte at least
        }
        String type = random.nextInt(10) < 8 ? JSON : pick(CONTENT_TYPES);
        add(Cls.RANDOM_BODY, "POST", endpoint.target(), endpoint.cred(), type, body);
      }
    }

    private void rawGarbage(int n) {
      String[] words = {"GET", "POST", "DELETE", "PUT", "HEAD", "OPTIONS", " ", " ", "\r\n", "\n", "\r\n\r\n", ":",
          "/", "/api/polls/", "/api/voters", world.p1, "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9.9", "Host: x",
          "Content-Length: 5", "Content-Length: -1", "Content-Length: 99999999999999999999",
          "Transfer-Encoding: chunked", "Transfer-Encoding: gzip, chunked", "Authorization: Bearer ", "{", "}",
          "0\r\n\r\n", "ffffffffffffffff\r\n", "Expect: 100-continue", "Connection: upgrade", "Upgrade: h2c",
          "%", "%00", "?", "#", "*", "\u0000", "\t", "\u00ff"};
      for (int i = 0; i < n; i++) {
        int roll = random.nextInt(20);
        byte[] wire;
        if (roll < 5) {
          wire = randomBytes(1 + random.nextInt(1500));
        } else if (roll < 7) {
          wire = concat(randomBytes(1 + random.nextInt(200)), "\r\n\r\n".getBytes(ISO_8859_1));
        } else if (roll < 10) {
          StringBuilder soup = new StringBuilder();
          for (int w = 1 + random.nextInt(30); w > 0; w--) {
            soup.append(pick(words));
          }
          wire = soup.toString().getBytes(ISO_8859_1);
        } else {
          wire = mutate(template());
        }
        addWire(Cls.RAW_GARBAGE, wire);
      }
    }

    /** A valid request (that changes nothing) to be mangled. */
    private byte[] template() {
      return switch (random.nextInt(6)) {
        case 0 -> wire("GET", "/api/polls/" + pick(world.p1, world.p2, world.p3, world.p4), null, null, null);
        case 1 -> wire("POST", ballots(world.p4), world.freshVoter(), JSON, bytes("{\"choices\":[0]}"));
        case 2 -> wire("POST", "/api/polls/" + pick(world.p1, world.p2) + "/close", world.mallory, null, null);
        case 3 -> wire("POST", "/api/polls", world.mallory, JSON, bytes(CREATE_VALID));
        case 4 -> wire("DELETE", "/api/polls/" + world.p2 + "/ballots/me", world.freshVoter(), null, null);
        default -> wire("POST", ballots(world.p1), null, JSON, bytes("{\"choices\":[1]}"));
      };
    }

    private byte[] mutate(byte[] template) {
      ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      buffer.writeBytes(template);
      byte[] bytes = buffer.toByteArray();
      byte[] specials = {' ', '\r', '\n', 0, ':', '/', '%', '\t', 0x7f, (byte) 0xff, '"', '{', '.', '?'};
      for (int edits = 1 + random.nextInt(4); edits > 0 && bytes.length > 1; edits--) {
        int at = random.nextInt(bytes.length);
        switch (random.nextInt(6)) {
          case 0 -> bytes[at] = (byte) random.nextInt(256);
          case 1 -> bytes[at] = specials[random.nextInt(specials.length)];
          case 2 -> bytes = concat(slice(bytes, 0, at), randomBytes(1 + random.nextInt(16)),
              slice(bytes, at, bytes.length));
          case 3 -> bytes = concat(slice(bytes, 0, at), slice(bytes, Math.min(bytes.length, at + 1 + random.nextInt(8)),
              bytes.length));
          case 4 -> bytes = slice(bytes, 0, Math.max(1, at));
          default -> {
            int end = Math.min(bytes.length, at + 1 + random.nextInt(40));
            bytes = concat(slice(bytes, 0, end), slice(bytes, at, bytes.length));
          }
        }
      }
      return bytes;
    }

    private void truncatedJson(int n) {
      for (int i = 0; i < n; i++) {
        Endpoint endpoint = bodyEndpoint();
        byte[] full = bytes(validBody(endpoint));
        byte[] prefix = slice(full, 0, random.nextInt(full.length)); // a strict prefix: never complete JSON
        if (random.nextInt(8) == 0) {
          // the body ends early: Content-Length promises the whole body, the client stops sending after the prefix
          addRaw(Cls.TRUNCATED_JSON, "POST", endpoint.target(), endpoint.cred(), JSON, prefix,
              "Content-Length: " + full.length);
        } else if (random.nextInt(8) == 0) {
          // the same with a chunked body that stops in the middle (or carries a broken chunk)
          String chunked = Integer.toHexString(prefix.length) + "\r\n" + new String(prefix, ISO_8859_1) + "\r\n"
              + (random.nextBoolean() ? "" : pick("zz\r\n", "-1\r\n", "ffffffffffffffffff\r\n", "3\r\nab"));
          addRaw(Cls.TRUNCATED_JSON, "POST", endpoint.target(), endpoint.cred(), JSON, chunked.getBytes(ISO_8859_1),
              "Transfer-Encoding: chunked");
        } else {
          add(Cls.TRUNCATED_JSON, "POST", endpoint.target(), endpoint.cred(), JSON, prefix);
        }
      }
    }

    private void deepJson(int n) {
      int[] depths = {17, 18, 24, 64, 300, 1000, 2500, 5000, 7000};
      for (int i = 0; i < n; i++) {
        Endpoint endpoint = bodyEndpoint();
        int depth = depths[random.nextInt(depths.length)];
        String body = switch (random.nextInt(8)) {
          case 0 -> "{\"choices\":" + "[".repeat(depth) + "0" + "]".repeat(depth) + "}";
          case 1 -> "[".repeat(depth) + "]".repeat(depth);
          case 2 -> "{\"a\":".repeat(Math.min(depth, 2500)) + "1" + "}".repeat(Math.min(depth, 2500));
          case 3 -> "[".repeat(depth);
          case 4 -> "{\"question\":\"Q?\",\"options\":" + "[".repeat(depth) + "\"a\"" + "]".repeat(depth) + "}";
          case 5 -> "{\"count\":" + "{\"n\":".repeat(Math.min(depth, 2500)) + "3" + "}".repeat(Math.min(depth, 2500))
              + "}";
          case 6 -> "[{\"a\":".repeat(Math.min(depth, 1500)) + "0" + "}]".repeat(Math.min(depth, 1500));
          default -> "{\"choices\":[0],\"voterId\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
        };
        add(Cls.DEEP_JSON, "POST", endpoint.target(), endpoint.cred(), JSON, bytes(body));
      }
    }

    private void hugeNumbers(int n) {
      for (int i = 0; i < n; i++) {
        Endpoint endpoint = bodyEndpoint();
        String value = pick(HUGE);
        String body = switch (endpoint.kind()) {
          case "ballot" -> pick("{\"choices\":[%s]}", "{\"choices\":[0,%s]}", "{\"choices\":[%s,1]}",
              "{\"voterId\":%s,\"choices\":[0]}", "{\"choices\":%s}").formatted(value);
          case "create" -> pick(
              "{\"question\":\"Q?\",\"options\":[\"a\",\"b\",\"c\"],\"kind\":\"multiple\",\"maxChoices\":%s}",
              "{\"question\":%s,\"options\":[\"a\",\"b\"]}",
              "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"],\"closesAt\":%s}",
              "{\"question\":\"Q?\",\"options\":[\"a\",%s]}").formatted(value);
          default -> "{\"count\":%s}".formatted(value);
        };
        add(Cls.HUGE_NUMBERS, "POST", endpoint.target(), endpoint.cred(), JSON, bytes(body));
      }
    }

    private void wrongTypes(int n) {
      String[] ballots = {
          "{\"choices\":\"0\"}", "{\"choices\":0}", "{\"choices\":true}", "{\"choices\":null}", "{\"choices\":{}}",
          "{\"choices\":{\"0\":0}}", "{\"choices\":[\"0\"]}", "{\"choices\":[\"a\"]}", "{\"choices\":[true]}",
          "{\"choices\":[false]}", "{\"choices\":[null]}", "{\"choices\":[[0]]}", "{\"choices\":[{}]}",
          "{\"choices\":[0.5]}", "{\"choices\":\"[0]\"}", "{\"voterId\":1,\"choices\":[0]}",
          "{\"voterId\":true,\"choices\":[0]}", "{\"voterId\":[],\"choices\":[0]}", "{\"voterId\":{},\"choices\":[0]}",
          "[]", "[{\"choices\":[0]}]", "\"choices\"", "0", "true", "null", "{}", "{\"choices\":[0],\"extra\":1}",
          "{\"Choices\":[0]}", "{\"CHOICES\":[0]}", "{\"choices \":[0]}", "{\"choice\":[0]}",
          "{\"choices\":[0],\"choices\":[1]}", "{'choices':[0]}", "{choices:[0]}", "{\"choices\":[0,]}",
          "{\"choices\":[0]}garbage", "{\"choices\":[0]} {\"choices\":[1]}", "{\"choices\":[0]/*c*/}",
          "{\"choices\":[0],\"pollId\":\"" + world.p2 + "\"}", "{\"choices\":[0],\"voterId\":\"legit-1\"}"};
      String[] creates = {
          "{\"question\":1,\"options\":[\"a\",\"b\"]}", "{\"question\":\"Q\",\"options\":\"a,b\"}",
          "{\"question\":\"Q\",\"options\":[1,2]}", "{\"question\":\"Q\",\"options\":[[\"a\"],[\"b\"]]}",
          "{\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"kind\":1}",
          "{\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"kind\":\"SINGLE\"}",
          "{\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"kind\":\"poll\"}",
          "{\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"allowVoteChange\":\"true\"}",
          "{\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"allowVoteChange\":1}",
          "{\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"closesAt\":1700000000}",
          "{\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"closesAt\":\"tomorrow\"}",
          "{\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"closesAt\":true}",
          "{\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"audience\":\"INVITED\"}",
          "{\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"audience\":1}",
          "{\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"maxChoices\":\"2\"}",
          "{\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"maxChoices\":2.0}",
          "{\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"owner\":\"" + OWNER + "\"}",
          "{\"question\":\"Q\",\"options\":[\"a\",\"b\"],\"id\":\"" + world.p1 + "\"}",
          "{\"question\":\"Q\",\"options\":[\"a\",\"A\"]}", "{\"question\":\"\",\"options\":[\"a\",\"b\"]}",
          "{\"question\":\"Q\",\"options\":[\"a\"]}", "[]", "\"poll\"", "null", "{}"};
      String[] invites = {
          "{\"count\":\"3\"}", "{\"count\":3.0}", "{\"count\":true}", "{\"count\":[3]}", "{\"count\":{\"n\":3}}",
          "{\"count\":null}", "{}", "[3]", "3", "{\"count\":3,\"poll\":\"" + world.p1 + "\"}", "{\"Count\":3}",
          "{\"count\":0}", "{\"count\":1001}", "{\"count\":-3}"};
      for (int i = 0; i < n; i++) {
        Endpoint endpoint = bodyEndpoint();
        String body = switch (endpoint.kind()) {
          case "ballot" -> pick(ballots);
          case "create" -> pick(creates);
          default -> pick(invites);
        };
        add(Cls.WRONG_TYPES, "POST", endpoint.target(), endpoint.cred(), JSON, bytes(body));
      }
    }

    private void invalidUtf8(int n) {
      for (int i = 0; i < n; i++) {
        byte[] bad = badUtf8();
        int roll = random.nextInt(20);
        if (roll < 12) {
          Endpoint endpoint = bodyEndpoint();
          byte[] body = switch (endpoint.kind()) {
            case "ballot" -> switch (random.nextInt(6)) {
              case 0 -> concat(bytes("{\"choices\":[0],\"voterId\":\""), bad, bytes("\"}"));
              case 1 -> concat(bytes("{\"choices\":[0"), bad, bytes("]}"));
              case 2 -> concat(bytes("{\""), bad, bytes("choices\":[0]}"));
              case 3 -> concat(bad, bytes("{\"choices\":[0]}"));
              case 4 -> concat(bytes("{\"choices\":[0]}"), bad);
              default -> concat(bytes("{\"choices\":[1],\"voterId\":\"hv"), bad, bytes("x\"}"));
            };
            case "create" -> random.nextBoolean()
                ? concat(bytes("{\"question\":\"Q"), bad, bytes("?\",\"options\":[\"a\",\"b\"]}"))
                : concat(bytes("{\"question\":\"Q?\",\"options\":[\"a"), bad, bytes("\",\"b\"]}"));
            default -> random.nextBoolean() ? concat(bytes("{\"count\":3}"), bad)
                : concat(bytes("{\"count\":\""), bad, bytes("\"}"));
          };
          add(Cls.INVALID_UTF8, "POST", endpoint.target(), endpoint.cred(), JSON, body);
        } else if (roll < 16) {
          String id = pick(percentEncode(bad), world.p1 + percentEncode(bad), percentEncode(bad) + world.p2);
          switch (random.nextInt(3)) {
            case 0 -> add(Cls.INVALID_UTF8, "GET", "/api/polls/" + id, null, null, null);
            case 1 -> add(Cls.INVALID_UTF8, "DELETE", "/api/polls/" + id + "/ballots/me", world.freshVoter(), null,
                null);
            default -> add(Cls.INVALID_UTF8, "POST", "/api/polls/" + id + "/close", world.mallory, null, null);
          }
        } else {
          String raw = new String(bad, ISO_8859_1);
          switch (random.nextInt(4)) {
            case 0 -> addRaw(Cls.INVALID_UTF8, "GET", "/api/polls/" + raw, null, null, null);
            case 1 -> addRaw(Cls.INVALID_UTF8, "POST", ballots(world.p1), null, JSON, bytes("{\"choices\":[0]}"),
                "Authorization: Bearer " + raw);
            case 2 -> addRaw(Cls.INVALID_UTF8, "POST", "/api/polls/" + world.p1 + "/close", null, null, null,
                "Authorization: Bearer " + raw + world.mallory.header().substring(7));
            default -> addRaw(Cls.INVALID_UTF8, "POST", ballots(world.p2), world.freshVoter(), null,
                bytes("{\"choices\":[9]}"), "Content-Type: application/json" + raw);
          }
        }
      }
    }

    private void controlChars(int n) {
      for (int i = 0; i < n; i++) {
        char control = randomControl();
        String c = String.valueOf(control);
        String cUtf8 = new String(String.valueOf(control).getBytes(UTF_8), ISO_8859_1);
        String escaped = "\\u%04x".formatted((int) control);
        int roll = random.nextInt(20);
        if (roll < 9) {
          Endpoint endpoint = bodyEndpoint();
          String text = random.nextBoolean() ? c : escaped;
          String body = switch (endpoint.kind()) {
            case "ballot" -> pick("{\"choices\":[0],\"voterId\":\"hv%sx\"}", "{\"choices\":[0]%s}",
                "{\"choices\":[%s0]}", "{\"cho%sices\":[0]}").formatted(text);
            case "create" -> pick("{\"question\":\"Q%s?\",\"options\":[\"a\",\"b\"]}",
                "{\"question\":\"Q?\",\"options\":[\"a%sb\",\"b\"]}",
                "{\"question\":\"Q?\",\"options\":[\"a\",\"\\u001b[31mred%sx\"]}").formatted(text);
            default -> "{\"count\":%s3}".formatted(text);
          };
          add(Cls.CONTROL_CHARS, "POST", endpoint.target(), endpoint.cred(), JSON, body.getBytes(UTF_8));
        } else if (roll < 12) {
          String target = pick("/api/polls/%s", "/api/polls/" + world.p1 + "%s", "/api/polls/" + world.p1
              + "%s/ballots", "/api/polls/" + world.p1 + "%%0D%%0AX-Injected:%%201%s").formatted(
              percentEncode(String.valueOf(control).getBytes(UTF_8)));
          add(Cls.CONTROL_CHARS, target.endsWith("ballots") ? "POST" : "GET", target,
              target.endsWith("ballots") ? world.freshVoter() : null, JSON,
              target.endsWith("ballots") ? bytes("{\"choices\":[7]}") : null);
        } else {
          String p = pick(world.p1, world.p2, world.p4);
          Cred voter = world.freshVoter();
          String token = voter.header().substring("Bearer ".length());
          switch (random.nextInt(9)) {
            case 0 -> addRawTokenInHeaders(Cls.CONTROL_CHARS, "POST", ballots(p), voter, JSON,
                bytes("{\"choices\":[0]}"), "Authorization: Bearer " + cUtf8 + token);
            case 1 -> addRaw(Cls.CONTROL_CHARS, "POST", ballots(p), voter, JSON, bytes("{\"choices\":[0]}"),
                "X-Note: a" + cUtf8 + "b");
            case 2 -> addRaw(Cls.CONTROL_CHARS, "POST", ballots(p), voter, null, bytes("{\"choices\":[0]}"),
                "Content-Type: application/" + cUtf8 + "json");
            case 3 -> addRaw(Cls.CONTROL_CHARS, "GET", "/api/polls/" + p, null, null, null,
                "X-" + cUtf8 + ": 1");
            case 4 -> addRaw(Cls.CONTROL_CHARS, "GET", "/api/polls/" + cUtf8 + p, null, null, null);
            case 5 -> addRaw(Cls.CONTROL_CHARS, "POST", "/api/polls/" + p + "/close", null, null, null,
                "Authorization: Bearer" + cUtf8 + world.mallory.header().substring(7));
            case 6 -> addWire(Cls.CONTROL_CHARS, ("GET /api/polls/" + p + " HTTP/1.1\nHost: 127.0.0.1\nX-A: "
                + cUtf8 + "\n\n").getBytes(ISO_8859_1));
            case 7 -> addRaw(Cls.CONTROL_CHARS, "POST", ballots(p), voter, JSON, bytes("{\"choices\":[0]}"),
                "X-Folded: a", " " + cUtf8 + "continued");
            default -> addWire(Cls.CONTROL_CHARS, ("G" + cUtf8 + "ET /api/polls/" + p + " HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\n\r\n").getBytes(ISO_8859_1));
          }
        }
      }
    }

    private void overlongIds(int n) {
      int[] idLengths = {13, 40, 255, 1024, 1900, 2047, 2048, 2100, 4096, 8000};
      String[] badVoterIds = {"x".repeat(129), "v".repeat(500), "v".repeat(2000), "v".repeat(5000), "v".repeat(6500),
          "a b", "a/b", "\u00e9", "<script>", "a\tb", "\ud83d\udc4d", "a,b", "a;b", "'", "\"", "a\u0000b",
          "../../etc", "hv\n", "a@b", "a+b", "a%20b"};
      String[] ownerLookalikes = {"Hostile-Owner", "HOSTILE-OWNER", OWNER + " ", " " + OWNER, OWNER + "\u0000",
          OWNER + "\n", OWNER + "/..", OWNER + "\u200b", "hostile-own\u0435r", OWNER.repeat(50), "hostile_owner",
          OWNER + "@x", "\u202e" + OWNER, OWNER + "\u0301", "o".repeat(1000), "*", ".*", ""};
      for (int i = 0; i < n; i++) {
        switch (random.nextInt(4)) {
          case 0 -> {
            String id = randomId(idLengths[random.nextInt(idLengths.length)]);
            switch (random.nextInt(4)) {
              case 0 -> add(Cls.OVERLONG_IDS, "GET", "/api/polls/" + id, null, null, null);
              case 1 -> add(Cls.OVERLONG_IDS, "POST", ballots(id), world.freshVoter(), JSON,
                  bytes("{\"choices\":[0]}"));
              case 2 -> add(Cls.OVERLONG_IDS, "DELETE", "/api/polls/" + id + "/ballots/me", world.freshVoter(), null,
                  null);
              default -> add(Cls.OVERLONG_IDS, "POST", "/api/polls/" + id + "/close", world.mallory, null, null);
            }
          }
          case 1 -> {
            // correctly signed tokens whose voter id breaks the rules: refused by the poll, never counted
            String voterId = pick(badVoterIds) + (random.nextBoolean() ? "" : "_" + i);
            boolean invite = random.nextInt(3) == 0;
            JWTClaimsSet.Builder claims = ForgedTokens.claims(voterId, invite ? "invite" : "voter");
            if (invite) {
              claims.claim("poll", world.p3);
            }
            Cred cred = Cred.refused("Bearer " + ForgedTokens.hmac("HS256", SECRET, claims.build()));
            String id = invite ? world.p3 : pick(world.p1, world.p2);
            String body = invite ? "{\"choices\":[0,2]}" : id.equals(world.p1) ? "{\"choices\":[1]}"
                : "{\"choices\":[0,3]}";
            if (random.nextInt(4) == 0) {
              add(Cls.OVERLONG_IDS, "DELETE", "/api/polls/" + id + "/ballots/me", cred, null, null);
            } else {
              add(Cls.OVERLONG_IDS, "POST", ballots(id), cred, JSON, bytes(body));
            }
          }
          case 2 -> {
            // a body naming another voter: refused whatever its length
            Cred voter = world.freshVoter();
            int length = pick(129, 1000, 16_000, 16_300, 16_385, 17_000);
            String body = "{\"voterId\":\"" + voter.voterId() + "x".repeat(length) + "\",\"choices\":[1]}";
            add(Cls.OVERLONG_IDS, "POST", ballots(pick(world.p1, world.p2)), voter, JSON, bytes(body));
          }
          default -> {
            // organizers whose names look like the owner's: none of them may close the owner's poll
            String name = pick(ownerLookalikes);
            Cred lookalike = Cred.refused("Bearer " + ForgedTokens.hmac("HS256", SECRET,
                ForgedTokens.claims(name, "organizer").build()));
            String id = pick(world.p1, world.p2, world.p3, world.p4);
            if (random.nextBoolean()) {
              add(Cls.OVERLONG_IDS, "POST", "/api/polls/" + id + "/close", lookalike, null, null);
            } else {
              add(Cls.OVERLONG_IDS, "POST", "/api/polls/" + id + "/invites", lookalike, JSON,
                  bytes("{\"count\":2}"));
            }
          }
        }
      }
    }

    private void badOptionIndexes(int n) {
      String[] negative = {"-1", "-2", "-3", "-100", "-2147483648", "-2147483647"};
      String[] overflowing = {"2147483647", "2147483648", "4294967296", "4294967297", "9223372036854775807",
          "9223372036854775808", "18446744073709551615", "-2147483649", "-9223372036854775808", "1000000"};
      for (int i = 0; i < n; i++) {
        String id = pick(world.p1, world.p2, world.p3, world.p3, world.p4, UNKNOWN_ID);
        Shape shape = world.open.get(id);
        int options = shape == null ? 2 : shape.options();
        int max = shape == null ? 1 : shape.maxChoices();
        String bad = random.nextBoolean() ? pick(negative) : pick(overflowing);
        String choices = switch (random.nextInt(8)) {
          case 0 -> "[" + pick(negative) + "]";
          case 1 -> "[" + (options + random.nextInt(5)) + "]";
          case 2 -> "[" + pick(overflowing) + "]";
          case 3 -> "[0," + bad + "]";
          case 4 -> "[" + bad + ",1]";
          case 5 -> "[]";
          case 6 -> "[1,1]";
          default -> {
            StringBuilder many = new StringBuilder("[0");
            for (int c = 1; c <= max; c++) {
              many.append(',').append(c % options);
            }
            yield many.append(']').toString();
          }
        };
        Cred cred = world.voterFor(id, random);
        String body = random.nextBoolean() ? "{\"choices\":" + choices + "}"
            : "{\"voterId\":\"" + cred.voterId() + "\",\"choices\":" + choices + "}";
        if (shape != null && World.countable(shape, cred, bytes(body))) {
          throw new IllegalStateException("generator bug: a valid ballot in the bad-index class: " + body);
        }
        add(Cls.BAD_OPTION_INDEX, "POST", ballots(id), cred, JSON, bytes(body));
      }
    }

    private void pathIds(int n) {
      String[] templates = {
          "/api/polls/../polls/X", "/api/polls/X/../X", "/api/polls/./X", "/api/polls/X/.", "/api/polls/X/..",
          "/api/polls/X/./ballots", "/api/polls/%2e%2e/voters", "/api/polls/%2E%2E/%2E%2E/api/voters",
          "/api/polls/..%2fvoters", "/api/polls/..%2F..%2F..%2Fetc%2Fpasswd", "/api/polls/X%2fballots",
          "/api/polls/X%2Fclose", "/api/../api/polls/X", "/../../../../etc/passwd", "/api/polls/....//X",
          "//api/polls/X", "/api//polls/X", "/api/polls//X", "/api/polls/X//ballots", "/api/polls/X;jsessionid=1",
          "/api/polls/X;/ballots", "/api/polls/X?id=../../etc/passwd", "/api/polls/X?", "/api/polls/X%00",
          "/api/polls/X%20", "/api/polls/%20X", "/api/polls/X%23frag", "/API/POLLS/X", "/api/Polls/X",
          "/api/polls/UPPER", "/api/polls/X%3F", "/api/polls/PCT", "/api/polls/PCT/ballots",
          "/api/polls/X/ballots/../close", "/api/polls/X/ballots/me/../../close", "/api/voters/../polls/X",
          "/api/polls/X/ballots/..%2Fclose", "/api/polls/%u0070oll", "/api/polls/X\\..\\..\\voters",
          "/api/polls/X/ballots/me%2F..%2F..%2Fclose", "/api/polls/.%2E/.%2E/api/voters", "/api/polls/X#frag"};
      for (int i = 0; i < n; i++) {
        String x = pick(world.p1, world.p2, world.p3, world.p4);
        String target;
        if (random.nextInt(3) == 0) {
          target = "/api/polls/" + unicodeId(x);
        } else {
          target = pick(templates).replace("X", x).replace("UPPER", x.toUpperCase(Locale.ROOT))
              .replace("PCT", percentEncode(x.getBytes(UTF_8)));
        }
        int action = random.nextInt(10);
        if (action < 4) {
          add(Cls.PATH_IDS, "GET", target, null, null, null);
        } else if (action < 6) {
          String ballots = target.contains("ballots") ? target : target + "/ballots";
          Cred cred = random.nextBoolean() ? world.voterFor(x, random) : null;
          add(Cls.PATH_IDS, "POST", ballots, cred, JSON, bytes("{\"choices\":[1]}"));
        } else if (action < 7) {
          add(Cls.PATH_IDS, "DELETE", target + "/ballots/me", world.freshVoter(), null, null);
        } else if (action < 9) {
          String close = target.contains("close") ? target : target + "/close";
          add(Cls.PATH_IDS, "POST", close, pick(world.mallory, world.freshVoter(), Cred.none()), null, null);
        } else {
          add(Cls.PATH_IDS, "POST", target + "/invites", world.mallory, JSON, bytes("{\"count\":2}"));
        }
      }
    }

    /** Unicode look-alikes of a poll id, percent-encoded UTF-8 (or raw bytes on the wire, which are refused). */
    private String unicodeId(String id) {
      String variant = switch (random.nextInt(10)) {
        case 0 -> "\u00e9".repeat(12);
        case 1 -> id.chars().mapToObj(c -> String.valueOf((char) (c + 0xFEE0))).reduce("", String::concat);
        case 2 -> id.substring(0, 6) + "\u200b" + id.substring(6);
        case 3 -> "\u202e" + id;
        case 4 -> id.replace('a', '\u0430').replace('o', '\u043e').replace('e', '\u0435').replace('c', '\u0441')
            + (id.matches(".*[aoec].*") ? "" : "\u0430");
        case 5 -> "\ud83d\uddf3" + id;
        case 6 -> "e\u0301" + id.substring(2);
        case 7 -> "\ufeff" + id;
        case 8 -> id + "\uffff";
        default -> id.substring(0, 11) + "\u0130"; // dotted capital I: lower-cases to two chars
      };
      byte[] utf8 = variant.getBytes(UTF_8);
      return random.nextInt(4) == 0 ? new String(utf8, ISO_8859_1) : percentEncode(utf8);
    }

    private void badTokens(int n) {
      Tokens past = new Tokens(SECRET, new Tokens.Lifetimes(Duration.ofHours(1), Duration.ofHours(1),
          Duration.ofHours(1)), Clock.fixed(Instant.now().minus(Duration.ofDays(2)), ZoneOffset.UTC));
      for (int i = 0; i < n; i++) {
        int roll = random.nextInt(20);
        Cred cred;
        if (roll < 13) {
          cred = Cred.refused(pick(refusedTokens));
        } else if (roll < 17) {
          String valid = switch (random.nextInt(4)) {
            case 0 -> world.owner.header().substring(7);
            case 1 -> world.admin.header().substring(7);
            case 2 -> world.freshVoter().header().substring(7);
            default -> world.freshInvitee(world.p3).header().substring(7);
          };
          cred = Cred.refused("Bearer " + tamper(valid));
        } else if (roll < 18) {
          cred = Cred.refused("Bearer " + pick(past.organizer(OWNER, false), past.newVoter().token(),
              past.newInvitee(world.p3).token()));
        } else {
          crossPoll();
          continue;
        }
        String id = pick(world.p1, world.p2, world.p3, world.p4);
        Shape shape = world.open.get(id);
        switch (random.nextInt(6)) {
          case 0, 1 -> add(Cls.BAD_TOKENS, "POST", ballots(id), cred, JSON,
              bytes(shape == null || shape.single() ? "{\"choices\":[1]}" : "{\"choices\":[0,2]}"));
          case 2 -> add(Cls.BAD_TOKENS, "DELETE", "/api/polls/" + id + "/ballots/me", cred, null, null);
          case 3 -> add(Cls.BAD_TOKENS, "POST", "/api/polls/" + id + "/close", cred, null, null);
          case 4 -> add(Cls.BAD_TOKENS, "POST", "/api/polls/" + world.p3 + "/invites", cred, JSON,
              bytes("{\"count\":2}"));
          default -> add(Cls.BAD_TOKENS, "POST", "/api/polls", cred, JSON, bytes(CREATE_VALID));
        }
        if (random.nextInt(40) == 0) {
          // two Authorization headers: a refused one first, then a valid one of no power over the target
          addRaw(Cls.BAD_TOKENS, "POST", "/api/polls/" + id + "/close", cred, null, null,
              "Authorization: " + world.mallory.header());
        }
      }
    }

    /** Invite tokens, correctly signed, for one poll and sent to another: 403 before the body is even read. */
    private void crossPoll() {
      boolean intoInvited = random.nextBoolean();
      Cred invite = intoInvited ? world.freshInvitee(pick(world.p1, world.p2, world.p4, world.flood, UNKNOWN_ID))
          : world.freshInvitee(world.p3);
      String id = intoInvited ? world.p3 : pick(world.p1, world.p2, world.p4);
      Shape shape = world.open.get(id);
      if (random.nextInt(4) == 0) {
        add(Cls.BAD_TOKENS, "DELETE", "/api/polls/" + id + "/ballots/me", invite, null, null);
      } else {
        add(Cls.BAD_TOKENS, "POST", ballots(id), invite, JSON,
            bytes(shape == null || shape.single() ? "{\"choices\":[0]}" : "{\"choices\":[0,1]}"));
      }
    }

    private void wrongRoles(int n) {
      for (int i = 0; i < n; i++) {
        String id = pick(world.p1, world.p2, world.p3, world.p4);
        if (random.nextBoolean()) {
          Cred voter = random.nextInt(10) < 6 ? world.freshVoter() : world.freshInvitee(world.p3);
          switch (random.nextInt(3)) {
            case 0 -> add(Cls.WRONG_ROLE, "POST", "/api/polls", voter, JSON, bytes(CREATE_VALID));
            case 1 -> add(Cls.WRONG_ROLE, "POST", "/api/polls/" + id + "/close", voter, null, null);
            default -> add(Cls.WRONG_ROLE, "POST", "/api/polls/" + world.p3 + "/invites", voter, JSON,
                bytes("{\"count\":2}"));
          }
        } else {
          Cred organizer = pick(world.owner, world.owner, world.mallory, world.admin);
          Shape shape = world.open.get(id);
          if (random.nextInt(3) == 0) {
            add(Cls.WRONG_ROLE, "DELETE", "/api/polls/" + id + "/ballots/me", organizer, null, null);
          } else {
            add(Cls.WRONG_ROLE, "POST", ballots(id), organizer, JSON,
                bytes(shape == null || shape.single() ? "{\"choices\":[0]}" : "{\"choices\":[1,2]}"));
          }
        }
      }
    }

    /** Well-formed ids nobody created, on every route that takes a poll id: 404 (or 401/403 before it). */
    private void randomIds(int n) {
      for (int i = 0; i < n; i++) {
        String id = randomPollId(random);
        switch (random.nextInt(6)) {
          case 0 -> add(Cls.RANDOM_IDS, "GET", "/api/polls/" + id, null, null, null);
          case 1 -> add(Cls.RANDOM_IDS, "GET", "/api/polls/" + id + pick("/rounds", "/join", "/qr.svg", "/live"),
              pick(null, world.freshVoter()), null, null);
          case 2 -> add(Cls.RANDOM_IDS, "POST", ballots(id), world.freshVoter(), JSON, bytes("{\"choices\":[0]}"));
          case 3 -> add(Cls.RANDOM_IDS, "POST", "/api/polls/" + id + "/invites", world.owner, JSON,
              bytes("{\"count\":2}"));
          case 4 -> add(Cls.RANDOM_IDS, "GET", "/api/polls/" + id + pick("/invites", "/sign-ups"), world.owner, null,
              null);
          default -> add(Cls.RANDOM_IDS, "DELETE", "/api/polls/" + id + "/invites/i" + id, world.admin, null, null);
        }
      }
    }

    /**
     * The controls against abuse, used by those they hold off: strangers reading or listing an invited poll, revoking
     * its invites, a revoked invite, sign-ups to an invited poll or through codes that lead nowhere, revocations of
     * other people's tokens or of malformed subjects, bad pages of the invite list.
     */
    private void abuseControls(int n) {
      String p3 = "/api/polls/" + world.p3;
      String[] subjects = {"\"" + OWNER + "\"", "\"hostile-admin\"", "\"\"", "null", "1", "[\"x\"]",
          "\"" + "s".repeat(200) + "\"", "\"a b\"", "\"../x\"", "\"x\\u0000\"", "{}"};
      for (int i = 0; i < n; i++) {
        Cred stranger = pick(null, world.mallory, world.freshVoter(), world.freshInvitee(world.p1),
            Cred.refused("Bearer " + world.revokedInvite));
        switch (random.nextInt(9)) {
          case 0 -> add(Cls.ABUSE_CONTROLS, "GET", p3 + pick("", "/rounds", "/join", "/qr.svg", "/live"), stranger,
              null, null);
          case 1 -> add(Cls.ABUSE_CONTROLS, "GET", p3 + pick("/invites", "/sign-ups"), stranger, null, null);
          case 2 -> add(Cls.ABUSE_CONTROLS, "DELETE", p3 + "/invites/" + pick("i1", "x", "%2e%2e", "i" + i),
              pick(world.mallory, world.freshVoter(), null), null, null);
          case 3 -> add(Cls.ABUSE_CONTROLS, "POST", ballots(world.p3),
              new Cred("Bearer " + world.revokedInvite, false, false, null, null), JSON,
              bytes("{\"choices\":[0]}"));
          case 4 -> add(Cls.ABUSE_CONTROLS, "POST", "/api/join/" + pick(world.p3Code, "ZZZZZZ", "zzzzzz", "0OIL1A",
              "", "%00", "AAAAAAA", "../" + world.floodCode) + "/voters", pick(null, world.freshVoter()), JSON,
              bytes("{}"));
          case 5 -> add(Cls.ABUSE_CONTROLS, "POST", "/api/tokens/revocations", pick(world.mallory, null,
              world.freshVoter()), JSON, bytes("{\"subject\":\"" + OWNER + "\"}"));
          case 6 -> add(Cls.ABUSE_CONTROLS, "POST", "/api/tokens/revocations", world.mallory, JSON,
              bytes("{\"subject\":" + pick(subjects) + "}"));
          case 7 -> add(Cls.ABUSE_CONTROLS, "GET", p3 + "/invites?" + pick("offset=-1", "limit=0", "limit=1001",
              "offset=x", "limit=1e3", "offset=99999999999"), world.owner, null, null);
          default -> add(Cls.ABUSE_CONTROLS, "POST", "/api/polls/" + world.invitesSink + "/invites", world.owner,
              JSON, bytes("{\"count\":" + pick("0", "1001", "-1", "100000", "\"5\"") + "}"));
        }
      }
    }

    // ------------------------------------------------------------------------------------------------ tokens

    /** Tokens that must all be refused with 401, whatever route they are sent to. */
    private static List<String> refusedTokens(World world) {
      String p3 = world.p3;
      JWTClaimsSet ownerClaims = ForgedTokens.claims(OWNER, "organizer").build();
      JWTClaimsSet adminClaims = ForgedTokens.claims("hostile-admin", "admin").build();
      JWTClaimsSet voterClaims = ForgedTokens.claims("hv-forged", "voter").build();
      JWTClaimsSet inviteClaims = ForgedTokens.claims("hi-forged", "invite").claim("poll", p3).build();
      String owner = world.owner.header().substring(7);
      String mallory = world.mallory.header().substring(7);
      String[] ownerParts = owner.split("\\.");
      String[] malloryParts = mallory.split("\\.");
      List<String> tokens = new ArrayList<>();
      for (JWTClaimsSet claims : List.of(ownerClaims, adminClaims, voterClaims, inviteClaims)) {
        tokens.add(ForgedTokens.hmac("HS256", OTHER_KEY, claims));
        tokens.add(ForgedTokens.unsigned(claims));
        tokens.add(ForgedTokens.hmac("HS512", SECRET, claims));
        tokens.add(ForgedTokens.hmac("HS384", SECRET, claims));
        tokens.add(signed("{\"alg\":\"none\",\"typ\":\"JWT\"}", claims.toString(), SECRET));
        tokens.add(signed("{\"alg\":\"None\"}", claims.toString(), SECRET));
        tokens.add(signed("{\"alg\":\"NONE\"}", claims.toString(), SECRET));
        tokens.add(signed("{\"alg\":\"RS256\"}", claims.toString(), SECRET));
        tokens.add(signed("{\"alg\":\"ES256\"}", claims.toString(), SECRET));
        tokens.add(signed("{\"alg\":\"hs256\"}", claims.toString(), SECRET));
        tokens.add(signed("{\"alg\":\"HS256\",\"crit\":[\"x-unknown\"],\"x-unknown\":1}", claims.toString(), SECRET));
        tokens.add(signed("{\"alg\":\"HS256\",\"b64\":false,\"crit\":[\"b64\"]}", claims.toString(), SECRET));
        tokens.add(signed("{\"alg\":[\"HS256\"]}", claims.toString(), SECRET));
        tokens.add(signed("{}", claims.toString(), SECRET));
        tokens.add(ForgedTokens.unsigned(claims).replaceFirst("\\.$", ""));
      }
      Instant now = Instant.now();
      tokens.add(ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims(OWNER, "organizer")
          .expirationTime(java.util.Date.from(now.minusSeconds(1))).build()));
      tokens.add(ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims(OWNER, "organizer")
          .expirationTime(null).build()));
      tokens.add(ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims(OWNER, "organizer")
          .expirationTime(java.util.Date.from(Instant.EPOCH)).build()));
      tokens.add(ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims(OWNER, "organizer").issuer("evil").build()));
      tokens.add(ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims(OWNER, "organizer").issuer("Livepoll")
          .build()));
      tokens.add(ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims(OWNER, "organizer").issuer(null).build()));
      for (Object kind : new Object[] {"root", "ADMIN", "Organizer", "organizer ", "admin\u0000", 1, List.of("admin")}) {
        tokens.add(ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims(OWNER, null).claim("kind", kind).build()));
      }
      tokens.add(ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims(OWNER, null).build()));
      tokens.add(ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims(null, "voter").build()));
      tokens.add(ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims("", "voter").build()));
      tokens.add(ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims("hi-nopoll", "invite").build()));
      tokens.add(ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims("hi-numpoll", "invite").claim("poll", 7)
          .build()));
      tokens.add(ForgedTokens.hmac("HS256", SECRET, "{\"iss\":\"livepoll\",\"sub\":\"" + OWNER
          + "\",\"kind\":\"organizer\",\"exp\":\"9999999999\"}"));
      tokens.add(ForgedTokens.hmac("HS256", SECRET, "not json at all"));
      tokens.add(ForgedTokens.hmac("HS256", SECRET, "[]"));
      tokens.add(ownerParts[0] + "." + ownerParts[1] + "."); // signature stripped
      tokens.add(ownerParts[0] + "." + ownerParts[1] + "." + malloryParts[2]); // someone else's signature
      tokens.add(malloryParts[0] + "." + ownerParts[1] + "." + malloryParts[2]);
      tokens.add(owner + ".x");
      tokens.add(owner.replace('.', '_'));
      tokens.add(owner + owner);
      tokens.add(ownerParts[0] + "." + ownerParts[1] + "." + ownerParts[2] + "." + ownerParts[1] + "." + ownerParts[2]);
      tokens.add("{\"payload\":\"" + ownerParts[1] + "\",\"signatures\":[{\"protected\":\"" + ownerParts[0]
          + "\",\"signature\":\"" + ownerParts[2] + "\"}]}");
      List<String> headers = new ArrayList<>();
      for (String token : tokens) {
        headers.add("Bearer " + token);
      }
      headers.addAll(List.of("", "Bearer", "Bearer ", "Bearer null", "Bearer undefined", "Bearer a.b.c",
          "Bearer ..", "Bearer ...", "Bearer eyJhbGciOiJIUzI1NiJ9", "Bearer eyJhbGciOiJIUzI1NiJ9.e30.",
          "Bearer " + "A".repeat(7000), "Basic " + Base64.getEncoder().encodeToString((OWNER + ":x").getBytes(UTF_8)),
          "Token " + owner, "JWT " + owner, "Bearer=" + mallory, "Bearer:" + mallory,
          "Bearer " + owner.substring(0, owner.length() / 2)));
      return headers;
    }

    /** A compact JWS with exactly this header, HMAC-SHA256-signed with {@code key}. */
    private static String signed(String header, String payload, byte[] key) {
      String input = Base64URL.encode(header.getBytes(UTF_8)) + "." + Base64URL.encode(payload.getBytes(UTF_8));
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return input + "." + Base64URL.encode(mac.doFinal(input.getBytes(ISO_8859_1)));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    /**
     * A valid token with one change that certainly breaks it: header and claims are signed as written, so any
     * change there does; in the signature only a substitution before the last character (whose low bits are
     * padding) does, and base64 decoders may skip characters that are not base64 at all.
     */
    private String tamper(String token) {
      int signatureAt = token.lastIndexOf('.') + 1;
      StringBuilder text = new StringBuilder(token);
      if (random.nextBoolean()) {
        int at = random.nextInt(signatureAt - 1);
        if (text.charAt(at) == '.') {
          at++;
        }
        switch (random.nextInt(4)) {
          case 0 -> text.deleteCharAt(at);
          case 1 -> text.insert(at, BASE64URL.charAt(random.nextInt(BASE64URL.length())));
          case 2 -> text.setCharAt(at, otherBase64Char(text.charAt(at)));
          default -> text.insert(at, pick("!", "%", " ", "=", "\u00e9"));
        }
      } else {
        int at = signatureAt + random.nextInt(token.length() - signatureAt - 1);
        text.setCharAt(at, otherBase64Char(text.charAt(at)));
      }
      return text.toString();
    }

    /** Another base64url character, with exactly one draw, so the run does not depend on the tokens' timestamps. */
    private char otherBase64Char(char c) {
      int at = Math.max(0, BASE64URL.indexOf(c));
      return BASE64URL.charAt((at + 1 + random.nextInt(BASE64URL.length() - 1)) % BASE64URL.length());
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private char randomControl() {
      int roll = random.nextInt(34 + 33);
      return roll < 32 ? (char) roll : roll == 32 ? (char) 0x7f : (char) (0x80 + random.nextInt(32));
    }

    private byte[] badUtf8() {
      int[] sequence = BAD_UTF8[random.nextInt(BAD_UTF8.length)];
      byte[] bytes = new byte[sequence.length];
      for (int i = 0; i < sequence.length; i++) {
        bytes[i] = (byte) sequence[i];
      }
      return bytes;
    }

    private byte[] randomBytes(int length) {
      byte[] bytes = new byte[length];
      random.nextBytes(bytes);
      return bytes;
    }

    private String randomId(int length) {
      StringBuilder id = new StringBuilder();
      for (int i = 0; i < length; i++) {
        id.append("abcdefghijklmnopqrstuvwxyz0123456789".charAt(random.nextInt(36)));
      }
      return id.toString();
    }

    @SafeVarargs
    private <T> T pick(T... choices) {
      return choices[random.nextInt(choices.length)];
    }

    private String pick(List<String> choices) {
      return choices.get(random.nextInt(choices.size()));
    }
  }

  // ------------------------------------------------------------------------------------------------ the flood

  /**
   * Floods beyond the real rate limits on a poll of their own: voters sending ballots as fast as they can (identical
   * ones, different ones that are refused without vote change, retractions), and one address signing up voters.
   */
  private static final class Flood {
    private final World world;
    private final Sender sender;
    private final Stats stats;
    private final double ballotsPerSecond = realLimits.getDouble("ballots-per-voter.per-second");
    private final int ballotBurst = realLimits.getInt("ballots-per-voter.burst");
    private final double signUpsPerSecond = realLimits.getDouble("voters-per-address.per-second");
    private final int signUpBurst = realLimits.getInt("voters-per-address.burst");
    /** Per voter: the choice of every acknowledged ballot, and how long its flood took. */
    private final Map<String, List<Integer>> acknowledged = new ConcurrentHashMap<>();
    private final Map<String, Duration> took = new ConcurrentHashMap<>();
    private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
    private final LongAdder ballots429 = new LongAdder();
    private final LongAdder signUps201 = new LongAdder();
    private final LongAdder signUps429 = new LongAdder();
    private volatile Duration signUpsTook = Duration.ZERO;
    private final LongAdder joins201 = new LongAdder();
    private final LongAdder joins429 = new LongAdder();
    private volatile Duration joinsTook = Duration.ZERO;
    /** When the first sign-up flood began and the last one ended (System.nanoTime): both share one limit. */
    private final java.util.concurrent.atomic.AtomicLong signUpsFrom = new java.util.concurrent.atomic.AtomicLong(
        Long.MAX_VALUE);
    private final java.util.concurrent.atomic.AtomicLong signUpsTo = new java.util.concurrent.atomic.AtomicLong();

    Flood(World world, Sender sender, Stats stats) {
      this.world = world;
      this.sender = sender;
      this.stats = stats;
    }

    void voter(int index) {
      String voterId = "hflood" + index;
      String header = "Bearer " + world.voterToken(voterId);
      int choice = index % 4;
      List<Integer> mine = Collections.synchronizedList(new ArrayList<>());
      acknowledged.put(voterId, mine);
      long start = System.nanoTime();
      for (int k = 0; k < FLOOD_BALLOTS_EACH; k++) {
        boolean retract = k == 7 && index % 5 == 0;
        int sent = index % 2 == 0 && k % 4 == 3 ? (choice + 1) % 4 : choice;
        Hostile request = retract
            ? new Hostile(Cls.FLOOD, "DELETE", "/api/polls/" + world.flood + "/ballots/me", null, header, null, null,
                null)
            : new Hostile(Cls.FLOOD, "POST", ballots(world.flood), JSON, header, bytes("{\"choices\":[" + sent + "]}"),
                null, null);
        Outcome outcome = sender.send(request);
        stats.record(request, outcome);
        if (outcome.status() == 429) {
          ballots429.increment();
        } else if (outcome.status() == 200) {
          if (retract) {
            violations.add(voterId + ": a retraction without vote change was acknowledged");
          } else {
            mine.add(sent);
          }
        }
      }
      took.put(voterId, Duration.ofNanos(System.nanoTime() - start));
    }

    void signUps() {
      long start = System.nanoTime();
      for (int k = 0; k < FLOOD_SIGN_UPS; k++) {
        Hostile request = new Hostile(Cls.FLOOD, "POST", "/api/voters", null, null, null, null, null);
        Outcome outcome = sender.send(request);
        stats.record(request, outcome);
        if (outcome.status() == 201) {
          signUps201.increment();
        } else if (outcome.status() == 429) {
          signUps429.increment();
        }
      }
      signUpsTook = Duration.ofNanos(System.nanoTime() - start);
      signUpsFrom.accumulateAndGet(start, Math::min);
      signUpsTo.accumulateAndGet(System.nanoTime(), Math::max);
    }

    /**
     * Sign-ups through the flood poll's join code from one address: 201 until the per-address limit (shared with
     * {@code POST /api/voters}), then 429; the poll counts exactly the sign-ups that were answered 201.
     */
    void joins() {
      long start = System.nanoTime();
      for (int k = 0; k < FLOOD_JOINS; k++) {
        Hostile request = new Hostile(Cls.FLOOD, "POST", "/api/join/" + world.floodCode + "/voters", null, null, null,
            null, null);
        Outcome outcome = sender.send(request);
        stats.record(request, outcome);
        if (outcome.status() == 201) {
          joins201.increment();
        } else if (outcome.status() == 429) {
          joins429.increment();
        }
      }
      joinsTook = Duration.ofNanos(System.nanoTime() - start);
      signUpsFrom.accumulateAndGet(start, Math::min);
      signUpsTo.accumulateAndGet(System.nanoTime(), Math::max);
    }

    List<DynamicTest> checks(World world) {
      long[] expected = new long[4];
      for (Map.Entry<String, List<Integer>> voter : acknowledged.entrySet()) {
        List<Integer> choices = voter.getValue();
        if (choices.isEmpty()) {
          continue;
        }
        if (choices.stream().distinct().count() > 1) {
          violations.add(voter.getKey() + ": different ballots acknowledged without vote change: " + choices);
        }
        expected[choices.get(0)]++;
        double seconds = took.getOrDefault(voter.getKey(), Duration.ZERO).toNanos() / 1e9;
        if (choices.size() > ballotBurst + ballotsPerSecond * seconds + 1) {
          violations.add(voter.getKey() + ": " + choices.size() + " ballots acknowledged in " + seconds
              + " s, beyond a burst of " + ballotBurst + " at " + ballotsPerSecond + "/s");
        }
      }
      JsonNode view = world.get(world.flood).json();
      List<Long> counted = new ArrayList<>();
      view.get("options").forEach(option -> counted.add(option.get("votes").asLong()));
      long voters = acknowledged.values().stream().filter(choices -> !choices.isEmpty()).count();
      double signUpSeconds = signUpsTook.toNanos() / 1e9;
      System.out.printf("flood: ballots 429=%d, voters acknowledged=%d, expected counts %s, counted %s; "
              + "sign-ups 201=%d 429=%d in %.1f s%n", ballots429.sum(), voters,
          java.util.Arrays.toString(expected), counted, signUps201.sum(), signUps429.sum(), signUpSeconds);
      double joinSeconds = joinsTook.toNanos() / 1e9;
      double bothSeconds = (signUpsTo.get() - signUpsFrom.get()) / 1e9;
      long joinedCounted = world.ownersView(world.flood).get("votersJoined").asLong();
      System.out.printf("flood: join-code sign-ups 201=%d 429=%d in %.1f s, the poll counts %d joined%n",
          joins201.sum(), joins429.sum(), joinSeconds, joinedCounted);
      return List.of(
          DynamicTest.dynamicTest("the ballot flood hit the per-voter limit",
              () -> assertTrue(ballots429.sum() > 0, "the ballot flood never hit the per-voter limit")),
          DynamicTest.dynamicTest("the sign-up flood hit the per-address limit",
              () -> assertTrue(signUps429.sum() > 0, "the sign-up flood never hit the per-address limit")),
          DynamicTest.dynamicTest("the join-code sign-up flood hit the per-address limit",
              () -> assertTrue(joins429.sum() > 0, "the join-code flood never hit the per-address limit")),
          DynamicTest.dynamicTest("sign-ups of both kinds stayed within the per-address limit",
              () -> assertTrue(signUps201.sum() + joins201.sum()
                      <= signUpBurst + signUpsPerSecond * bothSeconds + 2,
                  signUps201.sum() + " + " + joins201.sum() + " sign-ups in " + bothSeconds + " s, beyond a burst of "
                      + signUpBurst + " at " + signUpsPerSecond + "/s")),
          DynamicTest.dynamicTest("the flood poll counts exactly the sign-ups answered 201",
              () -> assertEquals(joins201.sum(), joinedCounted)),
          DynamicTest.dynamicTest("no flood voter got more than the rules allow",
              () -> assertTrue(violations.isEmpty(), () -> String.join("\n", violations))),
          DynamicTest.dynamicTest("the flood poll counts exactly the acknowledged ballots, once per voter",
              () -> assertEquals(List.of(expected[0], expected[1], expected[2], expected[3]), counted)),
          DynamicTest.dynamicTest("the flood poll's total is its voters",
              () -> assertEquals(voters, view.get("totalBallots").asLong(), "flood poll totalBallots")));
    }
  }

  // ------------------------------------------------------------------------------------------------ sending

  /** One answer; a negative status when there was none. */
  private record Outcome(int status, String contentType, String retryAfter, String wwwAuthenticate, byte[] body,
      String error) {
    static final int NO_RESPONSE = -1;
    static final int TIMEOUT = -2;
    static final int NOT_HTTP = -3;

    static Outcome none(int status, String error) {
      return new Outcome(status, null, null, null, new byte[0], error);
    }
  }

  private static final class Sender {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private final HttpClient client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
    private final int port;

    Sender(int port) {
      this.port = port;
    }

    Outcome send(Hostile request) {
      if (request.needsSocket()) {
        return socket(request.onTheWire(port));
      }
      HttpRequest built;
      try {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + request.target()))
            .timeout(TIMEOUT)
            .method(request.method(), request.body() == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(request.body()));
        if (request.contentType() != null) {
          builder.header("Content-Type", request.contentType());
        }
        if (request.authorization() != null) {
          builder.header("Authorization", request.authorization());
        }
        built = builder.build();
      } catch (IllegalArgumentException refusedByTheJdk) {
        return socket(request.onTheWire(port));
      }
      try {
        HttpResponse<byte[]> response = client.send(built, HttpResponse.BodyHandlers.ofByteArray());
        return new Outcome(response.statusCode(), response.headers().firstValue("content-type").orElse(null),
            response.headers().firstValue("retry-after").orElse(null),
            response.headers().firstValue("www-authenticate").orElse(null), response.body(), null);
      } catch (HttpTimeoutException e) {
        return Outcome.none(Outcome.TIMEOUT, e.toString());
      } catch (IOException e) {
        return Outcome.none(Outcome.NO_RESPONSE, e.toString());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    /** Writes the bytes, half-closes (so the server sees where they end), and reads one response. */
    Outcome socket(byte[] wire) {
      try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
        socket.setSoTimeout((int) TIMEOUT.toMillis());
        try {
          OutputStream out = socket.getOutputStream();
          out.write(wire);
          out.flush();
          socket.shutdownOutput();
        } catch (IOException writeFailed) {
          // the server may have answered and closed already: read what it said
        }
        InputStream in = new BufferedInputStream(socket.getInputStream());
        String statusLine;
        try {
          statusLine = readLine(in);
        } catch (SocketTimeoutException e) {
          return Outcome.none(Outcome.TIMEOUT, e.toString());
        } catch (IOException e) {
          return Outcome.none(Outcome.NO_RESPONSE, e.toString());
        }
        if (statusLine == null) {
          return Outcome.none(Outcome.NO_RESPONSE, "connection closed without a response");
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.") || !parts[1].matches("\\d{3}")) {
          return Outcome.none(Outcome.NOT_HTTP, "not an HTTP response: " + statusLine);
        }
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String line = readLine(in); line != null && !line.isEmpty(); line = readLine(in)) {
          int colon = line.indexOf(':');
          if (colon > 0) {
            headers.putIfAbsent(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
          }
        }
        byte[] body = headers.containsKey("content-length")
            ? in.readNBytes(Integer.parseInt(headers.get("content-length")))
            : in.readNBytes(64 * 1024);
        return new Outcome(Integer.parseInt(parts[1]), headers.get("content-type"), headers.get("retry-after"),
            headers.get("www-authenticate"), body, null);
      } catch (SocketTimeoutException e) {
        return Outcome.none(Outcome.TIMEOUT, e.toString());
      } catch (IOException e) {
        return Outcome.none(Outcome.NO_RESPONSE, e.toString());
      }
    }

    /** One line without its line break; null at the end of the stream before any byte of it. */
    private static String readLine(InputStream in) throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      for (int b = in.read(); b != '\n'; b = in.read()) {
        if (b < 0) {
          if (line.size() == 0) {
            return null;
          }
          throw new IOException("connection closed in the middle of a line");
        }
        if (b != '\r') {
          line.write(b);
        }
      }
      return line.toString(ISO_8859_1);
    }
  }

  /** Polls the management endpoint /ready in the background. */
  private static final class ReadinessProbe implements AutoCloseable {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Integer> statuses = Collections.synchronizedList(new ArrayList<>());
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    ReadinessProbe(int port) {
      thread = new Thread(() -> {
        while (running.get()) {
          statuses.add(once(port));
          sleep(Duration.ofMillis(250));
        }
      }, "readiness-probe");
      thread.setDaemon(true);
      thread.start();
    }

    static int once(int port) {
      try {
        return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready"))
            .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (IOException e) {
        return -1;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    }

    List<Integer> statuses() {
      return List.copyOf(statuses);
    }

    @Override
    public void close() {
      running.set(false);
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ------------------------------------------------------------------------------------------------ results

  /** Counts by class and status, and every answer that breaks a rule (with a few examples of each). */
  private static final class Stats {
    private static final int EXAMPLES_PER_RULE = 8;
    private final Map<Cls, LongAdder> sent = new EnumMap<>(Cls.class);
    private final Map<Cls, Map<Integer, LongAdder>> statuses = new EnumMap<>(Cls.class);
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final Map<String, ConcurrentLinkedQueue<String>> examples = new ConcurrentHashMap<>();
    /** Distinct 5xx answers (status, problem type, detail, class): how many, and the first request that got it. */
    private final Map<String, String> serverErrors = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> serverErrorCounts = new ConcurrentHashMap<>();

    Stats() {
      for (Cls cls : Cls.values()) {
        sent.put(cls, new LongAdder());
        statuses.put(cls, new ConcurrentHashMap<>());
      }
    }

    void record(Hostile request, Outcome outcome) {
      sent.get(request.cls()).increment();
      statuses.get(request.cls()).computeIfAbsent(outcome.status(), status -> new LongAdder()).increment();
      int status = outcome.status();
      if (status < 0) {
        boolean closedByServer = status == Outcome.NO_RESPONSE;
        if (!(closedByServer && request.cls() == Cls.RAW_GARBAGE)) {
          fail(request.cls(), status == Outcome.TIMEOUT ? "no answer in time" : closedByServer
              ? "connection closed without a response" : "not an HTTP response", request.describe(), outcome);
        }
        return;
      }
      if (status >= 500) {
        String answer = status + " " + problemField(outcome, "type") + " \"" + problemField(outcome, "detail")
            + "\" in " + request.cls().label;
        serverErrors.putIfAbsent(answer, request.describe());
        serverErrorCounts.computeIfAbsent(answer, a -> new LongAdder()).increment();
        fail(request.cls(), "5xx", request.describe(), outcome);
      }
      if (status >= 400) {
        String mediaType = outcome.contentType() == null ? ""
            : outcome.contentType().split(";")[0].strip().toLowerCase(Locale.ROOT);
        if (!mediaType.equals("application/problem+json")) {
          fail(request.cls(), "error without application/problem+json", request.describe(), outcome);
        } else if (problemStatus(outcome) != status) {
          fail(request.cls(), "problem whose status is not the response's", request.describe(), outcome);
        }
      }
      if (status == 429 && !(outcome.retryAfter() != null && outcome.retryAfter().matches("[1-9]\\d*"))) {
        fail(request.cls(), "429 without Retry-After", request.describe(), outcome);
      }
      if (status == 401 && (outcome.wwwAuthenticate() == null || !outcome.wwwAuthenticate().startsWith("Bearer"))) {
        fail(request.cls(), "401 without a Bearer challenge", request.describe(), outcome);
      }
      if (status < 400 && request.cls().refused) {
        fail(request.cls(), "accepted, though every request of its class is invalid", request.describe(), outcome);
      }
    }

    /** A broken rule of an answer to a request of kind {@code cls} (null: of the run as a whole). */
    void fail(Cls cls, String rule, String request, Outcome outcome) {
      rule = (cls == null ? "run" : cls.label) + ": " + rule;
      failures.computeIfAbsent(rule, r -> new LongAdder()).increment();
      ConcurrentLinkedQueue<String> list = examples.computeIfAbsent(rule, r -> new ConcurrentLinkedQueue<>());
      if (list.size() < EXAMPLES_PER_RULE) {
        list.add(request + "\n      -> " + (outcome == null ? "" : outcome.status() + " "
            + (outcome.error() != null ? outcome.error() : outcome.contentType() + " "
            + escape(outcome.body(), 300))));
      }
    }

    long total() {
      return sent.values().stream().mapToLong(LongAdder::sum).sum();
    }

    long sent(Cls cls) {
      return sent.get(cls).sum();
    }

    /** The rules that answers to kind {@code cls} broke (null: the run's own). */
    Set<String> failuresOf(Cls cls) {
      String prefix = (cls == null ? "run" : cls.label) + ": ";
      Set<String> rules = new TreeSet<>();
      failures.keySet().stream().filter(rule -> rule.startsWith(prefix)).forEach(rules::add);
      return rules;
    }

    String failureReport(Cls cls) {
      Set<String> rules = failuresOf(cls);
      StringBuilder report = new StringBuilder("answers that break the rules:\n");
      rules.forEach(rule -> {
        report.append("  ").append(rule).append(": ").append(failures.get(rule).sum()).append('\n');
        examples.get(rule).forEach(example -> report.append("    ").append(example).append('\n'));
      });
      String label = cls == null ? "run" : cls.label;
      new TreeMap<>(serverErrors).forEach((answer, request) -> {
        if (answer.endsWith(" in " + label)) {
          report.append("    5xx: ").append(serverErrorCounts.get(answer).sum()).append(" x ").append(answer)
              .append("\n      <- ").append(request).append('\n');
        }
      });
      return report.toString();
    }

    String failureReport() {
      StringBuilder report = new StringBuilder("answers that break the rules:\n");
      failures.forEach((rule, count) -> {
        report.append("  ").append(rule).append(": ").append(count.sum()).append('\n');
        examples.get(rule).forEach(example -> report.append("    ").append(example).append('\n'));
      });
      if (!serverErrors.isEmpty()) {
        report.append("  distinct 5xx answers by class: how many, and the first request that got each:\n");
        new TreeMap<>(serverErrors).forEach((answer, request) -> report.append("    ")
            .append(serverErrorCounts.get(answer).sum()).append(" x ").append(answer)
            .append("\n      <- ").append(request).append('\n'));
      }
      return report.toString();
    }

    void print(Duration wall) {
      Set<Integer> columns = new TreeSet<>();
      statuses.values().forEach(byStatus -> columns.addAll(byStatus.keySet()));
      StringBuilder table = new StringBuilder("\nHostileInputIT (seed " + SEED + ", " + THREADS + " threads)\n");
      table.append(String.format("%-28s %7s", "class", "sent"));
      for (int status : columns) {
        table.append(String.format(" %7s", label(status)));
      }
      table.append('\n');
      long[] totals = new long[columns.size()];
      for (Cls cls : Cls.values()) {
        table.append(String.format("%-28s %7d", cls.label, sent.get(cls).sum()));
        int column = 0;
        for (int status : columns) {
          LongAdder count = statuses.get(cls).get(status);
          long value = count == null ? 0 : count.sum();
          totals[column++] += value;
          table.append(String.format(" %7s", value == 0 ? "." : String.valueOf(value)));
        }
        table.append('\n');
      }
      table.append(String.format("%-28s %7d", "total", total()));
      for (long value : totals) {
        table.append(String.format(" %7d", value));
      }
      table.append(String.format("%nwall time of the hostile phase: %.1f s (%.0f requests/s)%n",
          wall.toNanos() / 1e9, total() / (wall.toNanos() / 1e9)));
      System.out.print(table);
      if (!failures.isEmpty()) {
        System.out.print(failureReport());
      }
    }

    private static String label(int status) {
      return switch (status) {
        case Outcome.NO_RESPONSE -> "closed";
        case Outcome.TIMEOUT -> "timeout";
        case Outcome.NOT_HTTP -> "nothttp";
        default -> String.valueOf(status);
      };
    }

    private static int problemStatus(Outcome outcome) {
      try {
        return MAPPER.readTree(outcome.body()).path("status").asInt(-1);
      } catch (IOException e) {
        return -1;
      }
    }

    private static String problemField(Outcome outcome, String field) {
      try {
        return MAPPER.readTree(outcome.body()).path(field).asText("?");
      } catch (IOException e) {
        return escape(outcome.body(), 80);
      }
    }
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private static String ballots(String pollId) {
    return "/api/polls/" + pollId + "/ballots";
  }

  private static byte[] bytes(String text) {
    return text.getBytes(UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      all.writeBytes(part);
    }
    return all.toByteArray();
  }

  private static byte[] slice(byte[] bytes, int from, int to) {
    return java.util.Arrays.copyOfRange(bytes, from, to);
  }

  private static String percentEncode(byte[] bytes) {
    StringBuilder encoded = new StringBuilder();
    for (byte b : bytes) {
      encoded.append('%').append(HexFormat.of().withUpperCase().toHexDigits(b));
    }
    return encoded.toString();
  }

  /** %XX decoded byte for byte (ISO-8859-1), for the generator's own checks only. */
  private static String percentDecoded(String target) {
    StringBuilder decoded = new StringBuilder();
    for (int i = 0; i < target.length(); i++) {
      char c = target.charAt(i);
      if (c == '%' && i + 2 < target.length() && HexFormat.isHexDigit(target.charAt(i + 1))
          && HexFormat.isHexDigit(target.charAt(i + 2))) {
        decoded.append((char) HexFormat.fromHexDigits(target, i + 1, i + 3));
        i += 2;
      } else {
        decoded.append(c);
      }
    }
    return decoded.toString();
  }

  /** Printable ASCII as is, everything else as \xNN, cut after {@code max} bytes. */
  private static String escape(byte[] bytes, int max) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < Math.min(bytes.length, max); i++) {
      int b = bytes[i] & 0xff;
      text.append(b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02X", b));
    }
    return bytes.length > max ? text + "...(" + bytes.length + " bytes)" : text.toString();
  }

  private static String summarize(List<Integer> statuses) {
    Map<Integer, Long> counts = new TreeMap<>();
    statuses.forEach(status -> counts.merge(status, 1L, Long::sum));
    return counts.toString();
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
