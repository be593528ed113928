package readside;

import actors.Poll;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;

/**
 * The results read model in Cassandra: one partition per poll, its participation figures in static columns and
 * one row per minute and option. A poll's update is one single-partition batch, so figures, minutes and the
 * version they reflect change together or not at all.
 */
final class ResultsStore implements PerPollHandler.Store<PollActivity> {
  /** Where callbacks run: where their future completes (Pekko's Java futures would start a thread for each). */
  private static final Executor HERE = Runnable::run;

  private static final String STATICS = "owner, options, ballots_cast, ballots_changed, ballots_retracted, "
      + "unique_voters, first_ballot_at, last_ballot_at, retracted_voters, as_of, seq";
  private static final String MINUTE_COLUMNS = "minute, option, casts, changes_to, changes_from, retractions";

  private final CassandraSession session;
  private final String keyspace;
  private final CompletionStage<PreparedStatement> updateStatics;
  private final CompletionStage<PreparedStatement> insertMinute;

  ResultsStore(CassandraSession session, String keyspace) {
    this.session = session;
    this.keyspace = keyspace;
    this.updateStatics = session.prepare("UPDATE " + keyspace + ".poll_results SET owner = ?, options = ?, "
        + "ballots_cast = ?, ballots_changed = ?, ballots_retracted = ?, unique_voters = ?, first_ballot_at = ?, "
        + "last_ballot_at = ?, retracted_voters = retracted_voters + ?, as_of = ?, seq = ? WHERE poll_id = ?");
    this.insertMinute = session.prepare("INSERT INTO " + keyspace + ".poll_results (poll_id, " + MINUTE_COLUMNS
        + ") VALUES (?, ?, ?, ?, ?, ?, ?)");
  }

  /** The poll's figures, without minutes. */
  @Override
  public CompletionStage<Optional<PollActivity>> load(String pollId) {
    return statics(pollId).thenApplyAsync(statics -> statics.map(row -> activity(pollId, row, Map.of())), HERE);
  }

  /** The activity with the stored counts of the minutes {@code events} fall in. */
  @Override
  public CompletionStage<PollActivity> prepare(PollActivity activity, List<Poll.Event> events) {
    List<Instant> minutes = events.stream().map(PollActivity::minuteOf).filter(Objects::nonNull).distinct().toList();
    if (minutes.isEmpty()) {
      return CompletableFuture.completedFuture(activity);
    }
    return session.selectAll("SELECT " + MINUTE_COLUMNS + " FROM " + keyspace
            + ".poll_results WHERE poll_id = ? AND minute IN ?", activity.pollId(), minutes)
        .thenApplyAsync(rows -> activity.withMinutes(minuteCounts(rows)), HERE);
  }

  /** The poll's figures and every minute of it, for the timeline and the stats. */
  CompletionStage<Optional<PollActivity>> find(String pollId) {
    CompletionStage<List<Row>> rows = session.selectAll("SELECT " + MINUTE_COLUMNS + " FROM " + keyspace
        + ".poll_results WHERE poll_id = ?", pollId);
    return statics(pollId).thenCombineAsync(rows, (statics, minutes) -> statics.map(row -> activity(pollId, row,
        minuteCounts(minutes.stream().filter(minute -> minute.getInstant("minute") != null).toList()))), HERE);
  }

  private CompletionStage<Optional<Row>> statics(String pollId) {
    return session.selectOne("SELECT " + STATICS + " FROM " + keyspace + ".poll_results WHERE poll_id = ? LIMIT 1",
        pollId).thenApplyAsync(row -> row.filter(found -> !found.isNull("seq")), HERE);
  }

  @Override
  public CompletionStage<Done> save(PollActivity a) {
    return updateStatics.thenCombineAsync(insertMinute, (statics, minute) -> {
      var p = a.participation();
      BatchStatementBuilder batch = BatchStatement.builder(BatchType.UNLOGGED)
          .addStatement(statics.bind(a.owner(), a.options(), p.ballotsCast(), p.ballotsChanged(),
              p.ballotsRetracted(), p.uniqueVoters(), p.firstBallotAt(), p.lastBallotAt(), a.retractedVoters(),
              a.asOf(), a.seq(), a.pollId()));
      a.minutes().forEach((key, counts) -> batch.addStatement(minute.bind(a.pollId(), key.start(), key.option(),
          counts.casts(), counts.changesTo(), counts.changesFrom(), counts.retractions())));
      return batch.build();
    }, HERE).thenComposeAsync(session::executeWriteBatch, HERE);
  }

  private static PollActivity activity(String pollId, Row row, Map<PollActivity.Minute, PollActivity.MinuteCounts>
      minutes) {
    Set<String> retracted = row.getSet("retracted_voters", String.class);
    return new PollActivity(pollId, row.getString("owner"), row.getInt("options"),
        new PollActivity.Participation(row.getLong("ballots_cast"), row.getLong("ballots_changed"),
            row.getLong("ballots_retracted"), row.getLong("unique_voters"), row.getInstant("first_ballot_at"),
            row.getInstant("last_ballot_at")),
        retracted == null ? Set.of() : Set.copyOf(retracted), minutes, row.getInstant("as_of"), row.getLong("seq"));
  }

  private static Map<PollActivity.Minute, PollActivity.MinuteCounts> minuteCounts(List<Row> rows) {
    Map<PollActivity.Minute, PollActivity.MinuteCounts> counts = new HashMap<>();
    for (Row row : rows) {
      counts.put(new PollActivity.Minute(row.getInstant("minute"), row.getInt("option")),
          new PollActivity.MinuteCounts(row.getLong("casts"), row.getLong("changes_to"),
              row.getLong("changes_from"), row.getLong("retractions")));
    }
    return counts;
  }
}
