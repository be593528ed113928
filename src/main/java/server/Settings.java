package server;

import actors.Poll;
import actors.PollChanges;
import auth.AuthSecret;
import auth.Tokens;
import http.EdgeLimits;
import http.RateLimiter;
import com.typesafe.config.Config;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/** The {@code livepoll} block of the configuration, read once at start. */
public record Settings(
    Path dataDir,
    String httpHost,
    int httpPort,
    EdgeLimits edgeLimits,
    http.EdgeServer.Settings edgeServer,
    String httpsKeystore,
    String httpsKeystorePassword,
    String operatorUser,
    String operatorPassword,
    Duration askTimeout,
    Duration retryWithin,
    String authSecret,
    Tokens.Lifetimes tokenLifetimes,
    int maxBatch,
    int maxQueued,
    Duration writeInterval,
    Duration recordWithin,
    Poll.Limits pollLimits,
    int changeSlices,
    int changesMaxBatch,
    Duration changesWriteInterval,
    String remoteHost,
    int remotePort,
    List<InetSocketAddress> seedNodes,
    Duration joinTimeout,
    List<InetSocketAddress> cassandraContactPoints,
    String cassandraLocalDatacenter,
    String cassandraKeyspace,
    String cassandraReplication,
    String cassandraUsername,
    String cassandraPassword,
    Duration schemaTimeout,
    int localCassandraPort,
    int localCassandraStoragePort,
    String localCassandraHeap,
    String localCassandraCommitlogSync,
    String localCassandraLibDir,
    Duration localCassandraStartTimeout,
    storage.LocalCassandra.Ring localCassandraRing,
    boolean readSideEnabled,
    readside.ReadSide.Settings readSide,
    ClusterFormation clusterFormation,
    String publicUrl,
    Duration revocationsRefresh) {

  /** How a node finds the other nodes of its cluster ({@code livepoll.cluster.formation}). */
  public enum ClusterFormation {
    /** The configured seed nodes, or a cluster of its own when there are none. */
    SEED_NODES,
    /** Pekko Cluster Bootstrap over the Kubernetes API: the pods of the same app find each other. */
    KUBERNETES_API;

    static ClusterFormation named(String name) {
      return switch (name) {
        case "seed-nodes" -> SEED_NODES;
        case "kubernetes-api" -> KUBERNETES_API;
        default -> throw new IllegalArgumentException(
            "livepoll.cluster.formation (LIVEPOLL_CLUSTER_FORMATION): expected seed-nodes or kubernetes-api, got '"
                + name + "'");
      };
    }
  }

  /** Reads the settings; refuses (IllegalArgumentException) settings that contradict each other. */
  public static Settings from(Config config) {
    SettingsCheck.require(config);
    Config c = config.getConfig("livepoll");
    int cqlPort = c.getInt("cassandra.local.port");
    int storagePort = c.getInt("cassandra.local.storage-port");
    return new Settings(
        Path.of(c.getString("data-dir")),
        c.getString("http.host"),
        c.getInt("http.port"),
        new EdgeLimits(
            c.getBytes("http.max-body-bytes"),
            c.getInt("http.max-json-depth"),
            limit(c.getConfig("limits.requests-per-address")),
            limit(c.getConfig("limits.voters-per-address")),
            limit(c.getConfig("limits.ballots-per-voter")),
            c.getInt("limits.max-tracked-keys"),
            c.getDuration("live.tally-interval"),
            c.getDuration("live.slow-reader-timeout"),
            c.getDuration("live.resync-interval"),
            c.getDuration("live.keep-alive-every"),
            c.getInt("live.max-frame-chars"),
            limit(c.getConfig("live.frames-per-socket")),
            limit(c.getConfig("live.frames-per-relay")),
            c.getInt("live.max-bad-frames"),
            c.getInt("live.max-sockets"),
            c.getInt("live.max-sockets-per-address"),
            http.ClientAddresses.parse(c.getString("http.trusted-proxies")),
            list(c.getString("http.allowed-origins")),
            new EdgeLimits.CatalogueLimits(c.getInt("read-side.catalogue.default-limit"),
                c.getInt("read-side.catalogue.max-limit"), c.getInt("read-side.catalogue.max-scanned")),
            perMinute(c.getConfig("limits.creations-per-organizer")),
            c.getInt("limits.open-polls-per-organizer"),
            perMinute(c.getConfig("limits.sign-ups-per-node")),
            c.getDuration("live.token-check-interval"),
            c.getDuration("live.close-timeout")),
        new http.EdgeServer.Settings(
            c.getString("http.host"),
            c.getInt("http.port"),
            c.getDuration("http.request-head-timeout"),
            config.getString("pekko.http.server.idle-timeout").equals("infinite") ? java.util.Optional.empty()
                : java.util.Optional.of(config.getDuration("pekko.http.server.idle-timeout")),
            config.getInt("pekko.http.server.max-connections"),
            c.getInt("http.max-connections-per-address"),
            http.ClientAddresses.parse(c.getString("http.trusted-proxies")),
            Duration.ofSeconds(1),
            Duration.ofSeconds(10)),
        c.getString("http.https.keystore"),
        c.getString("http.https.keystore-password"),
        c.getString("management.operator-user"),
        c.getString("management.operator-password"),
        c.getDuration("http.ask-timeout"),
        c.getDuration("http.retry-within"),
        c.getString("auth.secret"),
        new Tokens.Lifetimes(c.getDuration("auth.organizer-token-ttl"), c.getDuration("auth.voter-token-ttl"),
            c.getDuration("auth.invite-token-ttl")),
        c.getInt("poll.max-batch"),
        c.getInt("poll.max-queued"),
        c.getDuration("poll.write-interval"),
        c.getDuration("poll.record-within"),
        new Poll.Limits(c.getInt("poll.max-distinct-words"), c.getInt("poll.max-hidden-words"),
            c.getInt("poll.max-rounds"), c.getInt("poll.max-invites"), c.getInt("poll.max-sign-ups")),
        c.getInt("changes.slices"),
        c.getInt("changes.max-batch"),
        c.getDuration("changes.write-interval"),
        c.getString("remote.host"),
        c.getInt("remote.port"),
        hostPorts(c.getString("cluster.seed-nodes"), "livepoll.cluster.seed-nodes"),
        c.getDuration("cluster.join-timeout"),
        hostPorts(c.getString("cassandra.contact-points"), "livepoll.cassandra.contact-points"),
        c.getString("cassandra.local-datacenter"),
        c.getString("cassandra.keyspace"),
        c.getString("cassandra.replication"),
        c.getString("cassandra.username"),
        c.getString("cassandra.password"),
        c.getDuration("cassandra.schema-timeout"),
        cqlPort,
        storagePort == 0 ? cqlPort + 1000 : storagePort,
        c.getString("cassandra.local.heap"),
        c.getString("cassandra.local.commitlog-sync"),
        c.getString("cassandra.local.lib-dir"),
        c.getDuration("cassandra.local.start-timeout"),
        new storage.LocalCassandra.Ring(c.getString("cassandra.local.address"), c.getString("cassandra.local.seeds"),
            c.getString("cassandra.local.cluster-name")),
        c.getBoolean("read-side.enabled"),
        new readside.ReadSide.Settings(c.getString("cassandra.keyspace"), c.getInt("changes.slices"),
            c.getInt("read-side.group-after-envelopes"), c.getDuration("read-side.group-after"),
            c.getDuration("read-side.look-every"), c.getInt("read-side.remembered-polls"),
            c.getDuration("read-side.shared-reads-for"), c.getLong("read-side.shared-events-at-most")),
        ClusterFormation.named(c.getString("cluster.formation")),
        c.getString("http.public-url").replaceAll("/+$", ""),
        c.getDuration("auth.revocations-refresh"));
  }

  /** What every poll entity on this node shares; a write that takes longer than the edge waits counts as lost. */
  public Poll.Settings pollSettings(Clock clock) {
    return new Poll.Settings(maxBatch, maxQueued, writeInterval, askTimeout.multipliedBy(2), recordWithin, clock,
        pollLimits);
  }

  /** The change logs: a log's queue holds at most one record per poll of its slice, bounded here all the same. */
  public PollChanges.Settings changeLogs() {
    return new PollChanges.Settings(changeSlices, changesMaxBatch, 1_000_000, changesWriteInterval,
        askTimeout.multipliedBy(2));
  }

  /** The token authority of this node: the configured secret, or the one kept in the data directory. */
  public Tokens tokens(Clock clock) {
    return tokens(clock, Tokens.Revocations.NONE);
  }

  /** The same, refusing the tokens that {@code revocations} revoked. */
  public Tokens tokens(Clock clock, Tokens.Revocations revocations) {
    return new Tokens(AuthSecret.load(authSecret, dataDir), tokenLifetimes, clock, revocations);
  }

  /** Whether the server runs its own Cassandra node (no contact points configured). */
  public boolean embeddedCassandra() {
    return cassandraContactPoints.isEmpty();
  }

  /** The directory of the local Cassandra node ({@code ./livepoll} or {@code ./livepoll cassandra}). */
  public Path localCassandraDir() {
    return dataDir.resolve("cassandra");
  }

  /** The configured CQL login, else the local node's generated one if it exists, else none. */
  public java.util.Optional<storage.CassandraCredentials> cassandraCredentials() {
    return storage.CassandraCredentials.resolve(cassandraUsername, cassandraPassword, localCassandraDir());
  }

  /** Whether this node joins other nodes, which must all write to one database. */
  public boolean joinsOtherNodes() {
    return !seedNodes.isEmpty() || clusterFormation == ClusterFormation.KUBERNETES_API;
  }

  /** A limit written as {@code per-minute} and {@code burst}. */
  private static RateLimiter.Limit perMinute(Config config) {
    return new RateLimiter.Limit(config.getDouble("per-minute") / 60, config.getInt("burst"));
  }

  private static RateLimiter.Limit limit(Config config) {
    return new RateLimiter.Limit(config.getDouble("per-second"), config.getInt("burst"));
  }

  /** A comma-separated list; an empty string is an empty list. */
  private static List<String> list(String text) {
    return Arrays.stream(text.split(",")).map(String::strip).filter(item -> !item.isEmpty()).toList();
  }

  /** Parses {@code host:port,host:port}; an empty string is an empty list. */
  static List<InetSocketAddress> hostPorts(String list, String setting) {
    return Arrays.stream(list.split(","))
        .map(String::strip)
        .filter(entry -> !entry.isEmpty())
        .map(entry -> {
          int colon = entry.lastIndexOf(':');
          if (colon <= 0 || colon == entry.length() - 1) {
            throw new IllegalArgumentException(setting + ": expected host:port, got '" + entry + "'");
          }
          try {
            return InetSocketAddress.createUnresolved(
                entry.substring(0, colon), Integer.parseInt(entry.substring(colon + 1)));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(setting + ": bad port in '" + entry + "'", e);
          }
        })
        .toList();
  }
}
