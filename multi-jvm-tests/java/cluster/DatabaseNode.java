package cluster;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import support.FreePorts;
import support.LivepollProcess;

/**
 * One Cassandra node started as users start one, {@code ./livepoll cassandra}, a process of its own with its own
 * address, ports and data directory, which stay the same across restarts. Several of them form one ring.
 */
final class DatabaseNode implements AutoCloseable {
  final String name;
  final String address;
  final int cqlPort = FreePorts.next();
  final int storagePort = FreePorts.next();
  private final Path workDir;
  final Path dataDir;
  private final Map<String, String> env = new HashMap<>();
  private LivepollProcess process;
  private int starts = 0;

  /** {@code seeds}: the ring's seed nodes as host:storage-port, or null for a node of its own. */
  DatabaseNode(String name, String address, Path workDir, Path dataDir) {
    this.name = name;
    this.address = address;
    this.workDir = workDir;
    this.dataDir = dataDir;
    env.put("LIVEPOLL_DATA_DIR", dataDir.toString());
    env.put("LIVEPOLL_CASSANDRA_ADDRESS", address);
    env.put("LIVEPOLL_CASSANDRA_PORT", Integer.toString(cqlPort));
    env.put("LIVEPOLL_CASSANDRA_STORAGE_PORT", Integer.toString(storagePort));
    env.put("LIVEPOLL_CASSANDRA_HEAP", "512m");
    // the data is thrown away after the test: an fsync per write would only measure the disk
    env.put("LIVEPOLL_CASSANDRA_COMMITLOG_SYNC", "periodic");
    // a node killed under load replays its commit log on restart; on the busy 2-core machine, with the other nodes,
    // the servers and the voters on the same cores, that took more than the default 2 minutes
    env.put("LIVEPOLL_CASSANDRA_START_TIMEOUT", "300s");
  }

  /** Joins the ring of {@code seeds} (host:storage-port, comma-separated) named {@code clusterName}. */
  DatabaseNode inRing(String seeds, String clusterName) {
    env.put("LIVEPOLL_CASSANDRA_SEEDS", seeds);
    env.put("LIVEPOLL_CASSANDRA_CLUSTER_NAME", clusterName);
    return this;
  }

  /**
   * Takes {@code first}'s login before this node's first start: the ring keeps its roles in its own
   * {@code system_auth}, so a node with a password of its own could not log in to it.
   */
  void shareLogin(DatabaseNode first) {
    Path file = dataDir.resolve("cassandra").resolve("cql-credentials");
    try {
      java.nio.file.Files.createDirectories(file.getParent());
      java.nio.file.Files.copy(first.dataDir.resolve("cassandra").resolve("cql-credentials"), file,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("could not share " + first.name + "'s login with " + name, e);
    }
  }

  /** The login generated into this node's data directory at its first start. */
  storage.CassandraCredentials credentials() {
    return storage.CassandraCredentials.resolve("", "", dataDir.resolve("cassandra")).orElseThrow();
  }

  String seedAddress() {
    return address + ":" + storagePort;
  }

  String contactPoint() {
    return address + ":" + cqlPort;
  }

  void start() {
    starts++;
    process = LivepollProcess.start(name, List.of("./livepoll", "cassandra"), env,
        workDir.resolve(name + "-" + starts + ".log"),
        line -> line.startsWith("Cassandra is ready") || line.contains("ERROR"));
  }

  void awaitReady() {
    process.awaitLine("Cassandra is ready", Duration.ofMinutes(6));
  }

  /** The Cassandra JVM itself (the launcher's child). */
  ProcessHandle cassandraProcess() {
    return process.process().descendants()
        .filter(child -> child.info().commandLine().orElse("").contains("cassandranode.CassandraNode"))
        .findFirst().orElseThrow(() -> new AssertionError(name + " runs no Cassandra JVM"));
  }

  boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** kill -9 of the node (and of its launcher): no flush, no goodbye to its peers. */
  void crash() {
    process.kill();
    process.awaitExit(Duration.ofSeconds(30));
  }

  @Override
  public void close() {
    if (process == null) {
      return;
    }
    if (process.isAlive()) {
      process.terminate();
      if (!process.awaitExit(Duration.ofSeconds(60))) {
        process.close();
      }
    }
    process.close();
  }
}
