package http;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import metrics.Metrics;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Rate limits of the edge: requests per client address, voter sign-ups per client address, ballots per voter. A
 * request over a limit gets 429 with {@code Retry-After} and reaches nothing behind it.
 *
 * <p>The client address is the TCP peer's, or the one a trusted proxy forwards ({@link ClientAddresses}), never a
 * header any other client could forge.
 */
final class Throttling extends AllDirectives {
  private final RateLimiter requests;
  private final RateLimiter voterSignUps;
  private final RateLimiter ballots;
  private final RateLimiter creations;
  private final RateLimiter signUps;
  private final Problems problems;
  private final ClientAddresses clientAddresses;

  Throttling(EdgeLimits limits, Problems problems) {
    this.clientAddresses = limits.clientAddresses();
    this.requests = new RateLimiter(limits.requestsPerAddress(), limits.maxTrackedKeys());
    this.voterSignUps = new RateLimiter(limits.votersPerAddress(), limits.maxTrackedKeys());
    this.ballots = new RateLimiter(limits.ballotsPerVoter(), limits.maxTrackedKeys());
    this.creations = new RateLimiter(limits.creationsPerOrganizer(), limits.maxTrackedKeys());
    this.signUps = new RateLimiter(limits.signUpsPerNode(), 1);
    this.problems = problems;
  }

  Route perAddress(Supplier<Route> inner) {
    return clientAddress(address ->
        limited(requests, "requests-per-address", address, "requests from your address", inner));
  }

  Route voterSignUp(Supplier<Route> inner) {
    return clientAddress(address ->
        limited(voterSignUps, "voters-per-address", address, "new voters from your address", inner));
  }

  /** Polls one organizer may create: a burst, then so many a minute (per node). */
  Route pollCreations(String organizer, Supplier<Route> inner) {
    return limited(creations, "creations-per-organizer", organizer, "polls created by " + organizer, inner);
  }

  /** Sign-ups through join codes on this node, whoever asks: how fast any poll's audience may grow. */
  Route signUps(Supplier<Route> inner) {
    return limited(signUps, "sign-ups-per-node", "node", "sign-ups through join codes on this server", inner);
  }

  Route ballots(String voterId, Supplier<Route> inner) {
    return limited(ballots, "ballots-per-voter", voterId, "ballots from this voter", inner);
  }

  /** The same per-voter limit for ballots that arrive on a WebSocket: the problem to answer, if over it. */
  Optional<Problems.Problem> ballotOverLimit(String voterId) {
    return overLimit(ballots.acquire(voterId), "ballots-per-voter", "ballots from this voter");
  }

  /**
   * The 429 problem for a request that must {@code wait} before rate limit {@code limit} allows it, if it must wait
   * at all.
   */
  static Optional<Problems.Problem> overLimit(Duration wait, String limit, String what) {
    if (wait.isZero()) {
      return Optional.empty();
    }
    Metrics.rateLimited(limit);
    return Optional.of(tooMany(retrySeconds(wait), what));
  }

  /**
   * The address the request comes from (the forwarded client's, when a trusted proxy forwarded it), as the per-address
   * limits and the audit log count it.
   */
  Route clientAddress(Function<String, Route> inner) {
    return extractRequest(request -> inner.apply(clientAddresses.of(request)));
  }

  private Route limited(RateLimiter limiter, String limit, String key, String what, Supplier<Route> inner) {
    Duration wait = limiter.acquire(key);
    if (wait.isZero()) {
      return inner.get();
    }
    Metrics.rateLimited(limit);
    long seconds = retrySeconds(wait);
    return complete(problems.response(tooMany(seconds, what)).addHeader(RetryAfter.create(seconds)));
  }

  private static long retrySeconds(Duration wait) {
    return Math.max(1, (wait.toMillis() + 999) / 1000);
  }

  private static Problems.Problem tooMany(long seconds, String what) {
    return new Problems.Problem(StatusCodes.TOO_MANY_REQUESTS, "rate-limited", "Too many requests",
        "too many " + what + "; retry in " + seconds + " s");
  }
}
