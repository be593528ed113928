package live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import actors.TallyUpdate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscriber;
import org.reactivestreams.Subscription;

/**
 * The node's fan-out on its own: polls whose state the test sets (each feed re-reads it), sockets as plain stream
 * subscribers, fast or stalled.
 */
class FanoutTest {
  private static final Duration SLOW_READER_TIMEOUT = Duration.ofMillis(400);
  private static ActorTestKit testKit;

  /** The current state of each poll, as the feeds read it. */
  private final Map<String, TallyUpdate> polls = new ConcurrentHashMap<>();
  private final Fanout<String> fanout = new Fanout<>(testKit.system(),
      pollId -> CompletableFuture.completedFuture(Optional.ofNullable(polls.get(pollId))),
      settings(Duration.ofMillis(30), SLOW_READER_TIMEOUT, Duration.ZERO, Duration.ZERO),
      update -> "tally " + update.seq(), "keep-alive");

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** Tallies at most every 20 ms; the rest as the test needs (zero: no keep-alive frames, no lease sweep). */
  private static Fanout.Settings settings(Duration resync, Duration slowReader, Duration keepAlive,
      Duration leaseCheck) {
    return new Fanout.Settings(Duration.ofMillis(20), resync, slowReader, keepAlive, leaseCheck);
  }

  private void set(String pollId, long seq) {
    polls.put(pollId, new TallyUpdate(pollId, List.of(seq), seq, "open", seq));
  }

  @Test
  void aSocketGetsItsSnapshotThenEachNewerStateOnceAndInOrder() throws Exception {
    set("p1", 3);
    Reader reader = Reader.open(fanout, "p1", 3, Long.MAX_VALUE);
    reader.awaitFrames(1);
    set("p1", 5);
    reader.awaitLast("tally 5");
    set("p1", 9);
    reader.awaitLast("tally 9");
    Thread.sleep(200); // several re-reads of the same state
    assertEquals(List.of("snapshot 3", "tally 5", "tally 9"), reader.frames);
  }

  @Test
  void aStateOlderThanTheSnapshotIsNeverSent() throws Exception {
    set("p2", 4);
    Reader reader = Reader.open(fanout, "p2", 10, Long.MAX_VALUE);
    Thread.sleep(500);
    set("p2", 11);
    reader.awaitLast("tally 11");
    assertEquals(List.of("snapshot 10", "tally 11"), reader.frames);
  }

  @Test
  void aBurstReachesASocketAsItsLatestStateNotAsABacklog() throws Exception {
    set("p3", 0);
    Reader reader = Reader.open(fanout, "p3", 0, Long.MAX_VALUE);
    reader.awaitFrames(1);
    for (int seq = 1; seq <= 200; seq++) {
      set("p3", seq);
      Thread.sleep(1);
    }
    reader.awaitLast("tally 200");
    assertTrue(reader.frames.size() < 100, "conflated: " + reader.frames.size() + " frames for 200 states");
    reader.assertIncreasing();
  }

  @Test
  void aReaderThatTakesNothingWhileItsPollChangesIsCutOff() throws Exception {
    set("p4", 1);
    Reader stalled = Reader.open(fanout, "p4", 1, 1);
    Reader fast = Reader.open(fanout, "p4", 1, Long.MAX_VALUE);
    long started = System.nanoTime();
    for (int seq = 2; stalled.error.get() == null && seq < 400; seq++) {
      set("p4", seq);
      Thread.sleep(10);
    }
    Throwable error = stalled.awaitError();
    assertInstanceOf(LatestFrame.SlowReader.class, error);
    long after = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertTrue(after >= SLOW_READER_TIMEOUT.toMillis(), "cut off after " + after + " ms");
    assertEquals(List.of("snapshot 1"), stalled.frames);
    assertNull(fast.error.get(), "a fast reader on the same poll is not cut off");
    fast.assertIncreasing();
  }

  @Test
  void aReaderOfAQuietPollIsNotCutOff() throws Exception {
    set("p5", 7);
    Reader stalled = Reader.open(fanout, "p5", 7, 1);
    Thread.sleep(3 * SLOW_READER_TIMEOUT.toMillis());
    assertNull(stalled.error.get());
    assertEquals(List.of("snapshot 7"), stalled.frames);
  }

