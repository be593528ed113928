package lifecycle;

import actors.Poll;
import actors.PollEntity;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.cassandra.cleanup.Cleanup;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import readside.ReadSide;
import scala.jdk.javaapi.FutureConverters;

/**
 * Erases a deleted poll from Cassandra: the rows of events-by-tag that versions before 2026-11-30 wrote (tag_views,
 * found through the tags and time bucket each journal row keeps; tag_write_progress; tag_scanning), its events and
 * snapshots and its all_persistence_ids row (the persistence plugin's {@link Cleanup}, told the id is never used
 * again), and its read-model rows. The tombstone ({@code deleted_polls}: id, owner, when) is written first and kept.
 *
 * <p>Cleanup's own deleteAll would also remove tag rows, but it finds them through an events-by-tag query, which this
 * server turns off; hence the tag rows are removed here, before the journal rows that lead to them.
 */
public final class CassandraErasure implements PollErasure {
  private static final Logger log = LoggerFactory.getLogger(CassandraErasure.class);
  /** Where callbacks run: where their future completes (Pekko's Java futures would start a thread for each). */
  private static final Executor HERE = Runnable::run;

  private final CompletionStage<CqlSession> session;
  private final Executor dispatcher;
  private final String keyspace;
  private final Cleanup cleanup;
  private final Optional<ReadSide> readSide;
  private final ActorSystem<?> system;
  private final Duration forgetAgainAfter;

  /**
   * {@code readSide}: the read models to remove the poll from (empty on a node that runs none). A projection that
   * read the poll's last ballots just before the erasure may write its row back after it: the rows are removed once
   * more {@code forgetAgainAfter} later, longer than a projection takes from its read to its write.
   */
  public CassandraErasure(ActorSystem<?> system, String keyspace, Optional<ReadSide> readSide,
      Duration forgetAgainAfter) {
    this.system = system;
    this.forgetAgainAfter = forgetAgainAfter;
    this.session = CassandraSessionRegistry.get(system).sessionFor("pekko.persistence.cassandra").underlying();
    this.dispatcher = system.executionContext();
    this.keyspace = keyspace;
    this.cleanup = new Cleanup(system);
    this.readSide = readSide;
  }

  @Override
  public CompletionStage<Optional<Poll.Deleted>> tombstone(String pollId) {
    return execute(SimpleStatement.newInstance(
            "SELECT owner, deleted_at FROM " + keyspace + ".deleted_polls WHERE poll_id = ?", pollId))
        .thenApplyAsync(rows -> Optional.ofNullable(rows.one())
            .map(row -> new Poll.Deleted(pollId, row.getString("owner"), row.getInstant("deleted_at"))), HERE);
  }

  @Override
  public CompletionStage<Done> erase(Poll.Deleted deleted) {
    String persistenceId = PollEntity.persistenceId(deleted.pollId()).id();
    return execute(SimpleStatement.newInstance("INSERT INTO " + keyspace
            + ".deleted_polls (poll_id, owner, deleted_at) VALUES (?, ?, ?)",
            deleted.pollId(), deleted.owner(), deleted.deletedAt()))
        .thenComposeAsync(tombstone -> eraseTagRows(persistenceId, 0), HERE)
        .thenComposeAsync(tags -> execute(SimpleStatement.newInstance(
            "DELETE FROM " + keyspace + ".tag_write_progress WHERE persistence_id = ?", persistenceId)), HERE)
        .thenComposeAsync(progress -> execute(SimpleStatement.newInstance(
            "DELETE FROM " + keyspace + ".tag_scanning WHERE persistence_id = ?", persistenceId)), HERE)
        .thenComposeAsync(scanning -> FutureConverters.asJava(cleanup.deleteAllEvents(persistenceId, true)), HERE)
        .thenComposeAsync(events -> FutureConverters.asJava(cleanup.deleteAllSnapshots(persistenceId)), HERE)
        .thenComposeAsync(snapshots -> readSide.map(models -> models.forget(deleted.pollId()))
            .orElse(CompletableFuture.completedFuture(Done.getInstance())), HERE)
        .thenApplyAsync(done -> {
          readSide.ifPresent(models -> system.scheduler().scheduleOnce(forgetAgainAfter,
              () -> models.forget(deleted.pollId()).whenComplete((again, failure) -> {
                if (failure != null) {
                  log.warn("Poll {}: removing its read-model rows once more failed", deleted.pollId(), failure);
                }
              }), system.executionContext()));
          log.info("Poll {} is erased: journal, snapshots, tag rows and read models", deleted.pollId());
          return Done.getInstance();
        }, HERE);
  }

  /**
   * The tag_views rows of the journal's events in partition {@code partition} and the ones after it: each journal row
   * names its tags and time bucket, and the tag row has the event's time-based id. Ends at the first empty partition
   * (a write never spans two, so the partitions of a journal follow one another without a gap).
   */
  private CompletionStage<Done> eraseTagRows(String persistenceId, long partition) {
    return execute(SimpleStatement.newInstance("SELECT timestamp, timebucket, tags FROM " + keyspace
            + ".messages WHERE persistence_id = ? AND partition_nr = ?", persistenceId, partition))
        .thenComposeAsync(first -> all(first, new ArrayList<>()), HERE)
        .thenComposeAsync(rows -> {
          if (rows.isEmpty()) {
            return CompletableFuture.completedFuture(Done.getInstance());
          }
          CompletionStage<Done> deleted = CompletableFuture.completedFuture(Done.getInstance());
          for (Row row : rows) {
            Set<String> tags = row.getSet("tags", String.class);
            String bucket = row.getString("timebucket");
            if (tags == null || tags.isEmpty() || bucket == null) {
              continue;
            }
            for (String tag : tags) {
              deleted = deleted.thenComposeAsync(done -> execute(SimpleStatement.newInstance("DELETE FROM "
                      + keyspace + ".tag_views WHERE tag_name = ? AND timebucket = ? AND timestamp = ?",
                  tag, Long.parseLong(bucket), row.getUuid("timestamp"))).thenApply(ignored -> Done.getInstance()),
                  HERE);
            }
          }
          return deleted.thenComposeAsync(done -> eraseTagRows(persistenceId, partition + 1), HERE);
        }, HERE);
  }

  private CompletionStage<List<Row>> all(AsyncResultSet page, List<Row> rows) {
    page.currentPage().forEach(rows::add);
    return page.hasMorePages()
        ? page.fetchNextPage().thenComposeAsync(next -> all(next, rows), dispatcher)
        : CompletableFuture.completedFuture(rows);
  }

  private CompletionStage<AsyncResultSet> execute(SimpleStatement statement) {
    return session.thenComposeAsync(s -> s.executeAsync(statement), dispatcher);
  }
}
