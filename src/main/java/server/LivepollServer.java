package server;

import actors.ClosingSchedule;
import actors.JoinCode;
import actors.Poll;
import actors.PollChanges;
import actors.PollEntity;
import actors.PollInbox;
import actors.Polls;
import actors.TokenRevocations;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import http.EdgeServer;
import http.Https;
import http.PollRoutes;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;
import java.util.function.Function;
import org.apache.pekko.management.javadsl.PekkoManagement;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import storage.CassandraSchema;
import readside.ReadSide;
import storage.CassandraCredentials;
import storage.LocalCassandra;
import audit.Audit;
import audit.AuditLog;
import audit.CassandraAuditLog;
import lifecycle.CassandraErasure;
import lifecycle.LifecycleSettings;
import lifecycle.PollDeletion;
import lifecycle.PollErasure;
import lifecycle.Retention;

/**
 * One Livepoll node: its Cassandra (local child or remote), the schema, the actor system in the cluster, the poll
 * entities under Cluster Sharding, the HTTP edge and the operator endpoints. {@link #start} returns when it serves.
 */
public final class LivepollServer {
  private static final Logger log = LoggerFactory.getLogger(LivepollServer.class);
  public static final String SYSTEM_NAME = "livepoll";
  private static final String CASSANDRA_JOURNAL = "pekko.persistence.cassandra.journal";

  private final ActorSystem<Void> system;
  private final EdgeServer binding;
  private final int managementPort;
  private final Polls polls;
  private final LocalCassandra localCassandra;
  /** The node's membership just before its actor system terminated, as coordinated shutdown left it. */
  private final java.util.concurrent.atomic.AtomicReference<MemberStatus> statusAtEnd;
  private final Termination termination;

  private LivepollServer(ActorSystem<Void> system, EdgeServer binding, int managementPort, Polls polls,
      LocalCassandra localCassandra, java.util.concurrent.atomic.AtomicReference<MemberStatus> statusAtEnd,
      Termination termination) {
    this.system = system;
    this.binding = binding;
    this.managementPort = managementPort;
    this.polls = polls;
    this.localCassandra = localCassandra;
    this.statusAtEnd = statusAtEnd;
    this.termination = termination;
  }

  /**
   * Without an operator password the operator endpoints stay read-only (Pekko Management's default); with one, the
   * cluster-changing ones are enabled, and {@link http.OperatorRoutes} asks for the operator's credentials on every
   * one of them. Health checks and Cluster Bootstrap stay open either way: Kubernetes probes and peers that form the
   * cluster carry no credentials.
   */
  private static Function<ManagementRouteProviderSettings, ManagementRouteProviderSettings> operatorAccess(
      Settings settings) {
    return access -> access.withReadOnly(settings.operatorPassword().isEmpty());
  }

  /**
   * Refused: a node that joins others but starts a Cassandra of its own would write its polls where no other node
   * reads them, and the cluster's single writer per poll would mean nothing.
   */
  static final String PRIVATE_CASSANDRA_IN_A_CLUSTER = "this node joins a cluster (LIVEPOLL_SEED_NODES or "
      + "LIVEPOLL_CLUSTER_FORMATION=kubernetes-api is set) but LIVEPOLL_CASSANDRA_CONTACT_POINTS is empty, so it would "
      + "start a private Cassandra that no other node reads. Set LIVEPOLL_CASSANDRA_CONTACT_POINTS to the cluster's "
      + "database (for instance one started with `./livepoll cassandra`), or unset LIVEPOLL_SEED_NODES to run a node "
      + "of its own.";

