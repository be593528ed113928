package http;

/** Every limit the HTTP edge enforces; defaults and meanings are in application.conf and docs/operations.md. */
public record EdgeLimits(
    long maxBodyBytes,
    int maxJsonDepth,
    RateLimiter.Limit requestsPerAddress,
    RateLimiter.Limit votersPerAddress,
    RateLimiter.Limit ballotsPerVoter,
    int maxTrackedKeys,
    java.time.Duration tallyInterval,
    java.time.Duration slowReaderTimeout,
    java.time.Duration resyncInterval,
    int maxFrameChars,
    RateLimiter.Limit framesPerSocket,
    RateLimiter.Limit framesPerRelay,
    int maxBadFrames,
    int maxLiveSockets,
    CatalogueLimits catalogue) {

  /** Paging of the poll catalogue: the page size without {@code limit}, the largest allowed, rows read at most. */
  public record CatalogueLimits(int defaultLimit, int maxLimit, int maxScanned) {}
}
