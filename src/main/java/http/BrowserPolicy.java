package http;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * What the edge tells browsers and asks of them: {@code nosniff} on every response, {@code no-store} on responses
 * that carry a token, and for live sockets an {@code Origin} that is this server's own or a configured one. A
 * WebSocket is not covered by the same-origin policy, so without the check any web page a voter visits could open
 * sockets with the voter's browser. Clients that send no {@code Origin} (not browsers: apps, relays, load tools) stay
 * allowed.
 */
final class BrowserPolicy extends AllDirectives {
  /** {@code X-Content-Type-Options: nosniff}: a browser never runs a JSON or CSV answer as a script or page. */
  static final RawHeader NO_SNIFF = RawHeader.create("X-Content-Type-Options", "nosniff");

  private final Set<String> allowedOrigins;
  private final Problems problems;

  /** {@code allowedOrigins}: {@code scheme://host[:port]} each; {@code publicUrl}'s origin is allowed too. */
  BrowserPolicy(List<String> allowedOrigins, String publicUrl, Problems problems) {
    this.allowedOrigins = Stream.concat(allowedOrigins.stream(), Stream.of(publicUrl))
        .map(BrowserPolicy::origin)
        .flatMap(Optional::stream)
        .collect(Collectors.toUnmodifiableSet());
    this.problems = problems;
  }

  /** Every response of {@code inner} says {@code nosniff}. */
  Route everyResponse(Supplier<Route> inner) {
    return respondWithDefaultHeaders(List.of(NO_SNIFF), inner);
  }

  /** The response carries a token: no cache, shared or private, may keep it. */
  Route tokenInside(Supplier<Route> inner) {
    return respondWithHeaders(List.of(CacheControl.create(CacheDirectives.NO_STORE)), inner);
  }

  /** A live socket opens only from this server's own pages, a configured origin, or a client that names none. */
  Route liveSocketOrigin(Supplier<Route> inner) {
    return optionalHeaderValueByName("Origin", origin -> optionalHeaderValueByName("Host", host ->
        allows(origin, host) ? inner.get() : complete(problems.response(StatusCodes.FORBIDDEN, "origin-not-allowed",
            "Forbidden", "live sockets open from this server's own pages or an origin in LIVEPOLL_ALLOWED_ORIGINS, "
                + "not from " + origin.orElse("")))));
  }

  boolean allows(Optional<String> origin, Optional<String> host) {
    if (origin.isEmpty()) {
      return true;
    }
    Optional<String> normalised = origin(origin.get());
    if (normalised.isEmpty()) {
      // "null" (a sandboxed frame, a file) or garbage: no site we know
      return false;
    }
    return allowedOrigins.contains(normalised.get()) || host.map(h -> sameHost(normalised.get(), h)).orElse(false);
  }

  /** Whether the origin names the host (and port) the request was sent to. */
  private static boolean sameHost(String origin, String hostHeader) {
    URI uri = URI.create(origin);
    String host = hostHeader.strip().toLowerCase(Locale.ROOT);
    int defaultPort = "https".equals(uri.getScheme()) ? 443 : 80;
    int port = uri.getPort() < 0 ? defaultPort : uri.getPort();
    return host.equals(uri.getHost() + ":" + port) || (port == defaultPort && host.equals(uri.getHost()));
  }

  /** {@code scheme://host[:port]}, lower case, or empty when {@code text} is no http(s) origin. */
  static Optional<String> origin(String text) {
    try {
      URI uri = new URI(text.strip());
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
        return Optional.empty();
      }
      int defaultPort = scheme.equals("https") ? 443 : 80;
      boolean portShown = uri.getPort() >= 0 && uri.getPort() != defaultPort;
      return Optional.of(scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT)
          + (portShown ? ":" + uri.getPort() : ""));
    } catch (URISyntaxException e) {
      return Optional.empty();
    }
  }
}