  /** Starts a node from {@code config} (usually {@code ConfigFactory.load()}). */
  public static LivepollServer start(Config config) {
    Settings settings = Settings.from(config);
    if (settings.embeddedCassandra() && settings.joinsOtherNodes()) {
      throw new IllegalStateException("Livepoll could not start: " + PRIVATE_CASSANDRA_IN_A_CLUSTER);
    }
    LocalCassandra localCassandra = settings.embeddedCassandra() ? startLocalCassandra(settings) : null;
    try {
      List<InetSocketAddress> contactPoints = localCassandra != null
          ? List.of(localCassandra.contactPoint())
          : settings.cassandraContactPoints();
      // the embedded node's own login unless one is configured
      Optional<CassandraCredentials> credentials = localCassandra != null && settings.cassandraUsername().isEmpty()
          ? Optional.of(localCassandra.credentials())
          : settings.cassandraCredentials();
      CassandraSchema.apply(contactPoints, settings.cassandraLocalDatacenter(), settings.cassandraKeyspace(),
          settings.cassandraReplication(), credentials, settings.schemaTimeout());
      return startNode(withDatabase(config, contactPoints, credentials), settings, localCassandra);
    } catch (RuntimeException e) {
      if (localCassandra != null) {
        localCassandra.close();
      }
      throw e;
    }
  }

  /**
   * Starts the node against whatever journal {@code config} names, with no database of its own to manage. Fast
   * tests of the HTTP edge use it with the in-memory journal; users always go through {@link #start}.
   */
  public static LivepollServer startNode(Config config) {
    return startNode(config, Settings.from(config), null);
  }

