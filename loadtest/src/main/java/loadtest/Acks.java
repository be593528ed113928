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
 * when each poll's n-th ballot was acknowledged (to time the read models), the ack latency of those sent in the
 * measured window, and the failures by kind.
 */
final class Acks {
  private final AtomicLongArray byOption;
  private final AckTimes[] ackTimes;
  private final Recorder latencies = new Recorder(3);
  private final AtomicLong measured = new AtomicLong();
  private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
  private final long measureFrom;
  private final long measureUntil;

  Acks(int polls, long measureFrom, long measureUntil) {
    this.byOption = new AtomicLongArray(polls * BenchSupport.OPTIONS);
    this.ackTimes = new AckTimes[polls];
    for (int p = 0; p < polls; p++) {
      ackTimes[p] = new AckTimes();
    }
    this.measureFrom = measureFrom;
    this.measureUntil = measureUntil;
  }

  /** A ballot for {@code option} of poll {@code poll}, sent at {@code sentAt} (nanoTime), acknowledged now. */
  void acknowledged(int poll, int option, long sentAt) {
    long now = ackTimes[poll].add();
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

  /** When poll {@code poll}'s {@code n}th acknowledgement (from 1) came (nanoTime), or -1 if it has not yet. */
  long acknowledgedAt(int poll, long n) {
    return ackTimes[poll].timeOf(n);
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

  /** One poll's acknowledgement times in the order they came: the n-th is when n of its ballots were durable. */
  private static final class AckTimes {
    private long[] times = new long[1 << 12];
    private int count;

    synchronized long add() {
      long now = System.nanoTime();
      if (count == times.length) {
        times = java.util.Arrays.copyOf(times, count * 2);
      }
      times[count++] = now;
      return now;
    }

    synchronized long timeOf(long n) {
      return n >= 1 && n <= count ? times[(int) (n - 1)] : -1;
    }
  }
}
