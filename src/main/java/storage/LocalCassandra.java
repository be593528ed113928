package storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Apache Cassandra 5 running as a child JVM, with its data in a directory of ours.
 *
 * <p>The node runs from the classpath that {@code cassandra-node/} resolves (never the server's own). It stops when
 * {@link #close()} is called and also when this JVM dies, because the child watches its standard input. A lock file
 * keeps two servers from opening the same data directory.
 *
 * <p>The node asks for a login ({@code PasswordAuthenticator}): {@link CassandraCredentials#ofLocalNode} generates
 * it once into the node's owner-only directory, and the first start replaces Cassandra's default superuser
 * ({@code cassandra}/{@code cassandra}) with it.
 */
public final class LocalCassandra implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalCassandra.class);

  /** Cassandra's own conf/jvm17-server.options: what Cassandra needs opened up to run on JDK 17. */
  private static final List<String> JDK17_FLAGS = List.of(
      "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
      "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
      "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
      "--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED",
      "--add-exports=java.sql/java.sql=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.module=ALL-UNNAMED",
      "--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED",
      "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
      "--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED",
      "--add-opens=java.base/jdk.internal.math=ALL-UNNAMED",
      "--add-opens=java.base/jdk.internal.module=ALL-UNNAMED",
      "--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED",
      "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED",
      "--add-opens=java.base/java.io=ALL-UNNAMED",
      "--add-opens=java.base/java.lang=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens=java.base/java.math=ALL-UNNAMED",
      "--add-opens=java.base/java.net=ALL-UNNAMED",
      "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED");

  /** How late Linux may end a timed sleep of the node's threads (their timer slack; the kernel's default is 50 µs). */
  public static final Duration TIMER_SLACK = Duration.ofMillis(1);

  /** Where the node lives and how it listens; {@code ring} says which other local nodes it joins. */
  public record Config(
      Path directory,
      int cqlPort,
      int storagePort,
      Path libDirectory,
      String heap,
      String commitlogSync,
      Duration startTimeout,
      Ring ring) {

    /** A node of its own on 127.0.0.1. */
    public Config(Path directory, int cqlPort, int storagePort, Path libDirectory, String heap, String commitlogSync,
        Duration startTimeout) {
      this(directory, cqlPort, storagePort, libDirectory, heap, commitlogSync, startTimeout, Ring.ALONE);
    }
  }

  /**
   * Several nodes of one Cassandra cluster on one machine: each listens on an {@code address} of its own (127.0.0.2,
   * 127.0.0.3: Linux routes all of 127/8 to loopback), all name the same {@code seeds} ({@code host:storagePort},
   * comma-separated) and the same {@code clusterName}. Empty seeds: the node is its own seed; an empty cluster name:
   * {@code livepoll-local-<cql port>}, as a lone node has always been called (Cassandra refuses a renamed cluster).
   */
  public record Ring(String address, String seeds, String clusterName) {
    public static final Ring ALONE = new Ring("127.0.0.1", "", "");

    boolean alone() {
      return seeds.isBlank();
    }
  }

  private final Config config;
  private final CassandraCredentials credentials;
  private final Process process;
  private final FileChannel lockChannel;
  private final FileLock lock;
  /** Why the node did not stop cleanly when it was closed, or null. */
  private volatile String stopFailure;
  private boolean closed;

  private LocalCassandra(Config config, CassandraCredentials credentials, Process process, FileChannel lockChannel,
      FileLock lock) {
    this.config = config;
    this.credentials = credentials;
    this.process = process;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /** Starts the node and returns once it accepts CQL connections. */
  public static LocalCassandra start(Config config) {
    Path dir = config.directory().toAbsolutePath();
    try {
      CassandraCredentials credentials = CassandraCredentials.ofLocalNode(dir);
      Files.createDirectories(dir.resolve("logs"));
      FileChannel lockChannel = FileChannel.open(dir.resolve("livepoll.lock"),
          StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock lock = tryLock(lockChannel);
      if (lock == null) {
        lockChannel.close();
        throw new IllegalStateException("another process already runs a Cassandra node on " + dir);
      }
      if (!Files.isDirectory(config.libDirectory())) {
        throw new IllegalStateException("no Cassandra classpath at " + config.libDirectory()
            + ": build it with `mvn package` (the root pom builds cassandra-node/)");
      }
      // a lone node that never ran has only Cassandra's default superuser: no login of ours to try first
      boolean newNode = config.ring().alone() && !Files.exists(dir.resolve("data"));
      Files.writeString(dir.resolve("cassandra.yaml"), yaml(dir, config));
      Files.writeString(dir.resolve("logback.xml"), logback(dir));
      Path consoleLog = dir.resolve("logs/console.log");
      ProcessBuilder builder = new ProcessBuilder(command(dir, config))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(consoleLog.toFile()));
      log.info("Starting Cassandra on {}:{} with data in {}", config.ring().address(), config.cqlPort(), dir);
      Process process = builder.start();
      LocalCassandra node = new LocalCassandra(config, credentials, process, lockChannel, lock);
      try {
        node.awaitCql(consoleLog);
        node.ensureRole(consoleLog, newNode);
      } catch (RuntimeException e) {
        node.close();
        throw e;
      }
      return node;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start Cassandra in " + dir, e);
    }
  }

  public InetSocketAddress contactPoint() {
    return new InetSocketAddress(config.ring().address(), config.cqlPort());
  }

  /** The login this node accepts. */
  public CassandraCredentials credentials() {
    return credentials;
  }

  public long pid() {
    return process.pid();
  }

  /** Stops the node cleanly (it flushes its memtables), waiting up to a minute before killing it. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (!process.isAlive()) {
      stopFailure = "Cassandra (pid " + process.pid() + ") had already exited with code " + process.exitValue()
          + " before the server stopped it; see " + config.directory().resolve("logs");
    }
    if (process.isAlive()) {
      log.info("Stopping Cassandra (pid {})", process.pid());
      process.destroy();
      try {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
          log.warn("Cassandra did not stop within 60 s; killing it");
          stopFailure = "Cassandra (pid " + process.pid() + ") did not stop within 60 s and was killed";
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      log.debug("could not release the data directory lock", e);
    }
  }

  /** Why the node did not stop cleanly (it had died before, or had to be killed); empty after a clean stop. */
  public java.util.Optional<String> stopFailure() {
    return java.util.Optional.ofNullable(stopFailure);
  }

  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException e) {
      return null;
    }
  }

  private void awaitCql(Path consoleLog) {
    Instant deadline = Instant.now().plus(config.startTimeout());
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Cassandra exited with code " + process.exitValue() + " during start; "
            + "see " + consoleLog + ":\n" + tail(consoleLog));
      }
      if (acceptsConnections()) {
        log.info("Cassandra accepts CQL on {}:{}", config.ring().address(), config.cqlPort());
        return;
      }
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for Cassandra", e);
      }
    }
    throw new IllegalStateException("Cassandra did not accept CQL within " + config.startTimeout() + "; see "
        + consoleLog + ":\n" + tail(consoleLog));
  }

  /**
   * Logs in with this node's credentials; on a node that does not know them yet (its first start), logs in as
   * Cassandra's default superuser, creates Livepoll's role and drops the default one. Retries until the start
   * timeout: the default role appears shortly after the CQL port opens. A {@code newNode} (a lone node's first
   * start) tries the default superuser first: our login cannot exist yet, and the driver logs every refused login as
   * a warning, which a new user would read as something wrong.
   */
  private void ensureRole(Path consoleLog, boolean newNode) {
    Instant deadline = Instant.now().plus(config.startTimeout());
    RuntimeException last = null;
    boolean oursFirst = !newNode;
    while (Instant.now().isBefore(deadline)) {
      if (oursFirst) {
        try (CqlSession ignored = session(credentials)) {
          return;
        } catch (RuntimeException ours) {
          last = ours;
        }
      }
      oursFirst = true;
      try (CqlSession initial = session(new CassandraCredentials("cassandra", "cassandra"))) {
        initial.execute("CREATE ROLE IF NOT EXISTS " + credentials.username() + " WITH SUPERUSER = true AND LOGIN = "
            + "true AND PASSWORD = '" + credentials.password().replace("'", "''") + "'");
        log.info("Created the CQL role {} of the local Cassandra", credentials.username());
        try (CqlSession own = session(credentials)) {
          own.execute("DROP ROLE IF EXISTS cassandra");
        }
        return;
      } catch (RuntimeException notYet) {
        last = notYet;
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while setting up Cassandra's login", e);
      }
    }
    throw new IllegalStateException("could not log in to Cassandra with the credentials in " + config.directory()
        + " within " + config.startTimeout() + ": " + (last == null ? "" : last.getMessage()) + "; see "
        + consoleLog + ":\n" + tail(consoleLog), last);
  }

  private CqlSession session(CassandraCredentials login) {
    // fail at once on a refused login: the application's driver settings reconnect forever (persistence.conf)
    return login.applyTo(CqlSession.builder())
        .withConfigLoader(DriverConfigLoader.programmaticBuilder()
            .withBoolean(DefaultDriverOption.RECONNECT_ON_INIT, false)
            .build())
        .addContactPoint(contactPoint())
        .withLocalDatacenter("datacenter1")
        .build();
  }

  private boolean acceptsConnections() {
    try (Socket socket = new Socket()) {
      socket.connect(contactPoint(), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static String tail(Path file) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no output)";
    }
  }

  private static List<String> command(Path dir, Config config) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xms" + config.heap());
    command.add("-Xmx" + config.heap());
    command.add("-XX:+UseG1GC");
    command.add("-XX:+HeapDumpOnOutOfMemoryError");
    command.add("-XX:HeapDumpPath=" + dir.resolve("logs"));
    command.add("-Djava.net.preferIPv4Stack=true");
    command.addAll(JDK17_FLAGS);
    command.add("-Dcassandra.config=" + dir.resolve("cassandra.yaml").toUri());
    command.add("-Dcassandra.storagedir=" + dir);
    command.add("-Dcassandra.logdir=" + dir.resolve("logs"));
    command.add("-Dlogback.configurationFile=" + dir.resolve("logback.xml"));
    command.add("-Dcassandra-foreground=yes");
    // one node and no peers: nothing to wait for; several local nodes gossip within a second
    command.add("-Dcassandra.skip_wait_for_gossip_to_settle=0");
    // the default superuser, replaced by Livepoll's own at the first start, is created at once instead of after 10 s
    command.add("-Dcassandra.superuser_setup_delay_ms=0");
    // Every new CQL connection checks its password with bcrypt. The login Livepoll generates is 192 random bits, which
    // no work factor needs to stretch; at Cassandra's 2^10 rounds a server (re)starting against a busy ring paid
    // enough CPU per connection that logins timed out. 2^4 rounds for the roles this node creates (an existing
    // role keeps the hash it has).
    command.add("-Dcassandra.auth_bcrypt_gensalt_log2_rounds=4");
    if (!config.ring().alone()) {
      // a node joining others waits this long for the ring's news (30 s by default, for large clusters)
      command.add("-Dcassandra.ring_delay_ms=3000");
      // the nodes of a new local ring join together, not one after the other
      command.add("-Dcassandra.consistent.rangemovement=false");
    }
    // Cassandra's approximate clock ticks every 2 ms by default: 500 wake-ups a second, the largest part of an idle
    // node's CPU (measured: 3.3% of a core idle, 1.6% at 20 ms). It only times request deadlines, given in seconds.
    command.add("-Dcassandra.approximate_time_precision_ms=20");
    // Cassandra's idle request threads poll for work in sleeps of 10 µs and up: under a steady trickle of writes they
    // woke so often that they took most of the node's CPU on two cores. With a slack of 1 ms Linux groups those
    // wake-ups (cassandranode.CassandraNode; measured in docs/benchmarks.md, "Timer slack").
    command.add("-Dlivepoll.timer-slack-ns=" + TIMER_SLACK.toNanos());
    command.add("-cp");
    command.add(config.libDirectory().toAbsolutePath() + "/*");
    command.add("cassandranode.CassandraNode");
    return command;
  }

  private static String yaml(Path dir, Config config) {
    Ring ring = config.ring();
    String sync = switch (config.commitlogSync()) {
      case "batch" -> "commitlog_sync: batch\n";
      case "group" -> "commitlog_sync: group\ncommitlog_sync_group_window: 15ms\n";
      case "periodic" -> "commitlog_sync: periodic\ncommitlog_sync_period: 10000ms\n";
      default -> throw new IllegalArgumentException(
          "commitlog sync must be batch, group or periodic, not " + config.commitlogSync());
    };
    return """
        # Written by Livepoll at every start of the local node; edits here are overwritten.
        cluster_name: %5$s
        num_tokens: 16
        partitioner: org.apache.cassandra.dht.Murmur3Partitioner
        %2$s\
        data_file_directories:
          - %3$s/data
        commitlog_directory: %3$s/commitlog
        saved_caches_directory: %3$s/saved_caches
        hints_directory: %3$s/hints
        cdc_raw_directory: %3$s/cdc_raw
        seed_provider:
          - class_name: org.apache.cassandra.locator.SimpleSeedProvider
            parameters:
              - seeds: "%6$s"
        listen_address: %7$s
        rpc_address: %7$s
        # a node joining a ring streams its share of what the ring holds (at least the login's role in system_auth,
        # created by the first node); a seed, and a node that restarts, keep their tokens and data
        auto_bootstrap: true
        storage_port: %4$d
        native_transport_port: %1$d
        start_native_transport: true
        endpoint_snitch: SimpleSnitch
        # a login for every CQL client (see CassandraCredentials); the roles live in system_auth
        authenticator: PasswordAuthenticator
        role_manager: CassandraRoleManager
        # few local nodes: nothing worth ranking every 100 ms
        dynamic_snitch: false
        concurrent_compactors: 1
        # a poll writes up to livepoll.poll.max-batch events in one batch
        batch_size_warn_threshold: 64KiB
        batch_size_fail_threshold: 1024KiB
        """.formatted(config.cqlPort(), sync, dir, config.storagePort(),
        ring.clusterName().isBlank() ? "livepoll-local-" + config.cqlPort() : ring.clusterName(),
        ring.alone() ? ring.address() + ":" + config.storagePort() : ring.seeds(), ring.address());
  }

  private static String logback(Path dir) {
    return """
        <configuration>
          <appender name="FILE" class="ch.qos.logback.core.rolling.RollingFileAppender">
            <file>%1$s/logs/system.log</file>
            <rollingPolicy class="ch.qos.logback.core.rolling.FixedWindowRollingPolicy">
              <fileNamePattern>%1$s/logs/system.log.%%i.zip</fileNamePattern>
              <minIndex>1</minIndex>
              <maxIndex>5</maxIndex>
            </rollingPolicy>
            <triggeringPolicy class="ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy">
              <maxFileSize>20MB</maxFileSize>
            </triggeringPolicy>
            <encoder><pattern>%%-5level [%%thread] %%date{ISO8601} %%F:%%L - %%msg%%n</pattern></encoder>
          </appender>
          <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
            <filter class="ch.qos.logback.classic.filter.ThresholdFilter"><level>WARN</level></filter>
            <encoder><pattern>%%-5level %%date{HH:mm:ss,SSS} %%msg%%n</pattern></encoder>
          </appender>
          <root level="INFO">
            <appender-ref ref="FILE"/>
            <appender-ref ref="STDOUT"/>
          </root>
        </configuration>
        """.formatted(dir);
  }
}
