package cluster;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import support.ApiClient;
import support.FreePorts;
import support.LivepollProcess;
import support.TestConfig;

/**
 * A Cassandra ring ({@code ./livepoll cassandra}, one node or several) and server nodes on it, every one a process of
 * its own, all stopped by {@link #close} whatever state a test left them in.
 */
final class TestCluster implements AutoCloseable {
  static final String ORGANIZER = TestConfig.tokens().organizer("multi-jvm", false);
  private static final Duration MEMBERSHIP_TIMEOUT = Duration.ofMinutes(1);

  final Path workDir;
  /** The CQL port of the first database node, on 127.0.0.1. */
  final int cqlPort;
  final String keyspace;
  final List<DatabaseNode> databases;
  final List<ServerNode> nodes = new ArrayList<>();

  private TestCluster(Path workDir, String keyspace, List<DatabaseNode> databases) {
    this.workDir = workDir;
    this.cqlPort = databases.get(0).cqlPort;
    this.keyspace = keyspace;
    this.databases = databases;
  }

  /**
   * Starts {@code ./livepoll cassandra} with its data under {@code dataDir}; returns once CQL answers. Every
   * process's output goes to a log file in {@code workDir}.
   */
  static TestCluster startCassandra(Path workDir, Path dataDir, String keyspace) {
    return startCassandraRing(workDir, dataDir, keyspace, 1);
  }

  /**
   * Starts a ring of {@code size} Cassandra nodes on 127.0.0.1, 127.0.0.2, ..., each {@code ./livepoll cassandra}
   * with its own data directory under {@code dataDir}: the first (the seed) alone, then the others together.
   */
  static TestCluster startCassandraRing(Path workDir, Path dataDir, String keyspace, int size) {
    long start = System.nanoTime();
    List<DatabaseNode> databases = new ArrayList<>();
    for (int i = 1; i <= size; i++) {
      databases.add(new DatabaseNode(size == 1 ? "cassandra" : "cassandra" + i, "127.0.0." + i, workDir,
          size == 1 ? dataDir : dataDir.resolve("node" + i)));
    }
    if (size > 1) {
      String seed = databases.get(0).seedAddress();
      databases.forEach(node -> node.inRing(seed, "livepoll-" + keyspace));
    }
    TestCluster cluster = new TestCluster(workDir, keyspace, databases);
    try {
      databases.get(0).start();
      databases.get(0).awaitReady();
      // one ring, one login: the roles live in the ring's system_auth, so every node takes the first node's, and
      // system_auth is replicated to every node (they stream it as they join), so one node down locks no one out
      databases.subList(1, size).forEach(node -> node.shareLogin(databases.get(0)));
      if (size > 1) {
        cluster.replicateLogins(size);
      }
      databases.subList(1, size).forEach(DatabaseNode::start);
      databases.subList(1, size).forEach(DatabaseNode::awaitReady);
    } catch (AssertionError e) {
      cluster.close();
      throw e;
    }
    System.out.printf("%s: %d Cassandra node(s) ready in %d ms%n", keyspace, size, millisSince(start));
    return cluster;
  }

  /** Replicates the ring's roles (system_auth) to {@code replicas} nodes, before the others join. */
  private void replicateLogins(int replicas) {
    storage.CassandraCredentials login = credentials();
    try (com.datastax.oss.driver.api.core.CqlSession session = login.applyTo(
            com.datastax.oss.driver.api.core.CqlSession.builder())
        .addContactPoint(new java.net.InetSocketAddress(databases.get(0).address, cqlPort))
        .withLocalDatacenter("datacenter1").build()) {
      session.execute("ALTER KEYSPACE system_auth WITH replication = {'class': 'SimpleStrategy', "
          + "'replication_factor': " + replicas + "}");
    }
  }

  /** Every database node's CQL address, comma-separated, as LIVEPOLL_CASSANDRA_CONTACT_POINTS. */
  String contactPoints() {
    return databases.stream().map(DatabaseNode::contactPoint).collect(Collectors.joining(","));
  }

  /** The server nodes' shared settings for the whole ring: its replication and every node as a contact point. */
  Map<String, String> serverEnv() {
    Map<String, String> env = withLogin(ServerNode.sharedEnv(contactPoints(), keyspace));
    env.put("LIVEPOLL_CASSANDRA_REPLICATION",
        "{'class': 'SimpleStrategy', 'replication_factor': " + databases.size() + "}");
    return env;
  }

  /** The server nodes' shared settings, with the database at {@code cassandraHost}. */
  Map<String, String> serverEnv(String cassandraHost, int port) {
    return withLogin(ServerNode.sharedEnv(cassandraHost + ":" + port, keyspace));
  }

  private Map<String, String> withLogin(Map<String, String> shared) {
    Map<String, String> env = new HashMap<>(shared);
    env.put("LIVEPOLL_CASSANDRA_USERNAME", credentials().username());
    env.put("LIVEPOLL_CASSANDRA_PASSWORD", credentials().password());
    return env;
  }

  /** The login that the ring's first {@code ./livepoll cassandra} generated at its first start, shared by all. */
  storage.CassandraCredentials credentials() {
    return databases.get(0).credentials();
  }

  ServerNode addNode(String name, ServerNode.Placement placement, Map<String, String> env) {
    ServerNode node = new ServerNode(name, placement, workDir, env);
    nodes.add(node);
    return node;
  }

  /** Every node's seed address, comma-separated, as each node's LIVEPOLL_SEED_NODES. */
  String seedNodes() {
    return nodes.stream().map(ServerNode::seedAddress).collect(Collectors.joining(","));
  }

