package support;

import com.datastax.oss.driver.api.core.CqlSession;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import server.LivepollServer;
import storage.LocalCassandra;

/**
 * Real Livepoll nodes on a real Cassandra, for integration tests. Register it once per test class,
 *
 * <pre>{@code @RegisterExtension static final RealServer servers = new RealServer("my_it");}</pre>
 *
 * and {@link #start} starts a node (the test configuration, the class's keyspace, free ports, the Cassandra login, and
 * whatever the test adds) on a real Cassandra 5 node: a child JVM, as {@code ./livepoll} runs it, in a directory of
 * its own on free ports. One Cassandra node serves every class of the test run, each in its own keyspace (starting
 * one takes half a minute); it starts before the first class that needs it and stops, by its process, when the run
 * ends, and its directory is deleted. After each class, whether its tests passed or not, every node it still runs stops
 * (the last started first).
 */
public final class RealServer implements BeforeAllCallback, AfterAllCallback {
  private static final Path CASSANDRA_LIB = Path.of("target", "cassandra-node", "lib");

  private final String keyspace;
  private final List<LivepollServer> running = new ArrayList<>();
  private SharedCassandra shared;
  private CqlSession session;

  /** Nodes that keep their polls in {@code keyspace} (each test class its own, so classes never share data). */
  public RealServer(String keyspace) {
    this.keyspace = keyspace;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    // the root context's store lives as long as the test run, and closes what it holds when the run ends
    shared = context.getRoot().getStore(ExtensionContext.Namespace.create(RealServer.class))
        .getOrComputeIfAbsent(SharedCassandra.class, type -> SharedCassandra.start(), SharedCassandra.class);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    try {
      // the last started first: the first node, often the seed the others joined, leaves last
      List<LivepollServer> nodes = new ArrayList<>(running);
      java.util.Collections.reverse(nodes);
      nodes.forEach(this::stop);
    } finally {
      if (session != null) {
        session.close();
      }
    }
  }

  /** Starts a node on this Cassandra with the test configuration and {@code extraConfig} (HOCON) on top. */
  public LivepollServer start(String extraConfig) {
    LocalCassandra cassandra = cassandra();
    LivepollServer node = LivepollServer.start(TestConfig.with(TestConfig.cassandraLogin(cassandra) + """
        livepoll.cassandra.contact-points = "127.0.0.1:%d"
        livepoll.cassandra.keyspace = %s
        %s
        """.formatted(cassandra.contactPoint().getPort(), keyspace, extraConfig)));
    running.add(node);
    return node;
  }

  /** Stops {@code node} (its coordinated shutdown: it finishes its writes first). */
  public void stop(LivepollServer node) {
    running.remove(node);
    node.stop();
  }

  /** The Cassandra node itself (its login, its directory, its process); shared with the run's other classes. */
  public LocalCassandra cassandra() {
    return shared.cassandra;
  }

  /** Where this Cassandra keeps its files and its login. */
  public Path cassandraDirectory() {
    return shared.directory.resolve("cassandra");
  }

  /** The address of this Cassandra's CQL port. */
  public InetSocketAddress contactPoint() {
    return cassandra().contactPoint();
  }

  public String keyspace() {
    return keyspace;
  }

  /** A CQL session on this Cassandra, to read or write its tables directly; closed after the class. */
  public CqlSession cql() {
    if (session == null) {
      session = cassandra().credentials().applyTo(CqlSession.builder()).addContactPoint(contactPoint())
          .withLocalDatacenter("datacenter1").build();
    }
    return session;
  }

  /** The run's Cassandra node and its directory; the test run closes it when it ends. */
  private record SharedCassandra(Path directory, LocalCassandra cassandra) implements AutoCloseable {
    static SharedCassandra start() {
      try {
        Path directory = Files.createTempDirectory("livepoll-it-cassandra-");
        return new SharedCassandra(directory, LocalCassandra.start(new LocalCassandra.Config(
            directory.resolve("cassandra"), FreePorts.next(), FreePorts.next(), CASSANDRA_LIB, "512m", "batch",
            Duration.ofMinutes(2))));
      } catch (IOException e) {
        throw new UncheckedIOException("could not create a directory for Cassandra", e);
      }
    }

    @Override
    public void close() {
      try {
        cassandra.close();
      } finally {
        deleteDirectory(directory);
      }
    }
  }

  private static void deleteDirectory(Path directory) {
    try (Stream<Path> files = Files.walk(directory)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete " + directory, e);
    }
  }
}
