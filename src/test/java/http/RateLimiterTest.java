package http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Token buckets: a burst at once, then the sustained rate, each key on its own. */
class RateLimiterTest {

  @Test
  void aKeyMaySpendItsBurstAtOnceAndThenWaits() {
    RateLimiter limiter = new RateLimiter(new RateLimiter.Limit(1, 3), 100);
    for (int i = 0; i < 3; i++) {
      assertEquals(Duration.ZERO, limiter.acquire("a"), "request " + i + " of the burst");
    }
    Duration wait = limiter.acquire("a");
    assertFalse(wait.isZero());
    assertTrue(wait.compareTo(Duration.ofSeconds(1)) <= 0, "one token comes back within a second: " + wait);
  }

  @Test
  void keysDoNotShareABucket() {
    RateLimiter limiter = new RateLimiter(new RateLimiter.Limit(1, 1), 100);
    assertEquals(Duration.ZERO, limiter.acquire("a"));
    assertFalse(limiter.acquire("a").isZero());
    assertEquals(Duration.ZERO, limiter.acquire("b"));
  }

  @Test
  void tokensComeBackAtTheSustainedRate() throws InterruptedException {
    RateLimiter limiter = new RateLimiter(new RateLimiter.Limit(50, 1), 100);
    assertEquals(Duration.ZERO, limiter.acquire("a"));
    Duration wait = limiter.acquire("a");
    assertFalse(wait.isZero());
    Thread.sleep(wait.toMillis() + 5); // waiting exactly as long as told must be enough
    assertEquals(Duration.ZERO, limiter.acquire("a"));
  }

  @Test
  void aLimitNeedsAPositiveRateAndBurst() {
    assertThrows(IllegalArgumentException.class, () -> new RateLimiter.Limit(0, 1));
    assertThrows(IllegalArgumentException.class, () -> new RateLimiter.Limit(1, 0));
  }
}
