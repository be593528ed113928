package lifecycle;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * How far the retention sweep has come, kept in Cassandra ({@code retention_progress}) so that it survives restarts
 * and moves with the singleton, and operators read it from any node. {@code examined} and {@code deleted} count the
 * current (or last) sweep, {@code deletedTotal} every sweep since the first.
 */
public final class RetentionProgress {
  /** Where callbacks run: where their future completes (Pekko's Java futures would start a thread for each). */
  private static final Executor HERE = Runnable::run;
  private static final String ROW = "closed-polls";

  /** One sweep's figures; {@code finishedAt} is null while it runs. */
  public record Figures(Instant startedAt, Instant finishedAt, Instant cutoff, long examined, long deleted,
      long deletedTotal, String lastError) {
    static final Figures NONE = new Figures(null, null, null, 0, 0, 0, null);
  }

  private final CompletionStage<CqlSession> session;
  private final Executor dispatcher;
  private final String keyspace;

  public RetentionProgress(ActorSystem<?> system, String keyspace) {
    this.session = CassandraSessionRegistry.get(system).sessionFor("pekko.persistence.cassandra").underlying();
    this.dispatcher = system.executionContext();
    this.keyspace = keyspace;
  }

  public CompletionStage<Figures> read() {
    return session.thenComposeAsync(s -> s.executeAsync(SimpleStatement.newInstance("SELECT * FROM " + keyspace
            + ".retention_progress WHERE name = ?", ROW)), dispatcher)
        .thenApplyAsync(rows -> Optional.ofNullable(rows.one()).map(RetentionProgress::figures)
            .orElse(Figures.NONE), HERE);
  }

  CompletionStage<Done> write(Figures f) {
    return session.thenComposeAsync(s -> s.executeAsync(SimpleStatement.newInstance("INSERT INTO " + keyspace
            + ".retention_progress (name, sweep_started_at, sweep_finished_at, cutoff, examined, deleted, "
            + "deleted_total, last_error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", ROW, f.startedAt(), f.finishedAt(),
            f.cutoff(), f.examined(), f.deleted(), f.deletedTotal(), f.lastError())), dispatcher)
        .thenApplyAsync(written -> Done.getInstance(), HERE);
  }

  private static Figures figures(Row row) {
    return new Figures(row.getInstant("sweep_started_at"), row.getInstant("sweep_finished_at"),
        row.getInstant("cutoff"), row.getLong("examined"), row.getLong("deleted"), row.getLong("deleted_total"),
        row.getString("last_error"));
  }
}
