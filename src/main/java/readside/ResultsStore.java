package readside;

import actors.Poll;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
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

  private final Cql cql;
  private final Cql.Prepared updateStatics;
  private final Cql.Prepared insertMinute;
  private final Cql.Prepared selectStatics;
  private final Cql.Prepared selectMinutes;
  private final Cql.Prepared selectAllMinutes;

  ResultsStore(Cql cql, String keyspace) {
    this.cql = cql;
    this.updateStatics = cql.prepare("UPDATE " + keyspace + ".poll_results SET owner = ?, options = ?, "
        + "ballots_cast = ?, ballots_changed = ?, ballots_retracted = ?, unique_voters = ?, first_ballot_at = ?, "
        + "last_ballot_at = ?, retracted_voters = retracted_voters + ?, as_of = ?, seq = ? WHERE poll_id = ?");
    this.insertMinute = cql.prepare("INSERT INTO " + keyspace + ".poll_results (poll_id, " + MINUTE_COLUMNS
        + ") VALUES (?, ?, ?, ?, ?, ?, ?)");
    this.selectStatics = cql.prepare("SELECT " + STATICS + " FROM " + keyspace
        + ".poll_results WHERE poll_id = ? LIMIT 1");
    this.selectMinutes = cql.prepare("SELECT " + MINUTE_COLUMNS + " FROM " + keyspace
        + ".poll_results WHERE poll_id = ? AND minute IN ?");
    this.selectAllMinutes = cql.prepare("SELECT " + MINUTE_COLUMNS + " FROM " + keyspace
        + ".poll_results WHERE poll_id = ?");
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
    return cql.all(selectMinutes.bind(select -> select.bind()
            .setString(0, activity.pollId()).setList(1, minutes, Instant.class)))
        .thenApplyAsync(rows -> activity.withMinutes(minuteCounts(rows)), HERE);
  }

  /** The poll's figures and every minute of it, for the timeline and the stats. */
  CompletionStage<Optional<PollActivity>> find(String pollId) {
    CompletionStage<List<Row>> rows = cql.all(selectAllMinutes.bind(select -> select.bind().setString(0, pollId)));
    return statics(pollId).thenCombineAsync(rows, (statics, minutes) -> statics.map(row -> activity(pollId, row,
        minuteCounts(minutes.stream().filter(minute -> minute.getInstant("minute") != null).toList()))), HERE);
  }

  private CompletionStage<Optional<Row>> statics(String pollId) {
    return cql.one(selectStatics.bind(select -> select.bind().setString(0, pollId)))
        .thenApplyAsync(row -> row.filter(found -> !found.isNull("seq")), HERE);
  }

  @Override
  public CompletionStage<Done> save(PollActivity a) {
    var p = a.participation();
    CompletionStage<BoundStatement> statics = updateStatics.bind(update -> update.bind()
        .setString(0, a.owner()).setInt(1, a.options()).setLong(2, p.ballotsCast()).setLong(3, p.ballotsChanged())
        .setLong(4, p.ballotsRetracted()).setLong(5, p.uniqueVoters()).setInstant(6, p.firstBallotAt())
        .setInstant(7, p.lastBallotAt()).setSet(8, a.retractedVoters(), String.class).setInstant(9, a.asOf())
        .setLong(10, a.seq()).setString(11, a.pollId()));
    CompletionStage<BatchStatement> batch = statics.thenCombine(insertMinute.bind(insert -> insert.bind()),
        (update, minute) -> {
          BatchStatementBuilder all = BatchStatement.builder(BatchType.UNLOGGED).addStatement(update);
          a.minutes().forEach((key, counts) -> all.addStatement(minute.getPreparedStatement().bind()
              .setString(0, a.pollId()).setInstant(1, key.start()).setInt(2, key.option())
              .setLong(3, counts.casts()).setLong(4, counts.changesTo()).setLong(5, counts.changesFrom())
              .setLong(6, counts.retractions())));
          return all.build();
        });
    return cql.write(batch);
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
