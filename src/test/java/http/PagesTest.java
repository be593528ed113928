package http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.testkit.TestRoute;
import org.apache.pekko.http.javadsl.testkit.TestRouteResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import support.RouteTestKit;

/**
 * The pages' routes run by Pekko HTTP's route TestKit: no server, no socket, no actor behind them. Every page comes
 * with a policy that forbids inline scripts, holds none, and every asset comes from the jar with its media type.
 * (Join codes and QR codes, which need polls, are in {@link PagesRoutesTest}; the pages in a browser in PagesIT.)
 */
class PagesTest {
  private static RouteTestKit testKit;
  private static TestRoute pages;

  @BeforeAll
  static void start() {
    testKit = new RouteTestKit(ConfigFactory.parseString("""
        pekko.actor.provider = local
        pekko.coordinated-shutdown.exit-jvm = off
        pekko.loglevel = WARNING
        """).withFallback(ConfigFactory.load()));
    pages = testKit.testRoute(new Pages().routes());
  }

  @AfterAll
  static void stop() {
    testKit.close();
  }

  @Test
  void pagesAreServedWithAPolicyThatForbidsInlineScripts() {
    for (String path : List.of("/", "/p/ABC234", "/p/abcdefabcdef", "/present/abcdefabcdef", "/organize")) {
      TestRouteResult page = pages.run(HttpRequest.GET(path))
          .assertStatusCode(StatusCodes.OK)
          .assertMediaType(MediaTypes.TEXT_HTML)
          .assertHeaderExists("Content-Security-Policy", Pages.CONTENT_SECURITY_POLICY)
          .assertHeaderExists("Referrer-Policy", "no-referrer") // invite tokens stay on this site
          .assertHeaderExists("X-Content-Type-Options", "nosniff");
      assertTrue(Pages.CONTENT_SECURITY_POLICY.contains("script-src 'self'")
          && !Pages.CONTENT_SECURITY_POLICY.contains("unsafe-inline"));
      // every script is a file of its own: no inline script, no inline event handler, no inline style
      String html = page.entityString();
      assertFalse(Pattern.compile("<script(?![^>]*\\ssrc=)[^>]*>").matcher(html).find(), path + " has an inline script");
      assertFalse(Pattern.compile("\\son[a-z]+=", Pattern.CASE_INSENSITIVE).matcher(html).find(), path);
      assertFalse(html.contains("style="), path + " has an inline style");
    }
  }

  @Test
  void assetsComeFromTheJarWithTheirMediaTypes() {
    // the charting library's webjar: the pom's chartjs.version must be the one in Pages.CHART_JS
    pages.run(HttpRequest.GET("/assets/vendor/chart.umd.min.js"))
        .assertStatusCode(StatusCodes.OK)
        .assertMediaType(MediaTypes.APPLICATION_JAVASCRIPT);
    for (String asset : List.of("common.js", "kinds.js", "voter.js", "present.js", "organize.js", "index.js",
        "bars.js")) {
      String script = pages.run(HttpRequest.GET("/assets/" + asset))
          .assertStatusCode(StatusCodes.OK)
          .assertMediaType(MediaTypes.APPLICATION_JAVASCRIPT)
          .entityString();
      assertFalse(script.contains("innerHTML") || script.contains("insertAdjacentHTML")
          || script.contains("document.write"), asset + " builds HTML from strings");
    }
    pages.run(HttpRequest.GET("/assets/style.css")).assertMediaType(MediaTypes.TEXT_CSS);
    pages.run(HttpRequest.GET("/assets/../web/index.html")).assertStatusCode(StatusCodes.NOT_FOUND);
    pages.run(HttpRequest.GET("/assets/nothing.js")).assertStatusCode(StatusCodes.NOT_FOUND);
  }

  @Test
  void onlyPagePathsAnswer() {
    pages.run(HttpRequest.GET("/p")).assertStatusCode(StatusCodes.NOT_FOUND);
    pages.run(HttpRequest.GET("/organize/more")).assertStatusCode(StatusCodes.NOT_FOUND);
    pages.run(HttpRequest.GET("/present")).assertStatusCode(StatusCodes.NOT_FOUND);
  }
}
