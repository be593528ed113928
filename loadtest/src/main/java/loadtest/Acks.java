package loadtest;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * What the voters of a benchmark got back: every acknowledged ballot by poll and option (to check the final counts),
 * the ack latency of those sent in the measured window, and the failures by kind.
 */
final class Acks {
  private final AtomicLongArray byOption;
  private final Recorder latencies = new Recorder(3);
  private final AtomicLong measured = new AtomicLong();
  private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
  private final long measureFrom;
  private final long measureUntil;

  Acks(int polls, long measureFrom, long measureUntil) {
    this.byOption = new AtomicLongArray(polls * BenchSupport.OPTIONS);
    this.measureFrom = measureFrom;
    this.measureUntil = measureUntil;
  }

  /** A ballot for {@code option} of poll {@code poll}, sent at {@code sentAt} (nanoTime), acknowledged now. */
  void acknowledged(int poll, int option, long sentAt) {
    long now = System.nanoTime();
    byOption.incrementAndGet(poll * BenchSupport.OPTIONS + option);
    if (sentAt >= measureFrom && sentAt < measureUntil) {
      latencies.recordValue(Math.max(0, now - sentAt) / 1_000);
      measured.incrementAndGet();
    }
  }

  /** A ballot that failed or was not sent, at {@code sentAt} (nanoTime): counted apart in the warm-up. */
  void failed(String why, long sentAt) {
    String when = sentAt < measureFrom ? "warm-up: " : sentAt < measureUntil ? "" : "after: ";
    failures.computeIfAbsent(when + why, w -> new AtomicLong()).incrementAndGet();
  }

  long acknowledged(int poll, int option) {
    return byOption.get(poll * BenchSupport.OPTIONS + option);
  }

  /** Ballots sent in the measured window and acknowledged. */
  long measured() {
    return measured.get();
  }

  Histogram latencies() {
    return latencies.getIntervalHistogram();
  }

  Map<String, AtomicLong> failures() {
    return new TreeMap<>(failures);
  }
}
