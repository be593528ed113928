package storage;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * Readiness check of Pekko Management ({@code /ready}): the node is ready only while it reaches its database, so a
 * load balancer stops sending requests that could only fail. One cheap query (a row of {@code system.local}, which
 * every Cassandra node answers from memory) through the session the journal shares.
 */
public final class CassandraReadiness implements Supplier<CompletionStage<Boolean>> {
  /** The journal's session configuration: the session is shared, never a second connection pool. */
  private static final String SESSION_CONFIG_PATH = "pekko.persistence.cassandra";

  /** Runs the check's one-line callback on the driver's thread that completes the query. */
  private static final Executor CALLING_THREAD = Runnable::run;

  private final CassandraSession session;

  /** Pekko Management creates the check with the node's actor system. */
  public CassandraReadiness(ActorSystem system) {
    this.session = CassandraSessionRegistry.get(system).sessionFor(SESSION_CONFIG_PATH);
  }

  @Override
  public CompletionStage<Boolean> get() {
    // a failed query fails the check: /ready then answers 500 with the driver's reason (Pekko Management answers
    // every check that is not ok with 500)
    return session.selectOne("SELECT release_version FROM system.local")
        .thenApplyAsync(row -> row.isPresent(), CALLING_THREAD);
  }
}