  /** Starts every node at once, as an operator would, and waits until each serves and sees all of them Up. */
  void startAll(String appVersion) {
    long start = System.nanoTime();
    nodes.forEach(node -> node.start(seedNodes(), appVersion));
    nodes.forEach(ServerNode::awaitReady);
    awaitUp(nodes, nodes);
    System.out.printf("%s: %d nodes Up on every node %d ms after they were started%n", keyspace, nodes.size(),
        millisSince(start));
  }

  /** Waits until every one of {@code observers} sees exactly {@code members} Up. */
  void awaitUp(List<ServerNode> observers, List<ServerNode> members) {
    Set<String> wanted = members.stream().map(ServerNode::clusterAddress).collect(Collectors.toSet());
    long deadline = System.nanoTime() + MEMBERSHIP_TIMEOUT.toNanos();
    for (ServerNode observer : observers) {
      while (!observer.upMembers().equals(wanted)) {
        assertTrue(System.nanoTime() < deadline, () -> observer + " sees " + observer.members() + ", not " + wanted
            + " Up, after " + MEMBERSHIP_TIMEOUT);
        sleep(100);
      }
    }
  }

  /** Creates {@code count} polls with {@code options} options, through the nodes in turn. */
  List<String> createPolls(int count, int options) {
    List<String> polls = new ArrayList<>();
    String labels = String.join(",", java.util.stream.IntStream.range(0, options)
        .mapToObj(option -> "\"option " + option + "\"").toList());
    for (int i = 0; i < count; i++) {
      ApiClient organizer = nodes.get(i % nodes.size()).api().as(ORGANIZER);
      String body = "{\"question\":\"Poll " + i + "?\",\"options\":[" + labels + "]}";
      ApiClient.Reply created = organizer.post("/api/polls", body);
      // right after the cluster formed, placing the first shards can take longer than a busy machine's patience:
      // a 503 says to retry (a poll created after all is left over, unused)
      for (int retry = 0; created.status() == 503 && retry < 5; retry++) {
        sleep(1000);
        created = organizer.post("/api/polls", body);
      }
      if (created.status() != 201) {
        throw new AssertionError("creating a poll through " + nodes.get(i % nodes.size()) + ": " + created);
      }
      polls.add(ApiClient.createdId(created));
    }
    return polls;
  }

  /** Which running node holds each poll's shard now, as each node's management endpoint tells it. */
  Map<String, ServerNode> owners(List<String> polls) {
    Map<String, ServerNode> byShard = new HashMap<>();
    for (ServerNode node : nodes) {
      if (node.isRunning()) {
        try {
          node.pollShards().forEach(shard -> byShard.put(shard, node));
        } catch (java.io.UncheckedIOException leaving) {
          // its management endpoint is already closed: it holds no shard any more
        }
      }
    }
    Map<String, ServerNode> owners = new HashMap<>();
    for (String poll : polls) {
      ServerNode owner = byShard.get(ServerNode.shardOf(poll));
      if (owner != null) {
        owners.put(poll, owner);
      }
    }
    return owners;
  }

  /**
   * Asks for each poll through {@code via} (in turn) until it answers 200, and returns the milliseconds from
   * {@code since} (a System.nanoTime) until the last one did. Each ask may wait inside the server while the poll's
   * owner moves, so the first 200 comes as soon as the poll serves again.
   */
  long awaitServing(List<String> polls, List<ServerNode> via, long since, Duration within) {
    // each poll asked on its own thread, as its own voters would: the last poll's time is not the sum of the others'
    long deadline = since + within.toNanos();
    Map<String, Long> servedAt = new java.util.concurrent.ConcurrentHashMap<>();
    List<Thread> askers = new ArrayList<>();
    for (int i = 0; i < polls.size(); i++) {
      ServerNode node = via.get(i % via.size());
      String poll = polls.get(i);
      Thread asker = new Thread(() -> {
        while (System.nanoTime() < deadline) {
          if (serves(node, poll)) {
            servedAt.put(poll, millisSince(since));
            return;
          }
          sleep(100);
        }
      }, "serves-" + poll);
      asker.start();
      askers.add(asker);
    }
    askers.forEach(asker -> {
      try {
        asker.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    });
    List<String> notServed = polls.stream().filter(poll -> !servedAt.containsKey(poll)).toList();
    assertTrue(notServed.isEmpty(), () -> "polls " + notServed + " did not serve through " + via + " within " + within);
    return servedAt.values().stream().mapToLong(Long::longValue).max().orElse(millisSince(since));
  }

  /** Waits until every poll's shard is on one of {@code nodes}; the milliseconds since {@code since}. */
  long awaitOwnedBy(List<String> polls, List<ServerNode> nodes, long since, Duration within) {
    long deadline = since + within.toNanos();
    while (true) {
      Map<String, ServerNode> owners = owners(polls);
      if (polls.stream().allMatch(poll -> nodes.contains(owners.get(poll)))) {
        return millisSince(since);
      }
      assertTrue(System.nanoTime() < deadline, () -> "polls not yet on " + nodes + " after " + within + ": "
          + owners);
      // a handed-off shard is placed again when its next message arrives
      awaitServing(polls, nodes, System.nanoTime(), within);
      sleep(100);
    }
  }

  private static boolean serves(ServerNode node, String poll) {
    try {
      return node.api().get("/api/polls/" + poll).status() == 200;
    } catch (RuntimeException busy) {
      // the node is restarting its connections or too busy to answer in time: ask again
      return false;
    }
  }

  @Override
  public void close() {
    nodes.forEach(ServerNode::close);
    databases.forEach(DatabaseNode::close);
  }

  static long millisSince(long nanoTime) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanoTime);
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
