package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import support.RealServer;
import support.ApiClient;
import support.RawConnection;
import support.TestConfig;

/**
 * Connection abuse against a real node on a real Cassandra: slowloris (request heads trickled a byte at a time),
 * connection floods and live-socket floods from one address. Each is cut or refused while other clients are served,
 * nothing answers 5xx, and the poll that exists before is exactly the same after.
 *
 * <p>Every scenario connects from a loopback address of its own (127.0.0.x), so the per-address caps of one never
 * touch another. The caps are set low here so that a flood is a few dozen connections; the request-head deadline is
 * 2 s instead of 10 s so that the run is short: what is asserted is that the server cuts, not how fast.
 */
class ConnectionAbuseIT {
  private static final int CONNECTIONS_PER_ADDRESS = 20;
  private static final int SOCKETS_PER_ADDRESS = 10;
  private static final Duration HEAD_TIMEOUT = Duration.ofSeconds(2);
  /** Far more than the head deadline plus a sweep, far less than the idle timeout (60 s) that alone cut before. */
  private static final Duration CUT_WITHIN = Duration.ofSeconds(20);
  private static final String OWNER_TOKEN = TestConfig.tokens().organizer("abuse-owner", false);

  @RegisterExtension static final RealServer servers = new RealServer("connection_abuse_it");
  private static LivepollServer server;
  private static ApiClient api;
  private static String pollId;
  private static String pollBefore;

  private final List<RawConnection> held = new ArrayList<>();
  /** Every status any client of this class got: none may be 5xx. */
  private static final ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();

  @BeforeAll
  static void start() {
    server = servers.start("""
        livepoll.http.request-head-timeout = %ds
        livepoll.http.max-connections-per-address = %d
        livepoll.live.max-sockets-per-address = %d
        """.formatted(HEAD_TIMEOUT.toSeconds(), CONNECTIONS_PER_ADDRESS, SOCKETS_PER_ADDRESS));
    api = new ApiClient(server.httpPort());
    ApiClient owner = api.as(OWNER_TOKEN);
    pollId = ApiClient.createdId(record(owner.post("/api/polls",
        "{\"question\":\"Which?\",\"options\":[\"a\",\"b\",\"c\"],\"allowVoteChange\":true}")));
    for (int i = 0; i < 5; i++) {
      String voter = record(api.post("/api/voters", "")).json().get("token").asText();
      assertEquals(200, record(api.as(voter).post("/api/polls/" + pollId + "/ballots",
          "{\"choices\":[" + (i % 3) + "]}")).status());
    }
    pollBefore = record(api.get("/api/polls/" + pollId)).body();
  }

  /** After every test: no 5xx, and the poll unchanged (the server and Cassandra stop after the class). */
  @AfterAll
  static void checkNothingBroke() {
    if (server != null) {
      assertFalse(statuses.stream().anyMatch(status -> status >= 500), () -> "5xx answers: " + statuses);
      assertEquals(pollBefore, record(api.get("/api/polls/" + pollId)).body(), "the poll did not change");
    }
  }

  @AfterEach
  void closeHeld() {
    held.forEach(RawConnection::close);
    held.clear();
  }

  private static ApiClient.Reply record(ApiClient.Reply reply) {
    statuses.add(reply.status());
    return reply;
  }

  private RawConnection hold(RawConnection connection) {
    held.add(connection);
    if (connection.status() > 0) {
      statuses.add(connection.status());
    }
    return connection;
  }

  @Test
  void slowlorisConnectionsAreCutAtTheRequestHeadDeadlineWhileOthersAreServed() throws Exception {
    int port = server.httpPort();
    List<RawConnection> slow = new ArrayList<>();
    for (int i = 0; i < 15; i++) {
      slow.add(hold(RawConnection.open("127.0.0.7", port)));
    }
    String head = "GET /api/polls/" + pollId + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    // one byte per connection every 500 ms, for longer than the deadline: Pekko's own idle timeout (60 s, reset by
    // every byte) would never cut them
    long trickleUntil = System.nanoTime() + HEAD_TIMEOUT.multipliedBy(3).toNanos();
    int sent = 0;
    boolean anyOpen = true;
    while (System.nanoTime() < trickleUntil && anyOpen) {
      anyOpen = false;
      for (RawConnection connection : slow) {
        anyOpen |= connection.send(String.valueOf(head.charAt(sent % head.length())));
      }
      sent++;
      assertEquals(200, record(api.get("/api/polls/" + pollId)).status(), "other clients are served meanwhile");
      Thread.sleep(500);
    }
    for (RawConnection connection : slow) {
      assertTrue(connection.closedByServerWithin(CUT_WITHIN), "a slowloris connection was still open");
    }
    // a request whose head arrives whole on a fresh connection from the same address is served
    try (RawConnection whole = RawConnection.open("127.0.0.7", port)) {
      whole.send("GET /api/polls/" + pollId + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      whole.readHead();
      statuses.add(whole.status());
      assertEquals(200, whole.status(), whole.head());
    }
  }

  @Test
  void oneAddressHoldsAtMostItsCapOfConnections() {
    int port = server.httpPort();
    for (int i = 0; i < CONNECTIONS_PER_ADDRESS; i++) {
      hold(RawConnection.open("127.0.0.5", port));
    }
    // each of them is served: a request on the last one is answered
    RawConnection last = held.get(held.size() - 1);
    last.send("GET /api/polls/" + pollId + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    last.readHead();
    statuses.add(last.status());
    assertEquals(200, last.status(), last.head());
    // one more from the same address is closed at once, without an answer
    try (RawConnection over = RawConnection.open("127.0.0.5", port)) {
      over.send("GET /api/polls/" + pollId + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertTrue(over.closedByServerWithin(CUT_WITHIN), "the connection over the cap was kept");
    }
    // another address is not affected
    try (RawConnection other = RawConnection.open("127.0.0.8", port)) {
      other.send("GET /api/polls/" + pollId + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      other.readHead();
      statuses.add(other.status());
      assertEquals(200, other.status(), other.head());
    }
  }

  @Test
  void oneAddressHoldsAtMostItsCapOfLiveSockets() {
    int port = server.httpPort();
    for (int i = 0; i < SOCKETS_PER_ADDRESS; i++) {
      assertEquals(101, hold(RawConnection.upgrade("127.0.0.6", port, pollId, List.of())).status());
    }
    RawConnection over = hold(RawConnection.upgrade("127.0.0.6", port, pollId, List.of()));
    assertEquals(429, over.status(), over.head());
    assertTrue(over.head().contains("application/problem+json"), over.head());
    assertEquals(101, hold(RawConnection.upgrade("127.0.0.9", port, pollId, List.of())).status(),
        "another address opens sockets as before");
  }
}
