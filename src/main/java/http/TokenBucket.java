package http;

import java.time.Duration;

/** One token bucket: {@code burst} requests at once, {@code perSecond} regained every second. */
final class TokenBucket {
  private final double perNano;
  private final double capacity;
  private double tokens;
  private long updated;

  TokenBucket(RateLimiter.Limit limit, long now) {
    this.perNano = limit.perSecond() / 1e9;
    this.capacity = limit.burst();
    this.tokens = capacity;
    this.updated = now;
  }

  /** Takes one token at {@code now} (nanoTime): zero if allowed, else how long until the next one would be. */
  synchronized Duration take(long now) {
    tokens = Math.min(capacity, tokens + (now - updated) * perNano);
    updated = now;
    if (tokens >= 1) {
      tokens -= 1;
      return Duration.ZERO;
    }
    return Duration.ofNanos((long) Math.ceil((1 - tokens) / perNano));
  }
}
