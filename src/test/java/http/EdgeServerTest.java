package http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import server.LivepollServer;
import support.RawConnection;
import support.TestConfig;

/**
 * The node-wide sweep of {@link EdgeServer} against a real single node on the in-memory journal: the request-head
 * deadline runs from a head's first byte (not from the last, as Pekko's idle timeout does) and starts again with each
 * request of a kept-alive connection; the idle timeout closes connections that carry nothing, live sockets exempt by
 * their keep-alive frames; requests are counted against their own connection's peer. Deadlines are short here so the
 * test is quick; the bounds asserted are generous.
 */
class EdgeServerTest {
  private static final Duration CUT_WITHIN = Duration.ofSeconds(15);
  private static LivepollServer server;

  @BeforeAll
  static void startServer() {
    server = LivepollServer.startNode(TestConfig.inMemory("""
        livepoll.http.request-head-timeout = 2s
        pekko.http.server.idle-timeout = 4s
        livepoll.live.keep-alive-every = 1s
        livepoll.limits.requests-per-address { per-second = 1, burst = 5 }
        """));
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.stop();
    }
  }

  private static String get(String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  }

  @Test
  void aHeadTrickledByteByByteIsCutThoughBytesKeepComing() throws Exception {
    try (RawConnection slow = RawConnection.open("127.0.0.21", server.httpPort())) {
      String head = "GET /api/polls/abcdefabcdef HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ";
      boolean open = true;
      long until = System.nanoTime() + Duration.ofSeconds(6).toNanos();
      for (int i = 0; open && System.nanoTime() < until; i++) {
        // a byte every 300 ms: never idle, never a complete head
        open = slow.send(String.valueOf(head.charAt(i % head.length())));
        Thread.sleep(300);
      }
      assertTrue(!open || slow.closedByServerWithin(CUT_WITHIN), "the trickled head was never cut");
    }
  }

  @Test
  void eachRequestOfAKeptAliveConnectionHasItsOwnHeadDeadline() throws Exception {
    try (RawConnection connection = RawConnection.open("127.0.0.22", server.httpPort())) {
      for (int i = 0; i < 3; i++) {
        // the connection has been open longer than the deadline, but each head arrives whole
        connection.send(get("/api/polls/abcdefabcdef"));
        connection.readHead();
        assertEquals(404, connection.status(), connection.head());
        assertTrue(connection.head().contains("content-length"), connection.head());
        skipBody(connection);
        Thread.sleep(1_000);
      }
    }
  }

  @Test
  void eachRequestIsCountedAgainstItsOwnPeersAddress() {
    // all connections share one server layer: the peer's address comes from each connection, not from the layer
    try (RawConnection spender = RawConnection.open("127.0.0.25", server.httpPort());
        RawConnection other = RawConnection.open("127.0.0.26", server.httpPort())) {
      int status = 0;
      for (int i = 0; i < 10 && status != 429; i++) {
        spender.send(get("/api/polls/abcdefabcdef"));
        spender.readHead();
        status = spender.status();
        skipBody(spender);
      }
      assertEquals(429, status, "127.0.0.25 spends its burst of 5: " + spender.head());
      other.send(get("/api/polls/abcdefabcdef"));
      other.readHead();
      assertEquals(404, other.status(), "127.0.0.26 still has its own: " + other.head());
    }
  }

  @Test
  void aConnectionThatSendsNothingIsClosedAtTheIdleTimeout() {
    try (RawConnection silent = RawConnection.open("127.0.0.23", server.httpPort())) {
      assertTrue(silent.closedByServerWithin(CUT_WITHIN), "an idle connection was kept");
    }
  }

  @Test
  void aLiveSocketIsNotIdleWhileItsKeepAliveFramesFlow() {
    String pollId = support.ApiClient.createdId(new support.ApiClient(server.httpPort())
        .as(TestConfig.tokens().organizer("edge", false))
        .post("/api/polls", "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"]}"));
    try (RawConnection socket = RawConnection.upgrade("127.0.0.24", server.httpPort(), pollId,
        java.util.List.of())) {
      assertEquals(101, socket.status(), socket.head());
      // twice the idle timeout: keep-alive frames (after 1 s of silence here) keep it open
      assertFalse(socket.closedByServerWithin(Duration.ofSeconds(8)), "a live socket was cut as idle");
    }
  }

  private static void skipBody(RawConnection connection) {
    String head = connection.head();
    int at = head.indexOf("content-length:");
    int length = Integer.parseInt(head.substring(at + 15, head.indexOf("\r\n", at)).strip());
    connection.skip(length);
  }
}
