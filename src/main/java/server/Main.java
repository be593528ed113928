package server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import storage.LocalCassandra;

/** Command-line entry point: {@code run} (default) a server node, or {@code cassandra} alone, or {@code bench}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    String command = args.length == 0 ? "run" : args[0];
    switch (command) {
      case "run" -> run();
      case "cassandra" -> runCassandra();
      case "bench" -> loadtest.LoadDriver.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      default -> {
        System.err.println("usage: livepoll [run | cassandra | bench [options]]");
        System.exit(2);
      }
    }
  }

  private static void run() {
    LivepollServer server = LivepollServer.start(ConfigFactory.load());
    System.out.println("Livepoll is ready: http://" + Settings.from(server.system().settings().config()).httpHost()
        + ":" + server.httpPort() + "/api/polls  (Ctrl-C stops it)");
    server.awaitTermination();
  }

  private static void runCassandra() throws InterruptedException {
    Config config = ConfigFactory.load();
    Settings settings = Settings.from(config);
    LocalCassandra cassandra = LivepollServer.startLocalCassandra(settings);
    Runtime.getRuntime().addShutdownHook(new Thread(cassandra::close, "stop-cassandra"));
    System.out.println("Cassandra is ready on 127.0.0.1:" + settings.localCassandraPort()
        + "  (LIVEPOLL_CASSANDRA_CONTACT_POINTS=127.0.0.1:" + settings.localCassandraPort() + "; Ctrl-C stops it)");
    Thread.currentThread().join();
  }
}
