package http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;

/**
 * Token buckets by key (a client address, a voter): each key may spend {@code burst} requests at once and regains
 * {@code perSecond} of them every second. Idle buckets are forgotten and at most {@code maxKeys} are kept, so memory
 * stays bounded however many keys a flood invents.
 */
public final class RateLimiter {

  /** How fast a key may go: a sustained rate and a burst on top. */
  public record Limit(double perSecond, int burst) {
    public Limit {
      if (perSecond <= 0 || burst < 1) {
        throw new IllegalArgumentException("a rate limit needs a positive rate and a burst of at least 1");
      }
    }
  }

  private final Limit limit;
  private final Cache<String, TokenBucket> buckets;

  public RateLimiter(Limit limit, int maxKeys) {
    this.limit = limit;
    // a bucket idle for the time it takes to refill completely is indistinguishable from a new one
    Duration refill = Duration.ofMillis((long) Math.ceil(limit.burst() * 1000 / limit.perSecond()) + 1000);
    this.buckets = Caffeine.newBuilder().maximumSize(maxKeys).expireAfterAccess(refill).build();
  }

  /** Takes one request for {@code key}: zero if allowed, else how long until the next one would be. */
  public Duration acquire(String key) {
    return buckets.get(key, k -> new TokenBucket(limit, System.nanoTime())).take(System.nanoTime());
  }
}
