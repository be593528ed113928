package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.Test;
import support.TestConfig;

/**
 * Pekko Management on a real node: read-only without an operator password, behind basic auth with one; health
 * checks open either way (Kubernetes probes carry no credentials).
 */
class OperatorEndpointsTest {
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  @Test
  void withoutAnOperatorPasswordNothingCanChangeTheCluster() throws Exception {
    LivepollServer server = LivepollServer.startNode(TestConfig.inMemory(""));
    try {
      assertEquals(200, send(server, "GET", "/cluster/members", null).statusCode());
      assertEquals(200, send(server, "GET", "/ready", null).statusCode());
      String self = URLEncoder.encode(Cluster.get(server.system()).selfMember().address().toString(),
          StandardCharsets.UTF_8);
      int leave = send(server, "DELETE", "/cluster/members/" + self, null).statusCode();
      int down = send(server, "PUT", "/cluster/members/" + self + "?operation=Down", null).statusCode();
      assertTrue(leave == 404 || leave == 405, "leave must not be routed, got " + leave);
      assertTrue(down == 404 || down == 405, "down must not be routed, got " + down);
      assertEquals(MemberStatus.up(), Cluster.get(server.system()).selfMember().status());
    } finally {
      server.stop();
    }
  }

  @Test
  void withAnOperatorPasswordEveryEndpointNeedsTheOperatorsCredentials() throws Exception {
    LivepollServer server = LivepollServer.startNode(TestConfig.inMemory("""
        livepoll.management.operator-password = "s3cret-operator-password"
        """));
    try {
      assertEquals(401, send(server, "GET", "/cluster/members", null).statusCode());
      assertEquals(401, send(server, "GET", "/cluster/members", basic("operator", "wrong")).statusCode());
      assertEquals(401, send(server, "GET", "/cluster/members", basic("intruder", "s3cret-operator-password"))
          .statusCode());
      assertEquals(200, send(server, "GET", "/ready", null).statusCode(), "probes carry no credentials");
      assertEquals(200, send(server, "GET", "/alive", null).statusCode(), "probes carry no credentials");
      assertEquals(401, send(server, "GET", "/projections", null).statusCode());
      HttpResponse<String> members = send(server, "GET", "/cluster/members",
          basic("operator", "s3cret-operator-password"));
      assertEquals(200, members.statusCode());
      assertTrue(members.body().contains("\"status\":\"Up\""), members.body());
      String self = URLEncoder.encode(Cluster.get(server.system()).selfMember().address().toString(),
          StandardCharsets.UTF_8);
      assertEquals(401, send(server, "PUT", "/cluster/members/" + self + "?operation=Down", null).statusCode());
      assertEquals(MemberStatus.up(), Cluster.get(server.system()).selfMember().status());
    } finally {
      server.stop();
    }
  }

  private static String basic(String user, String password) {
    return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  private static HttpResponse<String> send(LivepollServer server, String method, String path, String authorization)
      throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + server.managementPort() + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, HttpRequest.BodyPublishers.noBody());
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
