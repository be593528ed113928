package cluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import support.ApiClient;
import support.FreePorts;
import support.LivepollProcess;
import support.TestConfig;

/**
 * One Livepoll server node run as users run it ({@code ./livepoll} with LIVEPOLL_* variables), a JVM of its own. Its
 * ports stay the same across restarts, as a node's would on its machine, so the seed node list stays right.
 */
final class ServerNode implements AutoCloseable {
  static final Duration START_TIMEOUT = Duration.ofMinutes(4);

  /** Where a node runs: its addresses, and the command prefix that puts it there (a network namespace). */
  record Placement(List<String> commandPrefix, String remoteHost, String serviceHost) {
    static Placement loopback() {
      return new Placement(List.of(), "127.0.0.1", "127.0.0.1");
    }
  }

  final String name;
  final Placement placement;
  final int httpPort = FreePorts.next();
  final int remotePort = FreePorts.next();
  final int managementPort = FreePorts.next();
  final int metricsPort = FreePorts.next();
  private final Path workDir;
  private final Map<String, String> sharedEnv;
  private final ApiClient api;
  private final ApiClient management;
  private LivepollProcess process;
  private int starts = 0;

  ServerNode(String name, Placement placement, Path workDir, Map<String, String> sharedEnv) {
    this.name = name;
    this.placement = placement;
    this.workDir = workDir;
    this.sharedEnv = sharedEnv;
    this.api = new ApiClient(placement.serviceHost(), httpPort);
    this.management = new ApiClient(placement.serviceHost(), managementPort);
  }

  /** {@code host:port} of this node's remoting, as LIVEPOLL_SEED_NODES lists it. */
  String seedAddress() {
    return placement.remoteHost() + ":" + remotePort;
  }

  /** The Pekko address the cluster knows this node by. */
  String clusterAddress() {
    return "pekko://livepoll@" + seedAddress();
  }

  /** Starts the node's process; {@link #awaitReady} waits until it serves. */
  void start(String seedNodes, String appVersion) {
    if (process != null && process.isAlive()) {
      throw new IllegalStateException(name + " is running already");
    }
    Map<String, String> env = new HashMap<>(sharedEnv);
    env.put("LIVEPOLL_DATA_DIR", workDir.resolve(name).toString());
    env.put("LIVEPOLL_HTTP_HOST", placement.serviceHost());
    env.put("LIVEPOLL_HTTP_PORT", Integer.toString(httpPort));
    env.put("LIVEPOLL_REMOTE_HOST", placement.remoteHost());
    env.put("LIVEPOLL_REMOTE_PORT", Integer.toString(remotePort));
    env.put("LIVEPOLL_MANAGEMENT_HOST", placement.serviceHost());
    env.put("LIVEPOLL_MANAGEMENT_PORT", Integer.toString(managementPort));
    env.put("LIVEPOLL_METRICS_PORT", Integer.toString(metricsPort));
    env.put("LIVEPOLL_SEED_NODES", seedNodes);
    env.put("LIVEPOLL_APP_VERSION", appVersion);
    List<String> command = new ArrayList<>(placement.commandPrefix());
    command.add("./livepoll");
    starts++;
    process = LivepollProcess.start(name, command, env, workDir.resolve(name + "-" + starts + ".log"),
        ServerNode::worthEchoing);
  }

  void awaitReady() {
    process.awaitLine("Livepoll is ready", START_TIMEOUT);
  }

  /** Cluster events and trouble, not every request's log line. */
  private static boolean worthEchoing(String line) {
    return line.contains(" WARN ") || line.contains(" ERROR ") || line.startsWith("Livepoll is ready")
        || line.contains("SplitBrainResolver") || line.contains("Leader is moving node")
        || line.contains("Leader is removing") || line.contains("Marking node") || line.contains("is JOINING")
        || line.contains("Exiting completed") || line.contains("Shutting down remote daemon");
  }

  ApiClient api() {
    return api;
  }

  LivepollProcess process() {
    return process;
  }

  boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** SIGKILL: the node vanishes without a word to anyone. */
  void crash() {
    process.kill();
  }

  /** SIGTERM: the node leaves the cluster, hands its polls off and exits. */
  void terminate() {
    process.terminate();
  }

  boolean awaitExit(Duration timeout) {
    return process.awaitExit(timeout);
  }

  /** Management's /cluster/members, or null while the node does not answer. */
  JsonNode members() {
    try {
      ApiClient.Reply reply = management.get("/cluster/members");
      return reply.status() == 200 ? reply.json() : null;
    } catch (RuntimeException unreachable) {
      return null;
    }
  }

  /** Addresses of the members this node sees Up. */
  /** Whether this node sees itself Up (not joining, leaving, exiting or down). */
  boolean isUp() {
    JsonNode members = members();
    return members != null && upMembers().contains(members.path("selfNode").asText());
  }

  Set<String> upMembers() {
    JsonNode members = members();
    Set<String> up = new HashSet<>();
    if (members != null) {
      members.path("members").forEach(member -> {
        if ("Up".equals(member.path("status").asText())) {
          up.add(member.path("node").asText());
        }
      });
    }
    return up;
  }

  /**
   * Management's /cluster/shards/Poll: the poll shards this node's region holds now. While the region hands shards
   * off it may not answer management's question in time (500), so that is asked again for a while.
   */
  Set<String> pollShards() {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    ApiClient.Reply reply = management.get("/cluster/shards/Poll");
    while (reply.status() != 200 && System.nanoTime() < deadline) {
      TestCluster.sleep(250);
      reply = management.get("/cluster/shards/Poll");
    }
    if (reply.status() != 200) {
      throw new AssertionError(name + ": /cluster/shards/Poll answered " + reply);
    }
    Set<String> shards = new HashSet<>();
    // {"regions":[{"shardId":"17","numEntities":1},...]}: despite its name, one entry per shard of this region
    reply.json().path("regions").forEach(shard -> shards.add(shard.path("shardId").asText()));
    return shards;
  }

  /** The shard of a poll: Cluster Sharding's default, the id's hash code modulo 1000 shards. */
  static String shardOf(String pollId) {
    return Integer.toString(Math.abs(pollId.hashCode() % 1000));
  }

  @Override
  public void close() {
    if (process != null) {
      process.close();
    }
  }

  @Override
  public String toString() {
    return name;
  }

  /** What every node of a test cluster shares: the database, the signing key, limits fit for one client address. */
  static Map<String, String> sharedEnv(String cassandraContactPoint, String keyspace) {
    Map<String, String> env = new HashMap<>();
    env.put("LIVEPOLL_CASSANDRA_CONTACT_POINTS", cassandraContactPoint);
    env.put("LIVEPOLL_CASSANDRA_KEYSPACE", keyspace);
    env.put("LIVEPOLL_AUTH_SECRET", TestConfig.AUTH_SECRET);
    // every test client comes from one address
    env.put("LIVEPOLL_LIMIT_REQUESTS_PER_SECOND", "1000000");
    env.put("LIVEPOLL_LIMIT_REQUESTS_BURST", "1000000");
    // three servers, a Cassandra node and the test share two cores
    env.put("LIVEPOLL_JAVA_OPTS", "-Xms128m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    return env;
  }
}
