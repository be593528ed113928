package storage;

import com.datastax.oss.driver.api.core.AllNodesFailedException;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.CqlSessionBuilder;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies {@code schema.cql} (journal, snapshots; every statement idempotent) before the server starts. */
public final class CassandraSchema {
  private static final Logger log = LoggerFactory.getLogger(CassandraSchema.class);

  private CassandraSchema() {}

  /**
   * Creates the keyspace and tables if they are missing. Retries connecting until {@code timeout}, so it also
   * waits for a database that is still starting.
   */
  public static void apply(
      List<InetSocketAddress> contactPoints,
      String localDatacenter,
      String keyspace,
      String replication,
      java.util.Optional<CassandraCredentials> credentials,
      Duration timeout) {
    List<String> statements = statements(keyspace, replication);
    try (CqlSession session = connect(contactPoints, localDatacenter, credentials, timeout)) {
      for (String statement : statements) {
        // schema changes wait for agreement, which a node that just started can take seconds to give
        session.execute(SimpleStatement.newInstance(statement).setTimeout(timeout));
      }
    }
    log.info("Schema of keyspace {} is in place", keyspace);
  }

  /** Connects, retrying until {@code timeout} while the database is unreachable (it may still be starting). */
  private static CqlSession connect(List<InetSocketAddress> contactPoints, String localDatacenter,
      java.util.Optional<CassandraCredentials> credentials, Duration timeout) {
    Instant deadline = Instant.now().plus(timeout);
    while (true) {
      try {
        // The driver refreshes its copy of the schema after each change, debounced by a second: twenty tables took
        // 23 s that way, 2.5 s without (schema agreement is still awaited). This session needs no copy.
        CqlSessionBuilder builder = CqlSession.builder().withConfigLoader(DriverConfigLoader.programmaticBuilder()
            .withBoolean(DefaultDriverOption.METADATA_SCHEMA_ENABLED, false)
            .build());
        return credentials.map(login -> login.applyTo(builder)).orElse(builder)
            .addContactPoints(contactPoints)
            .withLocalDatacenter(localDatacenter)
            .build();
      } catch (AllNodesFailedException e) {
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException("could not reach Cassandra at " + contactPoints + " within " + timeout, e);
        }
        log.info("Cassandra at {} not reachable yet; retrying", contactPoints);
        sleep(Duration.ofSeconds(1));
      }
    }
  }

  static List<String> statements(String keyspace, String replication) {
    if (!keyspace.matches("[a-z][a-z0-9_]{0,47}")) {
      throw new IllegalArgumentException("keyspace must be a lowercase CQL identifier: " + keyspace);
    }
    String cql = resource("/schema.cql").lines()
        .filter(line -> !line.strip().startsWith("--"))
        .collect(Collectors.joining("\n"))
        .replace("${keyspace}", keyspace)
        .replace("${replication}", replication);
    return Arrays.stream(cql.split(";")).map(String::strip).filter(statement -> !statement.isEmpty()).toList();
  }

  private static String resource(String name) {
    try (InputStream in = CassandraSchema.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while applying the schema", e);
    }
  }
}