  private static LivepollServer startNode(Config config, Settings settings, LocalCassandra localCassandra) {
    warnIfTooFewFileDescriptors(config.getInt("pekko.http.server.max-connections"),
        settings.edgeLimits().maxLiveSockets());
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), SYSTEM_NAME, config);
    Termination termination = Termination.of(system);
    var statusAtEnd = new java.util.concurrent.atomic.AtomicReference<MemberStatus>();
    CoordinatedShutdown.get(system).addTask(
        CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "note-membership-at-end", () -> {
          statusAtEnd.set(Cluster.get(system).selfMember().status());
          return CompletableFuture.completedFuture(Done.getInstance());
        });
    if (localCassandra != null) {
      // Runs after the HTTP server is unbound, shards are handed off and entities have written their events.
      CoordinatedShutdown.get(system).addTask(
          CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "stop-local-cassandra", () ->
              CompletableFuture.supplyAsync(() -> {
                localCassandra.close();
                return Done.getInstance();
              }));
    }
    try {
      // before joining: Cluster Bootstrap finds its peers through their management endpoints, and /ready answers
      // (not ready) while the node joins
      Uri management = PekkoManagement.get(system).start(operatorAccess(settings))
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
      joinCluster(system, settings);
      awaitUp(system, settings.joinTimeout());
      ActorRef<ClosingSchedule.Command> closingSchedule = ClosingSchedule.init(system, Clock.systemUTC());
      PollChanges.Settings changes = settings.changeLogs();
      PollChanges.Topics changeTopics = PollChanges.init(system, changes);
      Poll.Settings pollSettings = settings.pollSettings(Clock.systemUTC());
      BooleanSupplier cutOff = PollEntity.cutOff(system);
      PollEntity.init(system, pollId -> PollInbox.behavior(pollId, closingSchedule,
          PollChanges.logOf(system, pollId, changes.slices()), pollSettings, cutOff).narrow());
      JoinCode.init(system);
      TokenRevocations.init(system, Clock.systemUTC());
      TokenRevocations.Known revoked = TokenRevocations.Known.start(system, settings.revocationsRefresh(),
          settings.askTimeout());
      // serve only once this node knows which tokens were revoked
      revoked.loaded().toCompletableFuture().get(settings.joinTimeout().toSeconds(), TimeUnit.SECONDS);
      Polls polls = new Polls(system, settings.askTimeout(), settings.retryWithin(), pollRegistry(system, config));
      ReadSide readSide = settings.readSideEnabled()
          ? ReadSide.start(system, settings.readSide(), changeTopics) : null;
      LifecycleSettings lifecycle = LifecycleSettings.from(config);
      boolean onCassandra = CASSANDRA_JOURNAL.equals(config.getString("pekko.persistence.journal.plugin"));
      Audit audit = new Audit(onCassandra
          ? new CassandraAuditLog(system, settings.cassandraKeyspace(), lifecycle.auditMaxScanned())
          : AuditLog.NONE, Clock.systemUTC()).registerIn(system);
      PollDeletion deletion = new PollDeletion(polls, onCassandra
          ? new CassandraErasure(system, settings.cassandraKeyspace(), Optional.ofNullable(readSide),
              lifecycle.forgetAgainAfter())
          : PollErasure.JOURNAL_TOMBSTONE_ONLY);
      if (readSide != null && lifecycle.retainClosed().isPresent()) {
        Retention.init(system, new Retention.Settings(lifecycle.retainClosed().get(), lifecycle.sweepEvery()),
            readSide, polls, deletion, audit, settings.cassandraKeyspace(), Clock.systemUTC());
      }
      PollRoutes routes = new PollRoutes(system, polls, settings.tokens(Clock.systemUTC(), revoked::notBefore),
          settings.edgeLimits(),
          readSide, settings.publicUrl(), deletion, audit, lifecycle.auditDefaultLimit(), lifecycle.auditMaxLimit());
      Optional<javax.net.ssl.SSLContext> tls = settings.httpsKeystore().isEmpty() ? Optional.empty()
          : Optional.of(Https.serverTls(Path.of(settings.httpsKeystore()), settings.httpsKeystorePassword()));
      EdgeServer binding = EdgeServer.bind(system, settings.edgeServer(), tls, routes.routes(),
          Duration.ofSeconds(30));
      log.info("Livepoll serves on {}://{}:{}/ (pages; the API under /api)",
          tls.isEmpty() ? "http" : "https", settings.httpHost(), binding.localAddress().getPort());
      return new LivepollServer(system, binding, management.port(), polls, localCassandra, statusAtEnd,
          termination);
    } catch (Exception e) {
      system.terminate();
      awaitTermination(system);
      throw new IllegalStateException("Livepoll could not start: " + e.getMessage(), e);
    }
  }

  /**
   * The index of poll ids on Cassandra, so requests for ids nobody created wake no poll; none on another journal
   * (the in-memory one of tests), where every well-formed id is asked of its poll.
   */
  private static actors.PollRegistry pollRegistry(ActorSystem<?> system, Config config) {
    if (!config.getBoolean("livepoll.poll-index.enabled")
        || !config.getString("pekko.persistence.journal.plugin").startsWith("pekko.persistence.cassandra")) {
      return actors.PollRegistry.NONE;
    }
    Config index = config.getConfig("livepoll.poll-index");
    return new storage.PollIndex(system, config.getString("livepoll.cassandra.keyspace"),
        config.getString("livepoll.cassandra.consistency"), index.getInt("max-remembered"),
        index.getDuration("forget-missing-after"));
  }

  /** Spare descriptors for the jars, Cassandra's connections, the cluster's and the management port. */
  private static final int SPARE_FILE_DESCRIPTORS = 1024;

  /**
   * Each connection and each live socket is a file descriptor: a process out of them can accept nothing more (and
   * Pekko's accept loop then spins). Says so at start when the process's limit does not cover the configured maxima.
   */
  private static void warnIfTooFewFileDescriptors(int maxConnections, int maxLiveSockets) {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
      long needed = (long) maxConnections + maxLiveSockets + SPARE_FILE_DESCRIPTORS;
      if (unix.getMaxFileDescriptorCount() < needed) {
        log.warn("This process may open {} files (ulimit -n) but up to {} connections and {} live sockets need "
                + "about {}: raise the limit, or lower LIVEPOLL_HTTP_MAX_CONNECTIONS / LIVEPOLL_LIVE_MAX_SOCKETS",
            unix.getMaxFileDescriptorCount(), maxConnections, maxLiveSockets, needed);
      }
    }
  }

  private static void joinCluster(ActorSystem<?> system, Settings settings) {
    if (settings.clusterFormation() == Settings.ClusterFormation.KUBERNETES_API) {
      ClusterBootstrap.get(system).start();
      return;
    }
    List<InetSocketAddress> seedNodes = settings.seedNodes();
    Cluster cluster = Cluster.get(system);
    if (seedNodes.isEmpty()) {
      cluster.manager().tell(new org.apache.pekko.cluster.typed.Join(cluster.selfMember().address()));
    } else {
      List<Address> seeds = seedNodes.stream()
          .map(seed -> new Address("pekko", SYSTEM_NAME, seed.getHostString(), seed.getPort()))
          .toList();
      cluster.manager().tell(new JoinSeedNodes(seeds));
    }
  }

  /** Sharding places no poll on a node that is not Up; serving before that would only time out. */
  private static void awaitUp(ActorSystem<?> system, Duration timeout) throws InterruptedException {
    Cluster cluster = Cluster.get(system);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (cluster.selfMember().status() != MemberStatus.up()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("this node did not join the cluster within " + timeout);
      }
      Thread.sleep(20);
    }
  }

  /** Starts the local Cassandra node that the settings describe, under {@code <data-dir>/cassandra}. */
  public static LocalCassandra startLocalCassandra(Settings settings) {
    return LocalCassandra.start(new LocalCassandra.Config(
        settings.localCassandraDir(),
        settings.localCassandraPort(),
        settings.localCassandraStoragePort(),
        cassandraLibDir(settings),
        settings.localCassandraHeap(),
        settings.localCassandraCommitlogSync(),
        settings.localCassandraStartTimeout(),
        settings.localCassandraRing()));
  }

  /** Cassandra's jars sit in target/cassandra-node/lib, beside the server's jar or its classes folder. */
  private static Path cassandraLibDir(Settings settings) {
    if (!settings.localCassandraLibDir().isEmpty()) {
      return Path.of(settings.localCassandraLibDir());
    }
    try {
      Path codeSource = Path.of(LivepollServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return codeSource.getParent().resolve("cassandra-node").resolve("lib");
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException("cannot locate the server's own jar", e);
    }
  }

  /** The driver's contact points and, if the database asks for one, its login. */
  private static Config withDatabase(Config config, List<InetSocketAddress> contactPoints,
      Optional<CassandraCredentials> credentials) {
    List<String> points = contactPoints.stream().map(p -> p.getHostString() + ":" + p.getPort()).toList();
    Map<String, Object> database = new java.util.HashMap<>(credentials.map(CassandraCredentials::driverConfig)
        .orElse(Map.of()));
    database.put("datastax-java-driver.basic.contact-points", ConfigValueFactory.fromIterable(points));
    return ConfigFactory.parseMap(database).withFallback(config);
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public Polls polls() {
    return polls;
  }

  public int httpPort() {
    return binding.localAddress().getPort();
  }

  /** The HTTP server's open connections, live sockets included. */
  public int openConnections() {
    return binding.openConnections();
  }

  public int managementPort() {
    return managementPort;
  }

  /** Runs coordinated shutdown (which also stops a local Cassandra) and waits for it. */
  public void stop() {
    CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
    awaitTermination(system);
  }

  /**
   * Blocks while the node runs: until coordinated shutdown (SIGTERM, a leave, a downing) has terminated it; then
   * how the process should end.
   */
  public Exit awaitExit() {
    boolean terminated = termination.await();
    return Exit.of(CoordinatedShutdown.get(system).getShutdownReason(), statusAtEnd.get(),
        localCassandra == null ? java.util.Optional.empty() : localCassandra.stopFailure(), terminated);
  }

  /** Starts coordinated shutdown for {@code reason} and returns at once; {@link #awaitExit} waits for its end. */
  public void shutDown(org.apache.pekko.actor.CoordinatedShutdown.Reason reason) {
    CoordinatedShutdown.get(system).runAll(reason);
  }

  private static void awaitTermination(ActorSystem<?> system) {
    try {
      system.getWhenTerminated().toCompletableFuture().get(2, TimeUnit.MINUTES);
    } catch (Exception e) {
      log.warn("actor system did not terminate cleanly", e);
    }
  }
}
