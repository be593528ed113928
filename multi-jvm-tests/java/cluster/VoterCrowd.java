package cluster;

import auth.Tokens;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import support.ApiClient;
import support.TestConfig;

/**
 * Voters casting ballots over REST through the nodes they are pointed at, each ballot by a new voter, as clients
 * behind a load balancer do: a 503 is retried after its Retry-After, a broken connection at once on the next node,
 * until the ballot is acknowledged. Retrying is safe because a voter's identical ballot counts once. Any other
 * answer to such a ballot is wrong, and is kept as such.
 */
final class VoterCrowd implements AutoCloseable {
  private static final Tokens TOKENS = TestConfig.tokens();
  /** A ballot not acknowledged after this long is given up on (and fails the test). */
  private static final Duration GIVE_UP_AFTER = Duration.ofSeconds(90);

  private final List<String> polls;
  private final int options;
  private final Duration pause;
  private volatile List<ServerNode> targets;
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> voters = new ArrayList<>();
  private final Map<String, AtomicLongArray> acknowledged = new HashMap<>();
  private final LongAdder ballots = new LongAdder();
  private final LongAdder unavailable = new LongAdder();
  private final LongAdder brokenConnections = new LongAdder();
  private final LongAdder retriedBallots = new LongAdder();
  private final AtomicLong longestWaitNanos = new AtomicLong();
  /** When the crowd's latest ballot was acknowledged, and the longest time the whole crowd went without an ack. */
  private final AtomicLong lastAckNanos = new AtomicLong();
  private final AtomicLong longestStallNanos = new AtomicLong();
  private final List<String> wrongAnswers = Collections.synchronizedList(new ArrayList<>());
  private final List<String> givenUp = Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger nextTarget = new AtomicInteger();
  private final java.util.function.Consumer<VoterCrowd> onStop;
  private boolean stopped = false;

  /**
   * Starts {@code count} voters, each pausing {@code pause} between its ballots; {@code onStop} sees the crowd once
   * every voter has stopped.
   */
  VoterCrowd(List<String> polls, int options, List<ServerNode> targets, int count, Duration pause,
      java.util.function.Consumer<VoterCrowd> onStop) {
    this.onStop = onStop;
    this.polls = List.copyOf(polls);
    this.options = options;
    this.pause = pause;
    this.targets = List.copyOf(targets);
    polls.forEach(poll -> acknowledged.put(poll, new AtomicLongArray(options)));
    for (int i = 0; i < count; i++) {
      int voter = i;
      Thread thread = new Thread(() -> vote(voter), "voter-" + i);
      thread.setDaemon(true);
      voters.add(thread);
      thread.start();
    }
  }

  /** Points the voters at other nodes, as a load balancer does when a node leaves or comes back. */
  void pointAt(List<ServerNode> nodes) {
    targets = List.copyOf(nodes);
  }

  private void vote(int voter) {
    java.util.Random random = new java.util.Random(voter);
    while (running.get()) {
      String poll = polls.get(random.nextInt(polls.size()));
      int choice = random.nextInt(options);
      castUntilAcknowledged(poll, TOKENS.newVoter().token(), choice);
      TestCluster.sleep(pause.toMillis());
    }
  }

  private void castUntilAcknowledged(String poll, String voterToken, int choice) {
    long start = System.nanoTime();
    long giveUp = start + GIVE_UP_AFTER.toNanos();
    String body = "{\"choices\":[" + choice + "]}";
    boolean retried = false;
    while (System.nanoTime() < giveUp) {
      List<ServerNode> now = targets;
      ServerNode node = now.get(Math.floorMod(nextTarget.getAndIncrement(), now.size()));
      ApiClient.Reply reply;
      try {
        reply = node.api().as(voterToken).post("/api/polls/" + poll + "/ballots", body);
      } catch (UncheckedIOException broken) {
        // the node went away mid-request or refuses connections: the ballot may or may not be recorded
        brokenConnections.increment();
        retried = true;
        TestCluster.sleep(100);
        continue;
      }
      if (reply.status() == 200) {
        acknowledged.get(poll).incrementAndGet(choice);
        ballots.increment();
        if (retried) {
          retriedBallots.increment();
        }
        long ackedAt = System.nanoTime();
        longestWaitNanos.accumulateAndGet(ackedAt - start, Math::max);
        long previous = lastAckNanos.getAndSet(ackedAt);
        if (previous != 0) {
          longestStallNanos.accumulateAndGet(ackedAt - previous, Math::max);
        }
        return;
      }
      if (reply.status() == 503 && reply.header("retry-after").isPresent()) {
        unavailable.increment();
        retried = true;
        TestCluster.sleep(Long.parseLong(reply.header("retry-after").get()) * 1000);
        continue;
      }
      wrongAnswers.add(node + " answered a new voter's ballot on " + poll + " with " + reply);
      return;
    }
    givenUp.add(poll + " option " + choice);
  }

  /** Stops the voters after their current ballot is acknowledged (or given up on). */
  @Override
  public synchronized void close() {
    if (stopped) {
      return;
    }
    stopped = true;
    running.set(false);
    for (Thread voter : voters) {
      try {
        voter.join(GIVE_UP_AFTER.toMillis() + 30_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    onStop.accept(this);
  }

  /** Acknowledged ballots of a poll, per option. */
  List<Long> acknowledged(String poll) {
    AtomicLongArray counts = acknowledged.get(poll);
    List<Long> list = new ArrayList<>();
    for (int i = 0; i < counts.length(); i++) {
      list.add(counts.get(i));
    }
    return list;
  }

  /** Two per-option counts added up. */
  static List<Long> add(List<Long> a, List<Long> b) {
    List<Long> sum = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      sum.add(a.get(i) + b.get(i));
    }
    return sum;
  }

  long ballots() {
    return ballots.sum();
  }

  /** Requests that did not get an answer: 503 (with Retry-After) and broken or refused connections. */
  long failedRequests() {
    return unavailable.sum() + brokenConnections.sum();
  }

  List<String> wrongAnswers() {
    return List.copyOf(wrongAnswers);
  }

  List<String> givenUp() {
    return List.copyOf(givenUp);
  }

  /** The longest time in which no voter of the crowd got a ballot acknowledged: how long writes stalled. */
  long longestStallMillis() {
    return Duration.ofNanos(longestStallNanos.get()).toMillis();
  }

  String summary() {
    return String.format("%d ballots acknowledged; failed requests: %d (503 + Retry-After: %d, broken or refused "
            + "connections: %d), ballots that needed a client retry: %d; longest wait for an ack: %d ms",
        ballots(), failedRequests(), unavailable.sum(), brokenConnections.sum(), retriedBallots.sum(),
        Duration.ofNanos(longestWaitNanos.get()).toMillis());
  }
}
