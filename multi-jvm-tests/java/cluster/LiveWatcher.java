package cluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;
import support.LiveSocketClient;
import support.Views;

/**
 * A live subscriber of one poll that behaves as docs/live.md asks of clients: when its socket closes (its node left or
 * crashed), it reconnects to another node and starts again from that node's fresh snapshot. It keeps the newest
 * state it was shown and every rule a frame broke (seq going backwards, frames other than snapshot and tally).
 */
final class LiveWatcher implements AutoCloseable {
  private final String pollId;
  private final Supplier<List<ServerNode>> nodes;
  private volatile boolean running = true;
  private volatile Socket socket;
  private volatile List<Long> counts = List.of();
  private volatile long seq = -1;
  private int nextNode;
  private volatile int connections = 0;
  private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
  private final Thread keeper;

  LiveWatcher(String pollId, Supplier<List<ServerNode>> nodes, int firstNode) {
    this.pollId = pollId;
    this.nodes = nodes;
    this.nextNode = firstNode;
    this.keeper = new Thread(this::keepConnected, "watcher-" + pollId);
    keeper.setDaemon(true);
    keeper.start();
  }

  /** One socket: its first frame must be a snapshot, then tallies with increasing seq. */
  private final class Socket extends LiveSocketClient {
    private final String node;
    private boolean snapshotSeen;

    Socket(String node) {
      this.node = node;
    }

    @Override
    protected void onFrame(Frame frame) {
      JsonNode json = frame.json();
      String type = json.path("type").asText();
      long frameSeq = json.path("seq").asLong();
      switch (type) {
        case "snapshot" -> {
          if (snapshotSeen) {
            violations.add(node + ": a second snapshot " + json);
          }
          snapshotSeen = true;
          // a fresh snapshot elsewhere may not be older than what an earlier socket showed
          accept(frameSeq, Views.votes(json.path("poll")), json, true);
        }
        case "tally" -> {
          if (!snapshotSeen) {
            violations.add(node + ": a tally before the snapshot " + json);
          }
          accept(frameSeq, Views.counts(json), json, false);
        }
        case "error" -> {
          // the node says it leaves; it closes the socket next, and the watcher reconnects
          if (!"Node leaving".equals(json.path("title").asText())) {
            violations.add(node + ": unexpected error frame " + json);
          }
        }
        default -> violations.add(node + ": unexpected frame " + json);
      }
    }

    private void accept(long frameSeq, List<Long> frameCounts, JsonNode json, boolean snapshot) {
      synchronized (LiveWatcher.this) {
        if (snapshot ? frameSeq < seq : frameSeq <= seq) {
          violations.add(node + ": seq " + frameSeq + " after " + seq + " in " + json);
          return;
        }
        seq = frameSeq;
        counts = frameCounts;
      }
    }
  }

  private void keepConnected() {
    while (running) {
      Socket current = socket;
      if (current == null || current.closed.isDone()) {
        List<ServerNode> candidates = nodes.get();
        ServerNode node = candidates.get(Math.floorMod(nextNode++, candidates.size()));
        try {
          socket = LiveSocketClient.open(node.placement.serviceHost(), node.httpPort, pollId, null,
              new Socket(node.name));
          connections++;
        } catch (AssertionError refused) {
          // that node is gone or not yet serving: try the next one shortly
          TestCluster.sleep(200);
        }
      }
      TestCluster.sleep(50);
    }
  }

  /** Waits until the newest state shown is {@code expected}; whether it came within {@code timeout}. */
  boolean awaitCounts(List<Long> expected, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (counts.equals(expected)) {
        return true;
      }
      TestCluster.sleep(50);
    }
    return counts.equals(expected);
  }

  List<Long> counts() {
    return counts;
  }

  /** Sockets opened so far: the first one plus every reconnection. */
  int connections() {
    return connections;
  }

  List<String> violations() {
    return List.copyOf(violations);
  }

  String pollId() {
    return pollId;
  }

  @Override
  public void close() {
    running = false;
    try {
      keeper.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Socket last = socket;
    if (last != null) {
      last.abort();
    }
  }
}
