package server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import auth.Tokens;
import metrics.Telemetry;
import org.apache.pekko.cluster.typed.Cluster;
import storage.LocalCassandra;

/**
 * Command-line entry point: {@code run} (default) a server node, or {@code cassandra} alone, {@code schema} to
 * prepare an existing database, {@code token}. The load drivers are
 * not here: they are the loadtest module's ({@code ./livepoll bench ...}).
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "run" : args[0];
    switch (command) {
      case "run" -> run();
      case "cassandra" -> runCassandra();
      case "token" -> printToken(args);
      case "schema" -> applySchema();
      default -> usage();
    }
  }

  private static void usage() {
    System.err.println(
        "usage: livepoll [run | cassandra | schema | token organizer|admin <name>]"
            + " (the load drivers bench, bench-live and bench-recovery run from loadtest/ through ./livepoll)");
    System.exit(2);
  }

  /** Signs with the same secret as a server started with the same environment; the token is the last line. */
  private static void printToken(String[] args) {
    if (args.length != 3 || !(args[1].equals("organizer") || args[1].equals("admin"))) {
      usage();
    }
    if (!Tokens.isValidOrganizerName(args[2])) {
      System.err.println("an organizer name is 1 to 64 characters of [A-Za-z0-9._@-]");
      System.exit(2);
    }
    Settings settings = Settings.from(ConfigFactory.load());
    System.out.println(settings.tokens(java.time.Clock.systemUTC()).organizer(args[2], args[1].equals("admin")));
  }

  /**
   * Runs a node until it stops, then exits with {@link Exit}'s status and prints its reason as the last line. SIGTERM
   * and SIGINT start the coordinated shutdown directly, not through the JVM's shutdown hooks, so that a clean stop
   * can exit 0 (a JVM ending on SIGTERM's own hooks exits 143 whatever they did).
   */
  private static void run() {
    LogFormat logs = LogFormat.current();
    Config config = ConfigFactory.load();
    Exit exit;
    // Kamon first: its agent must instrument Pekko's classes before the actor system loads them
    try (Telemetry telemetry = Telemetry.start(config)) {
      LivepollServer server = LivepollServer.start(config);
      onStopSignal(() -> server.shutDown(Exit.Signalled.INSTANCE));
      logs.announce("Livepoll is ready: http://" + Settings.from(server.system().settings().config()).httpHost()
          + ":" + server.httpPort() + "/  (voters enter a join code there; /organize is the organizer console, /api the "
          + "API; app-version "
          + Cluster.get(server.system()).selfMember().appVersion() + "; Ctrl-C stops it)");
      exit = server.awaitExit();
    } catch (RuntimeException e) {
      exit = Exit.startFailed(e.getMessage());
    }
    System.out.flush();
    (exit.clean() ? System.out : System.err).println(exit.reason());
    System.exit(exit.status());
  }

  /** SIGTERM (an orchestrator, kill) and SIGINT (Ctrl-C) run {@code stop} instead of the JVM's shutdown. */
  private static void onStopSignal(Runnable stop) {
    for (String signal : java.util.List.of("TERM", "INT")) {
      sun.misc.Signal.handle(new sun.misc.Signal(signal), received -> stop.run());
    }
  }

  /**
   * Creates the keyspace and tables in the Cassandra of LIVEPOLL_CASSANDRA_CONTACT_POINTS, once, before any node
   * starts: nodes that apply the schema at the same moment through different Cassandra nodes can disagree on it.
   */
  private static void applySchema() {
    Settings settings = Settings.from(ConfigFactory.load());
    if (settings.embeddedCassandra()) {
      System.err.println("livepoll schema: set LIVEPOLL_CASSANDRA_CONTACT_POINTS to the database to prepare");
      System.exit(2);
    }
    storage.CassandraSchema.apply(settings.cassandraContactPoints(), settings.cassandraLocalDatacenter(),
        settings.cassandraKeyspace(), settings.cassandraReplication(), settings.cassandraCredentials(),
        settings.schemaTimeout());
    System.out.println("Schema of keyspace " + settings.cassandraKeyspace() + " is in place");
  }

  private static void runCassandra() throws InterruptedException {
    Config config = ConfigFactory.load();
    Settings settings = Settings.from(config);
    LocalCassandra cassandra = LivepollServer.startLocalCassandra(settings);
    // stopped from a signal handler, not a shutdown hook, so that a clean stop exits 0 (see run())
    java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
    onStopSignal(stopped::countDown);
    Runtime.getRuntime().addShutdownHook(new Thread(cassandra::close, "stop-cassandra"));
    String address = settings.localCassandraRing().address() + ":" + settings.localCassandraPort();
    System.out.println("Cassandra is ready on " + address + "  (LIVEPOLL_CASSANDRA_CONTACT_POINTS=" + address
        + "; its login is in " + settings.localCassandraDir().resolve("cql-credentials")
        + ", which servers with the same data directory read; Ctrl-C stops it)");
    stopped.await();
    cassandra.close();
    var failure = cassandra.stopFailure();
    System.out.flush();
    if (failure.isPresent()) {
      System.err.println("Cassandra stopped with an error: " + failure.get());
      System.exit(Exit.SHUTDOWN_FAILED);
    }
    System.out.println("Cassandra stopped cleanly");
    System.exit(0);
  }
}
