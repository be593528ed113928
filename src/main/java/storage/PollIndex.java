package storage;

import actors.PollRegistry;
import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * The ids of every poll ever created, in Cassandra's {@code poll_index} table, written before the poll's creation is
 * sent: any node asked for a poll right after its creation finds it there. Polls created before the index existed are
 * found once in the journal's own {@code all_persistence_ids} table and then added to the index.
 *
 * <p>Each node remembers ids it has seen (bounded), and ids it found missing for {@code forgetMissingAfter}: a flood of
 * random ids costs two single-row reads per distinct id and nothing per repeat, and never an entity or a journal
 * replay. A missing id can be remembered wrongly only if someone asked for it before it was created: ids are 62
 * random bits drawn at creation, so nobody does.
 */
public final class PollIndex implements PollRegistry {
  private static final String SESSION_CONFIG_PATH = "pekko.persistence.cassandra";
  /** The persistence ids of the poll entities: see {@code actors.PollInbox#ENTITY_KEY}. */
  private static final String PERSISTENCE_ID_PREFIX = "Poll|";
  private static final Executor CALLING_THREAD = Runnable::run;

  private final CompletionStage<CqlSession> session;
  private final CompletionStage<PreparedStatement> insert;
  private final CompletionStage<PreparedStatement> select;
  private final CompletionStage<PreparedStatement> selectLegacy;
  private final ConsistencyLevel consistency;
  private final Cache<String, Boolean> known;
  private final Cache<String, Boolean> missing;

  /** The cached answers: at most {@code maxRemembered} ids of each kind. */
  public PollIndex(ActorSystem<?> system, String keyspace, String consistency, int maxRemembered,
      Duration forgetMissingAfter) {
    this.session = CassandraSessionRegistry.get(system).sessionFor(SESSION_CONFIG_PATH).underlying();
    this.consistency = com.datastax.oss.driver.api.core.DefaultConsistencyLevel.valueOf(consistency);
    this.insert = prepare("INSERT INTO " + keyspace + ".poll_index (poll_id, created_at) VALUES (?, ?)");
    this.select = prepare("SELECT poll_id FROM " + keyspace + ".poll_index WHERE poll_id = ?");
    this.selectLegacy = prepare("SELECT persistence_id FROM " + keyspace
        + ".all_persistence_ids WHERE persistence_id = ?");
    this.known = Caffeine.newBuilder().maximumSize(maxRemembered).build();
    this.missing = Caffeine.newBuilder().maximumSize(maxRemembered).expireAfterWrite(forgetMissingAfter).build();
  }

  private CompletionStage<PreparedStatement> prepare(String cql) {
    return session.thenComposeAsync(s -> s.prepareAsync(cql), CALLING_THREAD);
  }

  @Override
  public CompletionStage<Boolean> exists(String pollId) {
    if (known.getIfPresent(pollId) != null) {
      return CompletableFuture.completedFuture(true);
    }
    if (missing.getIfPresent(pollId) != null) {
      return CompletableFuture.completedFuture(false);
    }
    return found(select, pollId)
        .thenComposeAsync(indexed -> indexed ? CompletableFuture.completedFuture(true)
            // created before the index: the journal knows it; index it so that the next node finds it at once
            : found(selectLegacy, PERSISTENCE_ID_PREFIX + pollId).thenComposeAsync(legacy -> legacy
                ? write(pollId).thenApply(written -> true)
                : CompletableFuture.completedFuture(false), CALLING_THREAD), CALLING_THREAD)
        .thenApplyAsync(exists -> {
          (exists ? known : missing).put(pollId, Boolean.TRUE);
          return exists;
        }, CALLING_THREAD);
  }

  @Override
  public CompletionStage<Void> register(String pollId) {
    missing.invalidate(pollId);
    return write(pollId).thenApplyAsync(written -> {
      known.put(pollId, Boolean.TRUE);
      return null;
    }, CALLING_THREAD);
  }

  private CompletionStage<Boolean> found(CompletionStage<PreparedStatement> statement, String key) {
    return statement.thenCombineAsync(session, (prepared, s) ->
            s.executeAsync(prepared.bind(key).setConsistencyLevel(consistency)), CALLING_THREAD)
        .thenComposeAsync(result -> result, CALLING_THREAD)
        .thenApplyAsync(rows -> rows.one() != null, CALLING_THREAD);
  }

  private CompletionStage<Void> write(String pollId) {
    return insert.thenCombineAsync(session, (prepared, s) ->
            s.executeAsync(prepared.bind(pollId, Instant.now()).setConsistencyLevel(consistency)), CALLING_THREAD)
        .thenComposeAsync(result -> result, CALLING_THREAD)
        .thenApplyAsync(rows -> null, CALLING_THREAD);
  }
}
