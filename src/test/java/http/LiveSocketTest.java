package http;

import static support.Views.votes;
import static support.Views.counts;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import auth.Tokens;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import server.LivepollServer;
import support.LiveSocketClient;
import support.LiveSocketClient.Frame;
import support.ApiClient;
import support.TestConfig;

/**
 * The live socket ({@code GET /api/polls/{id}/live}) against a real single-node server on the in-memory journal, with
 * the JDK's own WebSocket client: snapshot, conflated tallies, voting on the socket, every error frame, malformed
 * frames, slow readers and refused handshakes.
 */
class LiveSocketTest {
  private static final Tokens TOKENS = TestConfig.tokens();
  private static final HttpClient WS_CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /** livepoll.live.tally-interval as the server under test runs it (the default). */
  private static final long INTERVAL_MS = 100;
  private static final int MAX_FRAME_CHARS = 4096;
  /** How long any expected frame may take. */
  private static final Duration FRAME_TIMEOUT = Duration.ofSeconds(5);
  /** How long the latest state may take to arrive once the last ballot is acknowledged. */
  private static final Duration LATEST_STATE_TIMEOUT = Duration.ofSeconds(3);
  private static final String UNKNOWN_ID = "abcdefabcdef";
  private static final String POLL = "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"],\"allowVoteChange\":true}";
  private static final String THREE_OPTIONS = "{\"question\":\"Q?\",\"options\":[\"a\",\"b\",\"c\"]}";
  private static final String NO_CHANGE_POLL = "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"]}";
  private static final String INVITED_POLL =
      "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"],\"allowVoteChange\":true,\"audience\":\"invited\"}";

  private static LivepollServer server;
  private static ApiClient api;
  private static ApiClient alice;
  private static ExecutorService voters;

  private final List<Live> opened = new ArrayList<>();

  @BeforeAll
  static void startServer() {
    server = LivepollServer.startNode(TestConfig.inMemory(""));
    api = new ApiClient(server.httpPort());
    alice = api.as(TOKENS.organizer("alice", false));
    voters = Executors.newFixedThreadPool(48);
  }

  @AfterAll
  static void stopServer() {
    if (voters != null) {
      voters.shutdownNow();
    }
    if (server != null) {
      server.stop();
    }
  }

  @AfterEach
  void closeSockets() {
    for (Live live : opened) {
      live.abort();
    }
  }

  // ------------------------------------------------------------------------------------------- snapshot & tallies

  @Test
  void firstFrameIsASnapshotOfThePollWithItsVersionAsSeq() {
    String id = newPoll(POLL);
    vote(TOKENS.newVoter().token(), id, 1);
    vote(TOKENS.newVoter().token(), id, 1);
    JsonNode view = json(api.get("/api/polls/" + id), 200);

    for (String token : new String[] {null, TOKENS.newVoter().token()}) {
      JsonNode snapshot = open(server, id, token).next();
      assertEquals("snapshot", snapshot.path("type").asText(), snapshot::toString);
      assertEquals(view, snapshot.get("poll"), "the snapshot's poll is the poll view REST shows");
      assertEquals(view.get("version").asLong(), snapshot.path("seq").asLong(), snapshot::toString);
      assertEquals(List.of(0L, 2L), votes(snapshot.get("poll")));
    }
  }

  @Test
  void restBallotRightAfterTheSnapshotProducesATallyWithExactCountsAndAHigherSeq() {
    String id = newPoll(POLL);
    Live live = open(server, id, null);
    long snapshotSeq = live.snapshot().path("seq").asLong();

    JsonNode first = vote(TOKENS.newVoter().token(), id, 1);
    JsonNode tally = live.awaitTally(frame -> frame.path("totalBallots").asLong() == 1, LATEST_STATE_TIMEOUT);
    assertEquals(List.of(0L, 1L), counts(tally));
    assertEquals("open", tally.path("status").asText());
    assertTrue(tally.path("seq").asLong() > snapshotSeq, tally + " after snapshot seq " + snapshotSeq);
    assertEquals(first.get("version").asLong(), tally.path("seq").asLong(), "seq is the poll's version");
    assertTallyShape(tally);

    JsonNode second = vote(TOKENS.newVoter().token(), id, 0);
    JsonNode next = live.awaitTally(frame -> frame.path("totalBallots").asLong() == 2, FRAME_TIMEOUT);
    assertEquals(List.of(1L, 1L), counts(next));
    assertEquals(second.get("version").asLong(), next.path("seq").asLong());
    assertTrue(next.path("seq").asLong() > tally.path("seq").asLong());
  }

  /** A single write at any moment after the snapshot must reach the socket: nothing later would repair a loss. */
  @Test
  void aLoneBallotAtAnyMomentAfterTheSnapshotReachesTheSocket() throws Exception {
    long[] delaysMs = {0, 50, 100, 200, 300, 400};
    List<String> ids = new ArrayList<>();
    List<Live> sockets = new ArrayList<>();
    for (long ignored : delaysMs) {
      String id = newPoll(POLL);
      Live live = open(server, id, null);
      live.snapshot();
      ids.add(id);
      sockets.add(live);
    }
    long opened = System.nanoTime();
    for (int i = 0; i < delaysMs.length; i++) {
      long due = opened + TimeUnit.MILLISECONDS.toNanos(delaysMs[i]);
      long wait = due - System.nanoTime();
      if (wait > 0) {
        TimeUnit.NANOSECONDS.sleep(wait); // sets the moment of the ballot, asserts nothing
      }
      vote(TOKENS.newVoter().token(), ids.get(i), 1);
    }
    long lastVote = System.nanoTime();
    List<String> lost = new ArrayList<>();
    for (int i = 0; i < delaysMs.length; i++) {
      Live.Frame tally = sockets.get(i).poll(lastVote + LATEST_STATE_TIMEOUT.toNanos() - System.nanoTime());
      if (tally == null || tally.json().path("totalBallots").asLong() != 1) {
        lost.add("poll " + i + ", ballot ~" + delaysMs[i] + " ms after the last snapshot: got " + tally);
      }
    }
    assertTrue(lost.isEmpty(), "tallies never sent to a socket that had its snapshot: " + lost);
  }

  @Test
  void burstOfBallotsIsConflatedAndTheLastFrameIsTheLatestState() throws Exception {
    int ballots = 300;
    String id = newPoll(THREE_OPTIONS);
    List<Tokens.VoterToken> crowd = mintVoters(ballots);
    Live live = open(server, id, null);
    long snapshotSeq = live.snapshot().path("seq").asLong();

    long start = System.nanoTime();
    long lastAck = castConcurrently(id, crowd);

    List<Live.Frame> tallies = live.tallyFramesUntil(frame -> frame.json().path("totalBallots").asLong() == ballots,
        lastAck, LATEST_STATE_TIMEOUT);
    Live.Frame last = tallies.get(tallies.size() - 1);
    assertEquals(List.of(100L, 100L, 100L), counts(last.json()), last.json()::toString);
    assertEquals("open", last.json().path("status").asText());
    assertSeqStrictlyIncreasing(snapshotSeq, tallies);
    assertEquals(json(api.get("/api/polls/" + id), 200).get("version").asLong(), last.json().path("seq").asLong(),
        "the last tally carries the poll's current version");

    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(last.receivedAt() - start);
    long allowed = elapsedMs / INTERVAL_MS + 3;
    assertTrue(tallies.size() <= allowed && tallies.size() < ballots,
        tallies.size() + " tally frames for " + ballots + " ballots in " + elapsedMs + " ms; at most " + allowed
            + " allowed at one per " + INTERVAL_MS + " ms");
    live.assertNoTallyWithin(Duration.ofMillis(4 * INTERVAL_MS), "the 300-ballot tally must be the last one");
  }

  @Test
  void twoSocketsOnOnePollBothGetTheFinalState() throws Exception {
    int ballots = 60;
    String id = newPoll(THREE_OPTIONS);
    List<Tokens.VoterToken> crowd = mintVoters(ballots);
    Live watcher = open(server, id, null);
    Live voter = open(server, id, TOKENS.newVoter().token());
    long seq = watcher.snapshot().path("seq").asLong();
    assertEquals(seq, voter.snapshot().path("seq").asLong());

    long lastAck = castConcurrently(id, crowd);
    for (Live live : List.of(watcher, voter)) {
      List<Live.Frame> tallies = live.tallyFramesUntil(
          frame -> frame.json().path("totalBallots").asLong() == ballots, lastAck, LATEST_STATE_TIMEOUT);
      assertEquals(List.of(20L, 20L, 20L), counts(tallies.get(tallies.size() - 1).json()));
      assertSeqStrictlyIncreasing(seq, tallies);
    }
  }

  @Test
  void slowReaderDoesNotDelayAFastOneAndGetsTheLatestStateNotABacklog() throws Exception {
    int ballots = 300;
    String id = newPoll(THREE_OPTIONS);
    List<Tokens.VoterToken> crowd = mintVoters(ballots);
    Live slow = open(server, id, null, true);
    Live fast = open(server, id, null);
    long seq = slow.snapshot().path("seq").asLong();
    fast.snapshot();

    long start = System.nanoTime();
    long lastAck = castConcurrently(id, crowd);
    List<Live.Frame> fastTallies = fast.tallyFramesUntil(
        frame -> frame.json().path("totalBallots").asLong() == ballots, lastAck, LATEST_STATE_TIMEOUT);
    assertEquals(List.of(100L, 100L, 100L), counts(fastTallies.get(fastTallies.size() - 1).json()));
    assertTrue(slow.frames.isEmpty(), "the slow reader read nothing meanwhile: " + slow.frames);

    long resumed = System.nanoTime();
    slow.resume();
    List<Live.Frame> slowTallies = slow.tallyFramesUntil(
        frame -> frame.json().path("totalBallots").asLong() == ballots, resumed, LATEST_STATE_TIMEOUT);
    assertEquals(List.of(100L, 100L, 100L), counts(slowTallies.get(slowTallies.size() - 1).json()));
    assertSeqStrictlyIncreasing(seq, slowTallies);
    long pausedMs = TimeUnit.NANOSECONDS.toMillis(resumed - start);
    assertTrue(slowTallies.size() <= pausedMs / INTERVAL_MS + 3 && slowTallies.size() < ballots / 3,
        "after a pause of " + pausedMs + " ms the slow reader got " + slowTallies.size()
            + " tally frames: a backlog rather than the latest state");
    slow.assertNoTallyWithin(Duration.ofMillis(4 * INTERVAL_MS), "the latest state must be the last frame");
  }

  @Test
  void closingThePollSendsAFinalTallyWithStatusClosed() {
    String id = newPoll(POLL);
    vote(TOKENS.newVoter().token(), id, 0);
    Live live = open(server, id, null);
    live.snapshot();
    // Setup only: that a lone write right after the snapshot arrives is the test above; this one is about closing.
    int cast = 1 + ballotsUntilTheFeedIsLive(live, id);

    JsonNode closed = json(alice.post("/api/polls/" + id + "/close", ""), 200);
    JsonNode tally = live.awaitTally(frame -> "closed".equals(frame.path("status").asText()), FRAME_TIMEOUT);
    assertEquals(votes(closed), counts(tally));
    assertEquals(cast, tally.path("totalBallots").asLong());
    assertEquals(closed.get("version").asLong(), tally.path("seq").asLong());
    live.assertNoTallyWithin(Duration.ofMillis(4 * INTERVAL_MS), "the closed tally is the final one");
  }

  /** Casts ballots for option 1 until one of them shows up as a tally on {@code live}; returns how many it cast. */
  private static int ballotsUntilTheFeedIsLive(Live live, String pollId) {
    long deadline = System.nanoTime() + FRAME_TIMEOUT.toNanos();
    for (int cast = 1; System.nanoTime() < deadline; cast++) {
      long total = vote(TOKENS.newVoter().token(), pollId, 1).get("totalBallots").asLong();
      Live.Frame frame = live.poll(TimeUnit.MILLISECONDS.toNanos(300));
      while (frame != null && frame.json().path("totalBallots").asLong() != total) {
        frame = live.poll(TimeUnit.MILLISECONDS.toNanos(300));
      }
      if (frame != null) {
        return cast;
      }
    }
    throw new AssertionError("no tally reached the socket within " + FRAME_TIMEOUT);
  }

  // ------------------------------------------------------------------------------------------- voting on the socket

  @Test
  void ballotOnTheSocketIsAcknowledgedWithItsRefAfterPersistence() {
    String id = newPoll(POLL);
    Live live = open(server, id, TOKENS.newVoter().token());
    live.snapshot();

    live.send(ballot("[1]", "first"));
    JsonNode ack = live.awaitRef("first");
    assertEquals("ack", ack.path("type").asText(), ack::toString);
    assertEquals(1, ack.path("totalBallots").asLong());
    JsonNode view = json(api.get("/api/polls/" + id), 200);
    assertEquals(List.of(0L, 1L), votes(view), "an acknowledged ballot is counted");
    assertEquals(view.get("version").asLong(), ack.path("seq").asLong(), "the ack's seq is the poll's version");

    // the same ballot again is acknowledged once more and counted once
    live.send(ballot("[1]", "again"));
    JsonNode again = live.awaitRef("again");
    assertEquals("ack", again.path("type").asText(), again::toString);
    assertEquals(1, again.path("totalBallots").asLong());
    // a change is allowed on this poll
    live.send(ballot("[0]", "change"));
    JsonNode changed = live.awaitRef("change");
    assertEquals("ack", changed.path("type").asText(), changed::toString);
    assertTrue(changed.path("seq").asLong() > ack.path("seq").asLong());
    assertEquals(List.of(1L, 0L), votes(json(api.get("/api/polls/" + id), 200)));
  }

  @Test
  void inviteTokenVotesOnItsOwnPoll() {
    String id = newPoll(INVITED_POLL);
    Live live = open(server, id, TOKENS.newInvitee(id).token());
    live.snapshot();
    live.send(ballot("[0]", "inv"));
    JsonNode ack = live.awaitRef("inv");
    assertEquals("ack", ack.path("type").asText(), ack::toString);
    assertEquals(1, json(alice.get("/api/polls/" + id), 200).get("totalBallots").asLong());
  }

  @Test
  void invalidBallotsAreErrorFrames400() {
    String id = newPoll(POLL);
    Live live = open(server, id, TOKENS.newVoter().token());
    live.snapshot();
    String[] invalid = {"[5]", "[-1]", "[]", "[0,1]", "[0,0]", "null"};
    for (int i = 0; i < invalid.length; i++) {
      live.send(ballot(invalid[i], "bad" + i));
      assertError(live.awaitRef("bad" + i), "bad" + i, 400);
    }
    assertEquals(0, json(api.get("/api/polls/" + id), 200).get("totalBallots").asLong());
  }

  @Test
  void votingWithoutATokenIsAnErrorFrame401() {
    String id = newPoll(POLL);
    Live live = open(server, id, null);
    live.snapshot();
    live.send(ballot("[0]", "anon"));
    assertError(live.awaitRef("anon"), "anon", 401);
    assertEquals(0, json(api.get("/api/polls/" + id), 200).get("totalBallots").asLong());
  }

  @Test
  void inviteForAnotherPollIsAnErrorFrame403OrNoSocketAtAllOnAnInvitedPoll() {
    String invited = newPoll(INVITED_POLL);
    String other = newPoll(INVITED_POLL);
    String open = newPoll(POLL);
    String token = TOKENS.newInvitee(other).token();
    Live live = open(server, open, token);
    live.snapshot();
    live.send(ballot("[0]", "elsewhere"));
    assertError(live.awaitRef("elsewhere"), "elsewhere", 403);
    assertEquals(0, json(api.get("/api/polls/" + open), 200).get("totalBallots").asLong());
    // an invited poll does not exist for a token of another poll
    assertHandshakeRefused(invited, token, 404);
    assertEquals(0, json(alice.get("/api/polls/" + invited), 200).get("totalBallots").asLong());
  }

  @Test
  void anInvitedPollHasNoSocketForAnyoneButItsOwnerAndInvitees() {
    String id = newPoll(INVITED_POLL);
    assertHandshakeRefused(id, TOKENS.newVoter().token(), 404);
    assertHandshakeRefused(id, null, 404);
    assertHandshakeRefused(id, TOKENS.organizer("mallory", false), 404);
    assertEquals("snapshot", open(server, id, TOKENS.organizer("alice", false)).next().path("type").asText());
    assertEquals("snapshot", open(server, id, TOKENS.newInvitee(id).token()).next().path("type").asText());
  }

  @Test
  void votingDifferentlyAgainWhereChangesAreNotAllowedIsAnErrorFrame409() {
    String id = newPoll(NO_CHANGE_POLL);
    Live live = open(server, id, TOKENS.newVoter().token());
    live.snapshot();
    live.send(ballot("[0]", "one"));
    assertEquals("ack", live.awaitRef("one").path("type").asText());
    live.send(ballot("[1]", "two"));
    assertError(live.awaitRef("two"), "two", 409);
    assertEquals(List.of(1L, 0L), votes(json(api.get("/api/polls/" + id), 200)));
  }

  /** A numbered ballot frame that reaches the poll after the voter's newer one is refused (409); the newer stands. */
  @Test
  void aLateOlderNumberedBallotFrameIsAnErrorFrame409() {
    String id = newPoll(POLL);
    Live live = open(server, id, TOKENS.newVoter().token());
    live.snapshot();
    live.send("{\"type\":\"ballot\",\"choices\":[1],\"ref\":\"newer\",\"seq\":7}");
    assertEquals("ack", live.awaitRef("newer").path("type").asText());
    live.send("{\"type\":\"ballot\",\"choices\":[0],\"ref\":\"older\",\"seq\":6}");
    assertError(live.awaitRef("older"), "older", 409);
    assertEquals(List.of(0L, 1L), votes(json(api.get("/api/polls/" + id), 200)));
  }

  @Test
  void votingOnAClosedPollIsAnErrorFrame409() {
    String id = newPoll(POLL);
    Live live = open(server, id, TOKENS.newVoter().token());
    live.snapshot();
    json(alice.post("/api/polls/" + id + "/close", ""), 200);
    live.send(ballot("[0]", "late"));
    assertError(live.awaitRef("late"), "late", 409);
    assertEquals(0, json(api.get("/api/polls/" + id), 200).get("totalBallots").asLong());
  }

  @Test
  void ballotsOverThePerVoterLimitAreErrorFrames429() {
    withServer("livepoll.limits.ballots-per-voter { per-second = 0.001, burst = 1 }", (limited, limitedApi) -> {
      String id = ApiClient.createdId(limitedApi.as(TOKENS.organizer("alice", false)).post("/api/polls", POLL));
      Live live = open(limited, id, TOKENS.newVoter().token());
      live.snapshot();
      live.send(ballot("[0]", "within"));
      assertEquals("ack", live.awaitRef("within").path("type").asText());
      live.send(ballot("[1]", "over"));
      assertError(live.awaitRef("over"), "over", 429);
      assertEquals(List.of(1L, 0L), votes(json(limitedApi.get("/api/polls/" + id), 200)),
          "the ballot over the limit changed nothing");
    });
  }

  @Test
  void framesOverThePerSocketRateAreErrorFrames429WithoutBeingRead() {
    withServer("livepoll.live.frames-per-socket { per-second = 0.001, burst = 2 }", (limited, limitedApi) -> {
      String id = ApiClient.createdId(limitedApi.as(TOKENS.organizer("alice", false)).post("/api/polls", POLL));
      Live live = open(limited, id, TOKENS.newVoter().token());
      live.snapshot();
      live.send(ballot("[0]", "first"));
      assertEquals("ack", live.awaitRef("first").path("type").asText());
      live.send(ballot("[1]", "second"));
      assertEquals("ack", live.awaitRef("second").path("type").asText());
      live.send(ballot("[0]", "third"));
      JsonNode refused = live.awaitType("error", "reply to the frame over the socket's rate");
      assertEquals(429, refused.path("status").asInt(), refused::toString);
      assertTrue(refused.path("ref").isNull(), () -> "a frame over the rate is not even read: " + refused);
      assertEquals(List.of(0L, 1L), votes(json(limitedApi.get("/api/polls/" + id), 200)),
          "the frame over the rate changed nothing");

      // the budget is per socket: another socket of the same voter's neighbour is unaffected
      Live other = open(limited, id, TOKENS.newVoter().token());
      other.snapshot();
      other.send(ballot("[0]", "elsewhere"));
      assertEquals("ack", other.awaitRef("elsewhere").path("type").asText());
    });
  }

  @Test
  void aSocketThatKeepsSendingBadFramesGetsAGoodbyeFrameAndIsClosed() {
    withServer("livepoll.live.max-bad-frames = 3", (limited, limitedApi) -> {
      String id = ApiClient.createdId(limitedApi.as(TOKENS.organizer("alice", false)).post("/api/polls", POLL));
      Live bad = open(limited, id, TOKENS.newVoter().token());
      Live watcher = open(limited, id, null);
      bad.snapshot();
      watcher.snapshot();

      bad.send("garbage");
      assertMalformed(bad.awaitType("error", "first bad frame"), "garbage");
      // refusals by the poll's rules are answers to well-formed frames, not abuse
      for (int i = 0; i < 5; i++) {
        bad.send(ballot("[7]", "rule" + i));
        assertError(bad.awaitRef("rule" + i), "rule" + i, 400);
      }
      bad.sendBinary(new byte[] {1, 2, 3});
      assertMalformed(bad.awaitType("error", "second bad frame"), "<binary>");
      assertFalse(bad.closed.isDone(), () -> "two bad frames are tolerated; closed: " + bad.describeClose());

      bad.send("[]");
      assertMalformed(bad.awaitType("error", "third bad frame"), "[]");
      JsonNode goodbye = bad.awaitType("error", "the goodbye frame");
      assertEquals(429, goodbye.path("status").asInt(), goodbye::toString);
      assertTrue(goodbye.path("detail").asText().contains("closes"), goodbye::toString);
      int code = assertDoesNotThrow(() -> bad.closed.get(5, TimeUnit.SECONDS), "the server closes the socket");
      // Pekko HTTP's server API closes with 1000 whatever the reason; the goodbye frame says why
      assertEquals(1000, code);

      // the watcher and the poll carry on
      vote(limitedApi, TOKENS.newVoter().token(), id, 1);
      JsonNode tally = watcher.awaitTally(frame -> frame.path("totalBallots").asLong() == 1, FRAME_TIMEOUT);
      assertEquals(List.of(0L, 1L), counts(tally));
      assertFalse(watcher.closed.isDone());
    });
  }

  // ------------------------------------------------------------------------------------------- malformed frames

  @Test
  void malformedFramesGetErrorFrames400AndTheSocketKeepsWorking() {
    String id = newPoll(POLL);
    Live live = open(server, id, TOKENS.newVoter().token());
    live.snapshot();

    String oversize = ballotPaddedTo(MAX_FRAME_CHARS + 1, "big");
    String[] malformed = {"garbage", "[]", "null", "{}", "{\"choices\":[0",
        "{\"type\":\"hello\",\"ref\":\"hello\"}", "{\"type\":\"ballot\",\"choices\":[0],\"ref\":\"x\",\"extra\":1}",
        "{\"type\":\"ballot\",\"choices\":\"0\",\"ref\":\"x\"}", oversize};
    for (String frame : malformed) {
      live.send(frame);
      assertMalformed(live.awaitType("error", "reply to " + abbreviate(frame)), frame);
    }

    live.sendBinary(new byte[] {'{', '}'});
    assertMalformed(live.awaitType("error", "reply to a binary frame"), "<binary>");

    live.sendBinary(new byte[200_000]);
    assertMalformed(live.awaitType("error", "reply to a large binary frame"), "<large binary>");

    assertEquals(0, json(api.get("/api/polls/" + id), 200).get("totalBallots").asLong());
    assertFalse(live.closed.isDone(), () -> "the socket is still open; closed: " + live.describeClose());

    // exactly at the limit is fine, and the socket still takes ballots
    live.send(ballotPaddedTo(MAX_FRAME_CHARS, "fits"));
    JsonNode ack = live.awaitRef("fits");
    assertEquals("ack", ack.path("type").asText(), ack::toString);
    assertEquals(1, ack.path("totalBallots").asLong());
  }

  /**
   * Oversize frames that reach the server in pieces: a text message sent in fragments (each under the limit, the
   * whole over it) and one large frame. Each is malformed like any other: an error frame, and the socket stays open.
   */
  @Test
  void oversizeFramesArrivingInPiecesGetErrorFrames400AndTheSocketKeepsWorking() {
    String id = newPoll(POLL);
    String fragment = " ".repeat(MAX_FRAME_CHARS / 2 + 10);
    List<String> broken = new ArrayList<>();
    for (String variant : List.of("fragments", "large")) {
      Live live = open(server, id, TOKENS.newVoter().token());
      live.snapshot();
      if (variant.equals("fragments")) {
        live.sendFragments(fragment, fragment, ballot("[0]", "fragments"));
      } else {
        live.send(ballotPaddedTo(100_000, "large"));
      }
      assertMalformed(live.awaitType("error", "reply to the " + variant + " oversize frame"), variant);
      try {
        live.send(ballot("[0]", "after-" + variant));
        JsonNode ack = live.awaitRef("after-" + variant);
        assertEquals("ack", ack.path("type").asText(), ack::toString);
      } catch (AssertionError e) {
        broken.add(variant + ": the next valid ballot got no ack (" + e.getMessage() + "; socket closed: "
            + live.describeClose() + ")");
      }
    }
    assertTrue(broken.isEmpty(), "an oversize frame killed the socket: " + broken);
  }

  @Test
  void unknownTypeErrorCarriesTheRef() {
    String id = newPoll(POLL);
    Live live = open(server, id, TOKENS.newVoter().token());
    live.snapshot();
    live.send("{\"type\":\"retract\",\"ref\":\"r7\"}");
    assertError(live.awaitRef("r7"), "r7", 400);
  }

  // ------------------------------------------------------------------------------------------- refused handshakes

  @Test
  void invalidTokenFailsTheHandshakeWith401() {
    String id = newPoll(POLL);
    String good = TOKENS.newVoter().token();
    String tampered = good.substring(0, good.length() - 2) + (good.endsWith("AA") ? "BB" : "AA");
    for (String token : List.of("not-a-jwt", tampered, "")) {
      assertHandshakeRefused(id, token, 401);
    }
  }

  @Test
  void unknownPollFailsTheHandshakeWith404() {
    assertHandshakeRefused(UNKNOWN_ID, null, 404);
    assertHandshakeRefused(UNKNOWN_ID, TOKENS.newVoter().token(), 404);
  }

  // ------------------------------------------------------------------------------------------- helpers

  private void assertHandshakeRefused(String pollId, String token, int status) {
    assertHandshakeRefused(server, pollId, token, status);
  }

  private void assertHandshakeRefused(LivepollServer target, String pollId, String token, int status) {
    CompletableFuture<WebSocket> handshake = WS_CLIENT.newWebSocketBuilder()
        .connectTimeout(Duration.ofSeconds(5))
        .buildAsync(uri(target, pollId, token), new WebSocket.Listener() {});
    try {
      WebSocket socket = handshake.get(10, TimeUnit.SECONDS);
      socket.abort();
      fail("the handshake for token " + token + " on poll " + pollId + " succeeded; expected " + status);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof WebSocketHandshakeException refused)) {
        throw new AssertionError("the handshake failed without an HTTP answer", e);
      }
      assertEquals(status, refused.getResponse().statusCode(), "token " + token + " on poll " + pollId);
      assertEquals("application/problem+json", refused.getResponse().headers().firstValue("content-type")
          .map(type -> type.split(";")[0].strip()).orElse(""));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static void assertError(JsonNode frame, String ref, int status) {
    assertEquals("error", frame.path("type").asText(), frame::toString);
    assertEquals(ref, frame.path("ref").asText(null), frame::toString);
    assertEquals(status, frame.path("status").asInt(), frame::toString);
    assertFalse(frame.path("title").asText("").isBlank(), frame::toString);
    assertFalse(frame.path("detail").asText("").isBlank(), frame::toString);
  }

  private static void assertMalformed(JsonNode frame, String sent) {
    assertEquals(400, frame.path("status").asInt(), () -> "sent " + abbreviate(sent) + ", got " + frame);
    assertFalse(frame.path("title").asText("").isBlank(), frame::toString);
    assertFalse(frame.path("detail").asText("").isBlank(), frame::toString);
  }

  private static void assertTallyShape(JsonNode tally) {
    for (String field : List.of("type", "counts", "totalBallots", "status", "seq")) {
      assertTrue(tally.has(field), () -> "tally without " + field + ": " + tally);
    }
  }

  private static void assertSeqStrictlyIncreasing(long after, List<Live.Frame> tallies) {
    long previous = after;
    for (Live.Frame frame : tallies) {
      long seq = frame.json().path("seq").asLong();
      assertTrue(seq > previous, "seq " + seq + " after " + previous + " in " + tallies);
      previous = seq;
    }
  }

  @Test
  void aNodeThatShutsDownSaysSoOnEverySocketAndClosesItInsteadOfLeavingItHanging() {
    withServer("", (own, ownApi) -> {
      ApiClient.Reply created = ownApi.as(TOKENS.organizer("alice", false)).post("/api/polls", POLL);
      assertEquals(201, created.status(), created::toString);
      Live live = open(own, ApiClient.createdId(created), TOKENS.newVoter().token());
      live.snapshot();

      long start = System.nanoTime();
      CompletableFuture<Void> stopping = CompletableFuture.runAsync(own::stop);
      JsonNode leaving = live.await(frame -> "error".equals(frame.path("type").asText()), FRAME_TIMEOUT,
          "the node-leaving frame");
      assertEquals(503, leaving.path("status").asInt(), leaving::toString);
      assertEquals("Node leaving", leaving.path("title").asText(), leaving::toString);
      assertEquals(1000, assertDoesNotThrow(() -> live.closed.get(FRAME_TIMEOUT.toSeconds(), TimeUnit.SECONDS)));
      System.out.printf("LiveSocketTest: shutdown began -> socket closed in %d ms%n",
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
      assertDoesNotThrow(() -> stopping.get(2, TimeUnit.MINUTES));
    });
  }

  @Test
  void socketsThatOpenAndCloseStartNoThreadEach() throws Exception {
    // Pekko's Java futures run even whenComplete on the JDK's default async executor, which starts a thread per
    // callback when its pool has one thread (two cores; surefire pins it so for every run). A socket's end and its
    // connection's end must name their executors. The client here is a plain socket: the JDK's WebSocket client
    // itself starts a thread per handshake that way.
    String id = newPoll(POLL);
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    long before = 0;
    for (int i = 0; i < 65; i++) {
      if (i == 5) {
        // the first few warm up what starts once
        Thread.sleep(500);
        before = threads.getTotalStartedThreadCount();
      }
      try (support.RawConnection socket =
          support.RawConnection.upgrade("127.0.0.1", server.httpPort(), id, List.of())) {
        assertEquals(101, socket.status(), socket::head);
        // the snapshot frame's first two bytes: the socket runs
        socket.skip(2);
      }
    }
    // the server ends each socket's stream just after its client went: give the last ones that moment
    Thread.sleep(1_000);
    long started = threads.getTotalStartedThreadCount() - before;
    assertTrue(started < 30, started + " threads started for 60 sockets opened and closed");
  }

  @Test
  void aNodeHoldingItsMaximumOfSocketsRefusesMoreWith503UntilOneCloses() {
    withServer("livepoll.live.max-sockets = 2", (own, ownApi) -> {
      ApiClient.Reply created = ownApi.as(TOKENS.organizer("alice", false)).post("/api/polls", POLL);
      assertEquals(201, created.status(), created::toString);
      String id = ApiClient.createdId(created);
      Live first = open(own, id, null);
      first.snapshot();
      open(own, id, null).snapshot();
      assertHandshakeRefused(own, id, null, 503);
      first.abort();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      Live third = null;
      while (third == null && System.nanoTime() < deadline) {
        try {
          Live attempt = open(own, id, null);
          attempt.snapshot();
          third = attempt;
        } catch (AssertionError | RuntimeException stillFull) {
          sleep(100);
        }
      }
      assertNotNull(third, "a socket is accepted again once one has closed");
    });
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String ballot(String choices, String ref) {
    return "{\"type\":\"ballot\",\"choices\":" + choices + ",\"ref\":\"" + ref + "\"}";
  }

  /** A valid ballot of exactly {@code chars} characters, made long with whitespace. */
  private static String ballotPaddedTo(int chars, String ref) {
    String head = "{\"type\":\"ballot\",\"choices\":[0],";
    String tail = "\"ref\":\"" + ref + "\"}";
    return head + " ".repeat(chars - head.length() - tail.length()) + tail;
  }

  private static String abbreviate(String text) {
    return text.length() <= 80 ? text : text.substring(0, 60) + "...(" + text.length() + " chars)";
  }

  private static String newPoll(String body) {
    ApiClient.Reply reply = alice.post("/api/polls", body);
    assertEquals(201, reply.status(), reply::toString);
    return ApiClient.createdId(reply);
  }

  private static JsonNode vote(String token, String pollId, int choice) {
    return vote(api, token, pollId, choice);
  }

  private static JsonNode vote(ApiClient on, String token, String pollId, int choice) {
    return json(on.as(token).post("/api/polls/" + pollId + "/ballots", "{\"choices\":[" + choice + "]}"), 200);
  }

  /** Runs {@code test} against a server of its own with {@code overrides}, then stops it and its sockets. */
  private void withServer(String overrides, java.util.function.BiConsumer<LivepollServer, ApiClient> test) {
    LivepollServer own = LivepollServer.startNode(TestConfig.inMemory(overrides));
    try {
      test.accept(own, new ApiClient(own.httpPort()));
    } finally {
      for (Live live : opened) {
        live.abort();
      }
      own.stop();
    }
  }

  private static JsonNode json(ApiClient.Reply reply, int status) {
    assertEquals(status, reply.status(), reply::toString);
    return reply.json();
  }



  private static List<Tokens.VoterToken> mintVoters(int count) {
    List<Tokens.VoterToken> minted = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      minted.add(TOKENS.newVoter());
    }
    return minted;
  }

  /** Voter i votes for option i mod 3, all at once over REST; returns when the last ballot is acknowledged. */
  private static long castConcurrently(String pollId, List<Tokens.VoterToken> crowd) throws Exception {
    List<CompletableFuture<ApiClient.Reply>> replies = new ArrayList<>();
    for (int i = 0; i < crowd.size(); i++) {
      String token = crowd.get(i).token();
      String body = "{\"choices\":[" + (i % 3) + "]}";
      replies.add(CompletableFuture.supplyAsync(
          () -> api.as(token).post("/api/polls/" + pollId + "/ballots", body), voters));
    }
    for (CompletableFuture<ApiClient.Reply> reply : replies) {
      ApiClient.Reply answer = reply.get(30, TimeUnit.SECONDS);
      assertEquals(200, answer.status(), answer::toString);
    }
    return System.nanoTime();
  }

  private static URI uri(LivepollServer target, String pollId, String token) {
    String query = token == null ? "" : "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
    return URI.create("ws://127.0.0.1:" + target.httpPort() + "/api/polls/" + pollId + "/live" + query);
  }

  private Live open(LivepollServer target, String pollId, String token) {
    return open(target, pollId, token, false);
  }

  /** A socket whose listener, when {@code slow}, reads the first frame and then nothing until resumed. */
  private Live open(LivepollServer target, String pollId, String token, boolean slow) {
    Live live = LiveSocketClient.open(target.httpPort(), pollId, token, new Live(slow));
    opened.add(live);
    return live;
  }

  /** One client socket: every frame it reads, parsed, in a queue; a slow one stops reading after the first. */
  private static final class Live extends LiveSocketClient {
    final BlockingQueue<Frame> frames = new LinkedBlockingQueue<>();
    private final boolean slow;
    private volatile boolean resumed;
    private int reads;

    Live(boolean slow) {
      this.slow = slow;
    }

    @Override
    protected void onFrame(Frame frame) {
      frames.add(frame);
      reads++;
    }

    @Override
    protected boolean readsOn() {
      return !slow || resumed || reads == 0;
    }

    void resume() {
      resumed = true;
      socket.request(1);
    }

    /** The next frame within {@link #FRAME_TIMEOUT}. */
    JsonNode next() {
      Frame frame = poll(FRAME_TIMEOUT.toNanos());
      if (frame == null) {
        throw new AssertionError("no frame within " + FRAME_TIMEOUT + " (socket closed: " + describeClose() + ")");
      }
      return frame.json();
    }

    JsonNode snapshot() {
      JsonNode first = next();
      assertEquals("snapshot", first.path("type").asText(), () -> "the first frame is not a snapshot: " + first);
      return first;
    }

    /** The first frame matching {@code wanted}, skipping others, within {@code timeout}. */
    JsonNode await(Predicate<JsonNode> wanted, Duration timeout, String what) {
      long deadline = System.nanoTime() + timeout.toNanos();
      List<JsonNode> skipped = new ArrayList<>();
      while (true) {
        Frame frame = pollUntil(frames, deadline);
        if (frame == null) {
          throw new AssertionError("no " + what + " within " + timeout + "; frames meanwhile: " + skipped
              + " (socket closed: " + describeClose() + ")");
        }
        if (wanted.test(frame.json())) {
          return frame.json();
        }
        skipped.add(frame.json());
      }
    }

    JsonNode awaitTally(Predicate<JsonNode> wanted, Duration timeout) {
      return await(frame -> "tally".equals(frame.path("type").asText()) && wanted.test(frame), timeout,
          "matching tally frame");
    }

    JsonNode awaitRef(String ref) {
      return await(frame -> ref.equals(frame.path("ref").asText(null)), FRAME_TIMEOUT, "frame with ref " + ref);
    }

    JsonNode awaitType(String type, String what) {
      return await(frame -> type.equals(frame.path("type").asText()), FRAME_TIMEOUT, what);
    }

    /**
     * Every tally frame up to and including the first that matches {@code done}, which must arrive within
     * {@code timeout} of {@code from} (a System.nanoTime instant). Any other kind of frame fails.
     */
    List<Frame> tallyFramesUntil(Predicate<Frame> done, long from, Duration timeout) {
      long deadline = from + timeout.toNanos();
      List<Frame> tallies = new ArrayList<>();
      while (true) {
        Frame frame = pollUntil(frames, deadline);
        if (frame == null) {
          throw new AssertionError("the latest state did not arrive within " + timeout + "; tallies: " + tallies
              + " (socket closed: " + describeClose() + ")");
        }
        assertEquals("tally", frame.json().path("type").asText(), () -> "unexpected frame " + frame);
        tallies.add(frame);
        if (done.test(frame)) {
          return tallies;
        }
      }
    }

    void assertNoTallyWithin(Duration quiet, String why) {
      Frame extra = poll(quiet.toNanos());
      assertNull(extra, () -> why + "; then came " + extra);
    }

    private Frame poll(long nanos) {
      try {
        return frames.poll(Math.max(0, nanos), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
