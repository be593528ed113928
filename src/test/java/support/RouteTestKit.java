package support;

import com.typesafe.config.Config;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.server.RouteResult;
import org.apache.pekko.http.javadsl.testkit.RouteTest;
import org.apache.pekko.http.javadsl.testkit.TestRouteResult;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SystemMaterializer;
import org.junit.jupiter.api.Assertions;
import scala.concurrent.Future;

/**
 * Pekko HTTP's route TestKit on JUnit 5 (it ships a JUnit 4 base class only): {@code testRoute(route).run(request)}
 * runs a route on a request in memory, without a server or a socket, and its {@code assert...} methods fail with
 * JUnit 5 assertions. Create one per test class and close it after the class.
 */
public final class RouteTestKit extends RouteTest implements AutoCloseable {
  private final ActorSystem system;

  public RouteTestKit(Config config) {
    this.system = ActorSystem.create("route-test", config);
  }

  @Override
  public ActorSystem system() {
    return system;
  }

  @Override
  public Materializer materializer() {
    return SystemMaterializer.get(system).materializer();
  }

  @Override
  public TestRouteResult createTestRouteResultAsync(HttpRequest request, Future<RouteResult> result) {
    return new TestRouteResult(result, awaitDuration(), system.dispatcher(), materializer()) {
      @Override
      public void fail(String message) {
        Assertions.fail(message + "\n  request: " + request);
      }

      @Override
      public void assertEquals(Object expected, Object actual, String message) {
        Assertions.assertEquals(expected, actual, () -> message + "\n  request: " + request);
      }

      @Override
      public void assertEquals(int expected, int actual, String message) {
        Assertions.assertEquals(expected, actual, () -> message + "\n  request: " + request);
      }

      @Override
      public void assertTrue(boolean predicate, String message) {
        Assertions.assertTrue(predicate, () -> message + "\n  request: " + request);
      }
    };
  }

  @Override
  public void close() {
    system.terminate();
  }
}
