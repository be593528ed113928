package http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import server.LivepollServer;
import support.ApiClient;
import support.RawConnection;
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
  void liveSocketsOpenFromOwnAndConfiguredOriginsAndFromClientsWithoutOne() {
    int port = server.httpPort();
    try (RawConnection none = RawConnection.upgrade("127.0.0.3", port, pollId, List.of());
        RawConnection own = RawConnection.upgrade("127.0.0.3", port, pollId, List.of("Origin: http://127.0.0.1:" + port));
        RawConnection configured = RawConnection.upgrade("127.0.0.3", port, pollId,
            List.of("Origin: https://slides.example.org"))) {
      assertEquals(101, none.status());
      assertEquals(101, own.status());
      assertEquals(101, configured.status());
    }
    for (String origin : List.of("https://evil.example", "null", "http://127.0.0.1:1")) {
      try (RawConnection evil = RawConnection.upgrade("127.0.0.3", port, pollId, List.of("Origin: " + origin))) {
        assertEquals(403, evil.status(), origin);
        assertTrue(evil.head().contains("application/problem+json"), evil.head());
      }
    }
  }

  @Test
  void oneAddressHoldsAtMostItsCapOfLiveSocketsAndAForwardedClientIsItsOwnAddress() {
    int port = server.httpPort();
    List<RawConnection> held = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        held.add(RawConnection.upgrade("127.0.0.4", port, pollId, List.of()));
        assertEquals(101, held.get(i).status());
      }
      try (RawConnection over = RawConnection.upgrade("127.0.0.4", port, pollId, List.of())) {
        assertEquals(429, over.status(), over.head());
        assertTrue(over.head().contains("application/problem+json"), over.head());
      }
      // X-Forwarded-For from an untrusted peer changes nothing
      try (RawConnection forged = RawConnection.upgrade("127.0.0.4", port, pollId, List.of("X-Forwarded-For: 203.0.113.9"))) {
        assertEquals(429, forged.status(), forged.head());
      }
      // from the trusted proxy (127.0.0.2), each forwarded client has its own cap
      for (int i = 0; i < 3; i++) {
        held.add(RawConnection.upgrade("127.0.0.2", port, pollId, List.of("X-Forwarded-For: 203.0.113.9")));
        assertEquals(101, held.get(held.size() - 1).status());
      }
      try (RawConnection over = RawConnection.upgrade("127.0.0.2", port, pollId, List.of("X-Forwarded-For: 203.0.113.9"))) {
        assertEquals(429, over.status(), over.head());
      }
      try (RawConnection other = RawConnection.upgrade("127.0.0.2", port, pollId, List.of("X-Forwarded-For: 203.0.113.10"))) {
        assertEquals(101, other.status(), other.head());
      }
    } finally {
      for (RawConnection handshake : held) {
        handshake.close();
      }
    }
  }
}