  @Test
  void leavingSendsTheLastFrameToEverySocketAndEndsThemAndSocketsOpenedLaterToo() throws Exception {
    Fanout<String> leaving = new Fanout<>(testKit.system(),
        pollId -> CompletableFuture.completedFuture(Optional.ofNullable(polls.get(pollId))),
        settings(Duration.ofMillis(30), SLOW_READER_TIMEOUT, Duration.ZERO, Duration.ZERO),
        update -> "tally " + update.seq(), "keep-alive");
    set("p6", 1);
    List<CompletableFuture<List<String>>> sockets = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      sockets.add(leaving.frames("p6", 1, "snapshot 1")
          .runWith(Sink.seq(), testKit.system()).toCompletableFuture());
    }
    Thread.sleep(300);
    leaving.leave("node leaving");
    for (CompletableFuture<List<String>> socket : sockets) {
      List<String> frames = socket.get(5, TimeUnit.SECONDS);
      assertEquals("snapshot 1", frames.get(0));
      assertEquals("node leaving", frames.get(frames.size() - 1));
    }
    assertEquals(List.of("snapshot 1", "node leaving"), leaving.frames("p6", 1, "snapshot 1")
        .runWith(Sink.seq(), testKit.system()).toCompletableFuture().get(5, TimeUnit.SECONDS));
  }

  /** A deleted poll (its feed reads the "gone" update) ends every socket on it with the deletion's frame. */
  @Test
  void aDeletedPollsSocketsGetTheLastFrameAndEndAndNoLongerCount() throws Exception {
    Fanout<String> fanout = new Fanout<>(testKit.system(),
        pollId -> CompletableFuture.completedFuture(Optional.ofNullable(polls.get(pollId))),
        settings(Duration.ofMillis(30), SLOW_READER_TIMEOUT, Duration.ZERO, Duration.ZERO),
        update -> update.gone() ? "poll deleted" : "tally " + update.seq(), "keep-alive");
    set("p9", 2);
    List<CompletableFuture<List<String>>> sockets = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      sockets.add(fanout.frames("p9", 2, "snapshot 2").runWith(Sink.seq(), testKit.system()).toCompletableFuture());
    }
    Thread.sleep(200);
    assertEquals(20, fanout.sockets());
    polls.put("p9", TallyUpdate.gone("p9"));
    for (CompletableFuture<List<String>> socket : sockets) {
      List<String> frames = socket.get(5, TimeUnit.SECONDS);
      assertEquals("snapshot 2", frames.get(0));
      assertEquals("poll deleted", frames.get(frames.size() - 1));
    }
    assertEquals(0, fanout.sockets());
  }

  @Test
  void thousandsOfSocketsAllEndOnTheLatestStateAndThePollsFeedStopsWithTheLastOne() throws Exception {
    set("p7", 0);
    List<Reader> readers = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      readers.add(Reader.open(fanout, "p7", 0, Long.MAX_VALUE));
    }
    for (int seq = 1; seq <= 100; seq++) {
      set("p7", seq);
      Thread.sleep(2);
    }
    for (Reader reader : readers) {
      reader.awaitLast("tally 100");
      reader.assertIncreasing();
    }
    assertEquals(1, fanout.watchedPolls(), "one feed for the poll, however many sockets");
    readers.forEach(Reader::cancel);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (fanout.watchedPolls() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertEquals(0, fanout.watchedPolls(), "the feed stops when its last socket leaves");
  }

  @Test
  void aFeedReReadsItsPollAtGrowingIntervalsAndSoonAgainAfterAMembershipChange() throws Exception {
    java.util.concurrent.atomic.AtomicInteger reads = new java.util.concurrent.atomic.AtomicInteger();
    Fanout<String> counting = new Fanout<>(testKit.system(), pollId -> {
      reads.incrementAndGet();
      return CompletableFuture.completedFuture(Optional.ofNullable(polls.get(pollId)));
    }, settings(Duration.ofSeconds(60), SLOW_READER_TIMEOUT, Duration.ZERO, Duration.ZERO),
        update -> "tally " + update.seq(), "keep-alive");
    set("p8", 1);
    Reader reader = Reader.open(counting, "p8", 1, Long.MAX_VALUE);
    Thread.sleep(3_000);
    // at 0.3, 0.9 and 2.1 s: not every few milliseconds, and not never
    int early = reads.get();
    assertTrue(early >= 2 && early <= 4, early + " reads in 3 s");
    counting.resyncAll();
    Thread.sleep(700);
    assertTrue(reads.get() > early, "read again soon after a membership change");
    set("p8", 2);
    counting.resyncAll();
    reader.awaitLast("tally 2");
  }

  @Test
  void aQuietSocketGetsKeepAliveFramesAndABusyOneNone() throws Exception {
    Duration every = Duration.ofMillis(300);
    Fanout<String> keeping = new Fanout<>(testKit.system(),
        pollId -> CompletableFuture.completedFuture(Optional.ofNullable(polls.get(pollId))),
        settings(Duration.ofMillis(30), Duration.ofSeconds(30), every, Duration.ZERO),
        update -> "tally " + update.seq(), "keep-alive");
    set("p9", 1);
    set("p10", 1);
    Reader quiet = Reader.open(keeping, "p9", 1, Long.MAX_VALUE);
    Reader busy = Reader.open(keeping, "p10", 1, Long.MAX_VALUE);
    Reader stalled = Reader.open(keeping, "p9", 1, 1);
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    for (int seq = 2; System.nanoTime() < until; seq++) {
      set("p10", seq);
      Thread.sleep(50);
    }
    long keepAlives = quiet.frames.stream().filter("keep-alive"::equals).count();
    // 2 s of quiet: one frame after 300-400 ms of silence each time, so 4 to 6 of them
    assertTrue(keepAlives >= 3 && keepAlives <= 7, quiet.frames.toString());
    assertTrue(busy.frames.stream().noneMatch("keep-alive"::equals), "a socket that gets tallies needs no keep-alive");
    assertEquals(List.of("snapshot 1"), stalled.frames, "a socket that reads nothing is sent nothing more");
    // the tallies go on after keep-alives, in order
    set("p9", 2);
    quiet.awaitLast("tally 2");
    assertEquals("snapshot 1", quiet.frames.get(0));
    assertEquals(List.of("tally 2"), quiet.frames.stream().filter(frame -> frame.startsWith("tally")).toList());
  }

  @Test
  void aSocketWhoseLeaseEndsGetsTheLeasesLastFrameAndEndsWhileOthersStay() throws Exception {
    Fanout<String> leasing = new Fanout<>(testKit.system(),
        pollId -> CompletableFuture.completedFuture(Optional.ofNullable(polls.get(pollId))),
        settings(Duration.ofMillis(30), SLOW_READER_TIMEOUT, Duration.ZERO, Duration.ofMillis(100)),
        update -> "tally " + update.seq(), "keep-alive");
    set("p11", 1);
    java.util.concurrent.atomic.AtomicBoolean revoked = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
    CompletableFuture<List<String>> leased = leasing.frames("p11", 1, "snapshot 1", () -> {
      asked.incrementAndGet();
      return revoked.get() ? Optional.of("token revoked") : Optional.empty();
    }).runWith(Sink.seq(), testKit.system()).toCompletableFuture();
    Reader free = Reader.open(leasing, "p11", 1, Long.MAX_VALUE);
    Thread.sleep(500);
    assertTrue(asked.get() >= 2, "the sweep asks the lease every 100 ms: " + asked.get() + " times in 500 ms");
    assertTrue(!leased.isDone(), "a lease that holds keeps its socket");
    set("p11", 2);
    free.awaitLast("tally 2");
    revoked.set(true);
    List<String> frames = leased.get(5, TimeUnit.SECONDS);
    assertEquals(List.of("snapshot 1", "tally 2", "token revoked"), frames);
    int askedWhenEnded = asked.get();
    set("p11", 3);
    free.awaitLast("tally 3");
    Thread.sleep(300);
    assertEquals(askedWhenEnded, asked.get(), "an ended lease is not asked again");
    assertEquals(1, leasing.sockets(), "the ended socket left its audience; the other stays");
  }

  /** A socket's reader: takes {@code demand} frames, then nothing more (a stalled client) unless unbounded. */
  private static final class Reader implements Subscriber<String> {
    final List<String> frames = new CopyOnWriteArrayList<>();
    final AtomicReference<Throwable> error = new AtomicReference<>();
    final CompletableFuture<Throwable> failed = new CompletableFuture<>();
    private final long demand;
    private volatile Subscription subscription;

    private Reader(long demand) {
      this.demand = demand;
    }

    static Reader open(Fanout<String> fanout, String pollId, long seq, long demand) {
      Reader reader = new Reader(demand);
      fanout.frames(pollId, seq, "snapshot " + seq).runWith(Sink.fromSubscriber(reader), testKit.system());
      return reader;
    }

    @Override
    public void onSubscribe(Subscription subscription) {
      this.subscription = subscription;
      subscription.request(demand);
    }

    @Override
    public void onNext(String frame) {
      frames.add(frame);
    }

    @Override
    public void onError(Throwable failure) {
      error.set(failure);
      failed.complete(failure);
    }

    @Override
    public void onComplete() {}

    void cancel() {
      subscription.cancel();
    }

    void awaitFrames(int count) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (frames.size() < count && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertTrue(frames.size() >= count, "frames: " + frames);
    }

    void awaitLast(String frame) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while ((frames.isEmpty() || !frames.get(frames.size() - 1).equals(frame)) && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(frame, frames.get(frames.size() - 1), "frames: " + frames);
    }

    Throwable awaitError() throws Exception {
      return failed.get(5, TimeUnit.SECONDS);
    }

    void assertIncreasing() {
      long last = -1;
      for (String frame : frames) {
        long seq = Long.parseLong(frame.substring(frame.indexOf(' ') + 1));
        assertTrue(seq > last, "in order, each once: " + frames);
        last = seq;
      }
    }
  }
}
