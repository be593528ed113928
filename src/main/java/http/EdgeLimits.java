package http;

/**
 * Every limit the HTTP edge enforces; defaults and meanings are in application.conf, docs/operations.md and
 * docs/security.md. {@code clientAddresses} says who a request comes from (trusted proxies), {@code allowedOrigins}
 * which other sites' pages may open live sockets.
 */
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
    java.time.Duration keepAliveInterval,
    int maxFrameChars,
    RateLimiter.Limit framesPerSocket,
    RateLimiter.Limit framesPerRelay,
    int maxBadFrames,
    int maxLiveSockets,
    int maxLiveSocketsPerAddress,
    ClientAddresses clientAddresses,
    java.util.List<String> allowedOrigins,
    CatalogueLimits catalogue,
    RateLimiter.Limit creationsPerOrganizer,
    int maxOpenPollsPerOrganizer,
    RateLimiter.Limit signUpsPerNode,
    java.time.Duration tokenCheckInterval,
    java.time.Duration closeTimeout) {

  /** Paging of the poll catalogue: the page size without {@code limit}, the largest allowed, rows read at most. */
  public record CatalogueLimits(int defaultLimit, int maxLimit, int maxScanned) {}
}
