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
 * and it starts a Cassandra 5 node (a child JVM, as {@code ./livepoll} runs it) in a directory of its own on free
 * ports before the class's tests; {@link #start} starts a node on it (the test configuration, the class's keyspace,
 * free ports, its login, and whatever the test adds). After the class, whether its tests passed or not, every node still
 * running stops (the last started first), then Cassandra, and the directory is deleted.
 */
public final class RealServer implements BeforeAllCallback, AfterAllCallback {
  private static final Path CASSANDRA_LIB = Path.of("target", "cassandra-node", "lib");

  private final String keyspace;
  private final List<LivepollServer> running = new ArrayList<>();
  private Path directory;
  private LocalCassandra cassandra;
  private CqlSession session;

  /** Nodes that keep their polls in {@code keyspace} (each test class its own, so classes never share data). */
  public RealServer(String keyspace) {
    this.keyspace = keyspace;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    directory = Files.createTempDirectory("livepoll-" + keyspace + "-");
    cassandra = LocalCassandra.start(new LocalCassandra.Config(directory.resolve("cassandra"), FreePorts.next(),
        FreePorts.next(), CASSANDRA_LIB, "512m", "batch", Duration.ofMinutes(2)));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    try {
      // the last started first: the first node, often the seed the others joined, leaves last
      List<LivepollServer> nodes = new ArrayList<>(running);
      java.util.Collections.reverse(nodes);
      nodes.forEach(this::stop);
      if (session != null) {
        session.close();
      }
    } finally {
      if (cassandra != null) {
        cassandra.close();
      }
      deleteDirectory();
    }
  }

  /** Starts a node on this Cassandra with the test configuration and {@code extraConfig} (HOCON) on top. */
  public LivepollServer start(String extraConfig) {
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

  /** The Cassandra node itself (its login, its directory, its process). */
  public LocalCassandra cassandra() {
    return cassandra;
  }

  /** Where this Cassandra keeps its files and its login. */
  public Path cassandraDirectory() {
    return directory.resolve("cassandra");
  }

  /** The address of this Cassandra's CQL port. */
  public InetSocketAddress contactPoint() {
    return cassandra.contactPoint();
  }

  public String keyspace() {
    return keyspace;
  }

  /** A CQL session on this Cassandra, to read or write its tables directly; closed after the class. */
  public CqlSession cql() {
    if (session == null) {
      session = cassandra.credentials().applyTo(CqlSession.builder()).addContactPoint(cassandra.contactPoint())
          .withLocalDatacenter("datacenter1").build();
    }
    return session;
  }

  private void deleteDirectory() {
    if (directory == null) {
      return;
    }
    try (Stream<Path> files = Files.walk(directory)) {
      files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete " + directory, e);
    }
  }
}
