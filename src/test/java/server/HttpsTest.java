package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import support.LiveSocketClient;
import support.TestConfig;

/**
 * HTTPS from a PKCS12 keystore named in the configuration, live sockets (wss) included; plain HTTP is not served on
 * that port then.
 */
class HttpsTest {
  private static final String PASSWORD = "keystore-secret";

  @TempDir Path dir;

  @Test
  void theEdgeServesHttpsFromAPkcs12Keystore() throws Exception {
    Path keystore = selfSignedKeystore();
    LivepollServer server = LivepollServer.startNode(TestConfig.inMemory("""
        livepoll.http.https.keystore = "%s"
        livepoll.http.https.keystore-password = "%s"
        """.formatted(keystore, PASSWORD)));
    try {
      HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(keystore)).build();
      HttpResponse<String> reply = trusting.send(HttpRequest.newBuilder(
              URI.create("https://localhost:" + server.httpPort() + "/api/polls/abcdefabcdef"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(404, reply.statusCode());
      assertTrue(reply.body().contains("/problems/unknown-poll"), reply.body());

      // a live socket over TLS: its snapshot, and the close handshake both ways
      HttpResponse<String> created = trusting.send(HttpRequest.newBuilder(
              URI.create("https://localhost:" + server.httpPort() + "/api/polls"))
          .header("Authorization", "Bearer " + TestConfig.tokens().organizer("alice", false))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"question\":\"Q?\",\"options\":[\"a\",\"b\"]}"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(201, created.statusCode(), created.body());
      String pollId = created.body().replaceAll("(?s).*\"id\":\"([^\"]+)\".*", "$1");
      var live = LiveSocketClient.open(trusting,
          URI.create("wss://localhost:" + server.httpPort() + "/api/polls/" + pollId + "/live"),
          new LiveSocketClient() {
            final CompletableFuture<JsonNode> first = new CompletableFuture<>();

            @Override
            protected void onFrame(Frame frame) {
              first.complete(frame.json());
            }
          });
      JsonNode snapshot = live.first.get(10, TimeUnit.SECONDS);
      assertEquals("snapshot", snapshot.path("type").asText(), snapshot::toString);
      assertEquals(pollId, snapshot.path("poll").path("id").asText(), snapshot::toString);
      live.close(4000);
      assertEquals(4000, live.closed.get(10, TimeUnit.SECONDS), "the server answers a close with its code");

      HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      assertThrows(IOException.class, () -> plain.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + server.httpPort() + "/api/polls/abcdefabcdef"))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()));
    } finally {
      server.stop();
    }
  }

  private Path selfSignedKeystore() throws Exception {
    Path keystore = dir.resolve("livepoll.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "livepoll", "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
        "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
        .redirectErrorStream(true)
        .start();
    String output = new String(keytool.getInputStream().readAllBytes());
    assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, "keytool failed: " + output);
    return keystore;
  }

  private static SSLContext trusting(Path keystore) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      store.load(in, PASSWORD.toCharArray());
    }
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(store);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(null, trust.getTrustManagers(), null);
    return tls;
  }
}
