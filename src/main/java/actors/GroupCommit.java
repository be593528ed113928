package actors;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Group commit in front of a single writer: requests that arrive while a write is in flight wait, and go out together
 * as the next write as soon as it is done. Writes also start at most once per {@code interval}: an idle writer gets a
 * lone request at once, a busy one gathers what arrives within the interval, up to {@code maxBatch} per write, so
 * its writes per second stay bounded however many requests arrive. The queue is bounded, and a write that never
 * reports back ends after {@code writeTimeout} so the queue never waits for it forever.
 *
 * <p>Not an actor: the actor that owns it calls it from its own message handlers only.
 */
final class GroupCommit<R> {
  /** The timer message of a write that did not report back in time; the owner hands it to {@link #done}. */
  record TimedOut(Object key, long batchId) {}

  /** The timer message that starts a write once the interval since the last one has passed; see {@link #due}. */
  record Due(Object key) {}

  /** One write: its id, which its writer reports back, and its requests in arrival order. */
  record Batch<R>(long id, List<R> requests) {}

  private final int maxBatch;
  private final int maxQueued;
  private final Duration writeTimeout;
  private final long intervalNanos;
  private final TimerScheduler<Object> timers;
  private final Consumer<Batch<R>> write;
  private final ArrayDeque<R> queue = new ArrayDeque<>();
  private final Object timeoutKey = new Object();
  private final Object dueKey = new Object();
  private long inFlight = -1;
  private long nextBatchId = 0;
  private long lastWriteAt = Long.MIN_VALUE / 2;

  /** {@code write} hands a batch to the writer, which reports back through {@link #done}. */
  GroupCommit(int maxBatch, int maxQueued, Duration interval, Duration writeTimeout, TimerScheduler<Object> timers,
      Consumer<Batch<R>> write) {
    this.maxBatch = maxBatch;
    this.maxQueued = maxQueued;
    this.intervalNanos = interval.toNanos();
    this.writeTimeout = writeTimeout;
    this.timers = timers;
    this.write = write;
  }

  /** Queues a request; it is written at once if the writer is idle; false when the queue is full. */
  boolean offer(R request) {
    if (queue.size() >= maxQueued) {
      return false;
    }
    queue.add(request);
    writeIfDue();
    return true;
  }

  /** The write {@code batchId} is over (written, failed or timed out): the next one goes out when due. */
  void done(long batchId) {
    if (batchId != inFlight) {
      return;
    }
    timers.cancel(timeoutKey);
    inFlight = -1;
    writeIfDue();
  }

  /** The interval since the last write has passed. */
  void due() {
    writeIfDue();
  }

  private void writeIfDue() {
    if (inFlight >= 0 || queue.isEmpty() || timers.isTimerActive(dueKey)) {
      return;
    }
    long wait = lastWriteAt + intervalNanos - System.nanoTime();
    if (wait > 0 && queue.size() < maxBatch) {
      timers.startSingleTimer(dueKey, new Due(dueKey), Duration.ofNanos(wait));
    } else {
      writeNext();
    }
  }

  /**
   * When write {@code batchId} went out ({@link System#nanoTime()}), while it is the one in flight; empty once it is
   * over (done or timed out).
   */
  OptionalLong startedAt(long batchId) {
    return batchId == inFlight ? OptionalLong.of(lastWriteAt) : OptionalLong.empty();
  }

  /** Nothing in flight and nothing waiting. */
  boolean idle() {
    return inFlight < 0 && queue.isEmpty();
  }

  /** Takes every waiting request out of the queue (their owner answers them otherwise). */
  List<R> drain() {
    List<R> waiting = new ArrayList<>(queue);
    queue.clear();
    return waiting;
  }

  int maxQueued() {
    return maxQueued;
  }

  private void writeNext() {
    List<R> batch = new ArrayList<>(Math.min(queue.size(), maxBatch));
    while (!queue.isEmpty() && batch.size() < maxBatch) {
      batch.add(queue.poll());
    }
    inFlight = nextBatchId++;
    lastWriteAt = System.nanoTime();
    timers.cancel(dueKey);
    timers.startSingleTimer(timeoutKey, new TimedOut(timeoutKey, inFlight), writeTimeout);
    write.accept(new Batch<>(inFlight, batch));
  }
}
