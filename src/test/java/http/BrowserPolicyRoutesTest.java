package http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import server.LivepollServer;
import support.ApiClient;
import support.TestConfig;

/**
 * What the edge says to browsers and asks of them, and the per-address live-socket cap, against a real single-node
 * server on the in-memory journal: nosniff and no version banner on every response (malformed ones included),
 * no-store on every response that carries a token, the Origin allow-list of live sockets, and X-Forwarded-For
 * believed only from a trusted proxy.
 */
class BrowserPolicyRoutesTest {
  private static final String POLL = "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"]}";
  private static LivepollServer server;
  private static ApiClient api;
  private static ApiClient alice;
  private static String pollId;

  @BeforeAll
  static void startServer() {
    server = LivepollServer.startNode(TestConfig.inMemory("""
        livepoll.http.allowed-origins = "https://slides.example.org"
        livepoll.live.max-sockets-per-address = 3
        # connections from 127.0.0.2 count as a proxy for the X-Forwarded-For scenario
        livepoll.http.trusted-proxies = "127.0.0.2/32"
        """));
    api = new ApiClient(server.httpPort());
    alice = api.as(TestConfig.tokens().organizer("alice", false));
    pollId = ApiClient.createdId(alice.post("/api/polls", POLL));
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.stop();
    }
  }

  private static void assertBrowserSafe(ApiClient.Reply reply) {
    assertEquals("nosniff", reply.header("x-content-type-options").orElse(""), reply::toString);
    assertFalse(reply.header("server").isPresent(), () -> "a version banner: " + reply);
  }

  @Test
  void everyResponseSaysNosniffAndNamesNoServerVersion() {
    assertBrowserSafe(api.get("/api/polls/" + pollId));
    assertBrowserSafe(api.get("/api/polls/abcdefabcdef"));
    assertBrowserSafe(api.get("/"));
    assertBrowserSafe(api.post("/api/polls", POLL));
    // too malformed to reach the routes
    assertBrowserSafe(api.raw("GET /api/polls HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)));
  }

  @Test
  void responsesThatCarryATokenMayNotBeStored() {
    ApiClient.Reply voter = api.post("/api/voters", "");
    assertEquals(201, voter.status(), voter::toString);
    assertEquals("no-store", voter.header("cache-control").orElse(""));
    String invited = ApiClient.createdId(alice.post("/api/polls",
        "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"],\"audience\":\"invited\"}"));
    ApiClient.Reply invites = alice.post("/api/polls/" + invited + "/invites", "{\"count\":2}");
    assertEquals(201, invites.status(), invites::toString);
    assertEquals("no-store", invites.header("cache-control").orElse(""));
    assertFalse(api.get("/api/polls/" + pollId).header("cache-control").orElse("").contains("no-store"),
        "answers without a token stay cacheable as before");
  }

  @Test
  void liveSocketsOpenFromOwnAndConfiguredOriginsAndFromClientsWithoutOne() throws IOException {
    int port = server.httpPort();
    try (Handshake none = Handshake.open("127.0.0.3", port, pollId, List.of());
        Handshake own = Handshake.open("127.0.0.3", port, pollId, List.of("Origin: http://127.0.0.1:" + port));
        Handshake configured = Handshake.open("127.0.0.3", port, pollId,
            List.of("Origin: https://slides.example.org"))) {
      assertEquals(101, none.status);
      assertEquals(101, own.status);
      assertEquals(101, configured.status);
    }
    for (String origin : List.of("https://evil.example", "null", "http://127.0.0.1:1")) {
      try (Handshake evil = Handshake.open("127.0.0.3", port, pollId, List.of("Origin: " + origin))) {
        assertEquals(403, evil.status, origin);
        assertTrue(evil.head.contains("application/problem+json"), evil.head);
        assertTrue(evil.head.contains("origin-not-allowed") || evil.head.contains("content-length"), evil.head);
      }
    }
  }

  @Test
  void oneAddressHoldsAtMostItsCapOfLiveSocketsAndAForwardedClientIsItsOwnAddress() throws Exception {
    int port = server.httpPort();
    List<Handshake> held = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        held.add(Handshake.open("127.0.0.4", port, pollId, List.of()));
        assertEquals(101, held.get(i).status);
      }
      try (Handshake over = Handshake.open("127.0.0.4", port, pollId, List.of())) {
        assertEquals(429, over.status, over.head);
        assertTrue(over.head.contains("application/problem+json"), over.head);
      }
      // X-Forwarded-For from an untrusted peer changes nothing
      try (Handshake forged = Handshake.open("127.0.0.4", port, pollId, List.of("X-Forwarded-For: 203.0.113.9"))) {
        assertEquals(429, forged.status, forged.head);
      }
      // from the trusted proxy (127.0.0.2), each forwarded client has its own cap
      for (int i = 0; i < 3; i++) {
        held.add(Handshake.open("127.0.0.2", port, pollId, List.of("X-Forwarded-For: 203.0.113.9")));
        assertEquals(101, held.get(held.size() - 1).status);
      }
      try (Handshake over = Handshake.open("127.0.0.2", port, pollId, List.of("X-Forwarded-For: 203.0.113.9"))) {
        assertEquals(429, over.status, over.head);
      }
      try (Handshake other = Handshake.open("127.0.0.2", port, pollId, List.of("X-Forwarded-For: 203.0.113.10"))) {
        assertEquals(101, other.status, other.head);
      }
    } finally {
      for (Handshake handshake : held) {
        handshake.close();
      }
    }
  }

  /** A WebSocket upgrade written by hand (any header, any loopback source address), kept open until closed. */
  static final class Handshake implements AutoCloseable {
    final Socket socket;
    final int status;
    final String head;

    private Handshake(Socket socket, int status, String head) {
      this.socket = socket;
      this.status = status;
      this.head = head;
    }

    /** Connects from the loopback address {@code from}: each test its own client address. */
    static Handshake open(String from, int port, String pollId, List<String> headers) throws IOException {
      Socket socket = new Socket(InetAddress.getLoopbackAddress(), port, InetAddress.getByName(from), 0);
      socket.setSoTimeout(20_000);
      StringBuilder request = new StringBuilder("GET /api/polls/" + pollId + "/live HTTP/1.1\r\n")
          .append("Host: 127.0.0.1:").append(port).append("\r\n")
          .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
          .append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
      headers.forEach(header -> request.append(header).append("\r\n"));
      OutputStream out = socket.getOutputStream();
      out.write(request.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          break;
        }
        head.append((char) b);
      }
      String text = head.toString().toLowerCase(java.util.Locale.ROOT);
      int status = text.startsWith("http/1.1 ") ? Integer.parseInt(text.substring(9, 12)) : -1;
      return new Handshake(socket, status, text);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
