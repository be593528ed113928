package http;

import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The web pages, served from the jar: {@code /} (type a join code), the voter page {@code /p/{code or id}}, the
 * presenter screen {@code /present/{id}} and the organizer console {@code /organize}, with their scripts and styles
 * under {@code /assets} and the charting library from its webjar. No page holds an inline script, and the
 * Content-Security-Policy forbids them, so text that reaches a page can never run there.
 */
final class Pages extends AllDirectives {
  /** Where the webjar keeps the charting library; the version is the pom's {@code chartjs.version}. */
  static final String CHART_JS = "META-INF/resources/webjars/chart.js/4.5.1/dist/chart.umd.min.js";

  /**
   * Scripts, styles, images and connections only from this server (WebSockets to it included); no frames, no
   * plugins, no {@code <base>} tricks, forms post here only.
   */
  static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
      + "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
      + "frame-ancestors 'none'";

  private static final List<HttpHeader> HEADERS = List.of(
      RawHeader.create("Content-Security-Policy", CONTENT_SECURITY_POLICY),
      RawHeader.create("X-Content-Type-Options", "nosniff"),
      // invite links carry a voter's token: never hand them to another site
      RawHeader.create("Referrer-Policy", "no-referrer"),
      // pages and scripts change with the server: revalidate, which costs a 304 at most
      RawHeader.create("Cache-Control", "no-cache"));

  /** Only paths of a page answer (GET and HEAD); anything else falls through to a plain 404, not a 405. */
  Route routes() {
    return respondWithHeaders(HEADERS, () -> concat(
        pathSingleSlash(() -> get(() -> getFromResource("web/index.html"))),
        path(PathMatchers.segment("p").slash(PathMatchers.segment()), code ->
            get(() -> getFromResource("web/voter.html"))),
        path(PathMatchers.segment("present").slash(PathMatchers.segment()), id ->
            get(() -> getFromResource("web/present.html"))),
        path("organize", () -> get(() -> getFromResource("web/organize.html"))),
        path(PathMatchers.segment("assets").slash("vendor").slash("chart.umd.min.js"), () ->
            get(() -> getFromResource(CHART_JS))),
        pathPrefix("assets", () -> get(() -> getFromResourceDirectory("web/assets")))));
  }
}
