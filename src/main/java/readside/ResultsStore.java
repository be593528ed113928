package readside;

import actors.Poll;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.data.TupleValue;
import com.datastax.oss.driver.api.core.type.DataTypes;
import com.datastax.oss.driver.api.core.type.TupleType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;

/**
 * The results read model in Cassandra: one partition per poll, its figures in static columns (every round's
 * participation in one map) and one row per round, minute and option. A poll's update is one single-partition batch,
 * so figures, minutes and the version they reflect change together or not at all.
 */
final class ResultsStore implements PerPollHandler.Store<PollActivity> {
  /** Where callbacks run: where their future completes (Pekko's Java futures would start a thread for each). */
  private static final Executor HERE = Runnable::run;
  /** A round's participation: ballots cast, changed, retracted, unique voters, first and last ballot. */
  private static final TupleType FIGURES = DataTypes.tupleOf(DataTypes.BIGINT, DataTypes.BIGINT, DataTypes.BIGINT,
      DataTypes.BIGINT, DataTypes.TIMESTAMP, DataTypes.TIMESTAMP);

  private static final String STATICS = "owner, options, current_round, rounds, retracted_voters, as_of, seq";
  private static final String MINUTE_COLUMNS = "round, minute, option, casts, changes_to, changes_from, retractions";

  private final Cql cql;
  private final Cql.Prepared updateStatics;
  private final Cql.Prepared insertMinute;
  private final Cql.Prepared selectStatics;
  private final Cql.Prepared selectMinutes;
  private final Cql.Prepared selectAllMinutes;
  private final Cql.Prepared deletePoll;
  private final Cql.Prepared deleteOldModel;

  ResultsStore(Cql cql, String keyspace) {
    String table = keyspace + ".poll_round_results";
    this.cql = cql;
    this.updateStatics = cql.prepare("UPDATE " + table + " SET owner = ?, options = ?, current_round = ?, "
        + "rounds = rounds + ?, retracted_voters = retracted_voters + ?, as_of = ?, seq = ? WHERE poll_id = ?");
    this.insertMinute = cql.prepare("INSERT INTO " + table + " (poll_id, " + MINUTE_COLUMNS
        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    this.selectStatics = cql.prepare("SELECT " + STATICS + " FROM " + table + " WHERE poll_id = ? LIMIT 1");
    this.selectMinutes = cql.prepare("SELECT " + MINUTE_COLUMNS + " FROM " + table
        + " WHERE poll_id = ? AND round = ? AND minute IN ?");
    this.selectAllMinutes = cql.prepare("SELECT " + MINUTE_COLUMNS + " FROM " + table + " WHERE poll_id = ?");
    this.deletePoll = cql.prepare("DELETE FROM " + table + " WHERE poll_id = ?");
    // the model of versions before 2026-11-30, no longer read, may still hold the poll
    this.deleteOldModel = cql.prepare("DELETE FROM " + keyspace + ".poll_results WHERE poll_id = ?");
  }

  /** The poll's whole partition, in this model's table and in the one of earlier versions. */
  @Override
  public CompletionStage<Done> delete(String pollId) {
    return cql.write(deleteOldModel.bind(delete -> delete.bind().setString(0, pollId)))
        .thenComposeAsync(old -> cql.write(deletePoll.bind(delete -> delete.bind().setString(0, pollId))), HERE);
  }

  /** The poll's figures, without minutes. */
  @Override
  public CompletionStage<Optional<PollActivity>> load(String pollId) {
    return statics(pollId).thenApplyAsync(statics -> statics.map(row -> activity(pollId, row, Map.of())), HERE);
  }

  /**
   * The activity with the stored counts of the minutes (of each round) that {@code events} fall in; minutes it holds
   * already (a remembered activity holds its latest) are as stored, and not read again.
   */
  @Override
  public CompletionStage<PollActivity> prepare(PollActivity activity, List<Poll.Event> events) {
    Map<Integer, Set<Instant>> minutes = PollActivity.minutesOf(activity.round(), events);
    activity.minutes().keySet().forEach(held -> {
      Set<Instant> starts = minutes.get(held.round());
      if (starts != null && starts.remove(held.start()) && starts.isEmpty()) {
        minutes.remove(held.round());
      }
    });
    if (minutes.isEmpty()) {
      return CompletableFuture.completedFuture(activity);
    }
    List<CompletableFuture<List<Row>>> reads = new ArrayList<>();
    minutes.forEach((round, starts) -> reads.add(cql.all(selectMinutes.bind(select -> select.bind()
            .setString(0, activity.pollId()).setInt(1, round).setList(2, List.copyOf(starts), Instant.class)))
        .toCompletableFuture()));
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApplyAsync(done -> {
      List<Row> rows = new ArrayList<>();
      reads.forEach(read -> rows.addAll(read.join()));
      return activity.withMinutes(minuteCounts(rows));
    }, HERE);
  }

  /** The poll's figures and every minute of every round, for the timeline and the stats. */
  CompletionStage<Optional<PollActivity>> find(String pollId) {
    CompletionStage<List<Row>> rows = cql.all(selectAllMinutes.bind(select -> select.bind().setString(0, pollId)));
    return statics(pollId).thenCombineAsync(rows, (statics, minutes) -> statics.map(row -> activity(pollId, row,
        minuteCounts(minutes.stream().filter(minute -> minute.getInstant("minute") != null).toList()))), HERE);
  }

  private CompletionStage<Optional<Row>> statics(String pollId) {
    return cql.one(selectStatics.bind(select -> select.bind().setString(0, pollId)))
        .thenApplyAsync(row -> row.filter(found -> !found.isNull("seq")), HERE);
  }

  /** A saved activity with the counts of its latest minute only: the one its next ballots most likely fall in. */
  @Override
  public PollActivity remembered(PollActivity saved) {
    return saved.withLatestMinuteOnly();
  }

  @Override
  public CompletionStage<Done> save(PollActivity a) {
    Map<Integer, TupleValue> rounds = new HashMap<>();
    a.rounds().forEach((round, p) -> rounds.put(round, FIGURES.newValue(p.ballotsCast(), p.ballotsChanged(),
        p.ballotsRetracted(), p.uniqueVoters(), p.firstBallotAt(), p.lastBallotAt())));
    CompletionStage<BoundStatement> statics = updateStatics.bind(update -> update.bind()
        .setString(0, a.owner()).setInt(1, a.options()).setInt(2, a.round())
        .setMap(3, rounds, Integer.class, TupleValue.class).setSet(4, a.retractedVoters(), String.class)
        .setInstant(5, a.asOf()).setLong(6, a.seq()).setString(7, a.pollId()));
    CompletionStage<BatchStatement> batch = statics.thenCombine(insertMinute.bind(insert -> insert.bind()),
        (update, minute) -> {
          BatchStatementBuilder all = BatchStatement.builder(BatchType.UNLOGGED).addStatement(update);
          a.minutes().forEach((key, counts) -> all.addStatement(minute.getPreparedStatement().bind()
              .setString(0, a.pollId()).setInt(1, key.round()).setInstant(2, key.start()).setInt(3, key.option())
              .setLong(4, counts.casts()).setLong(5, counts.changesTo()).setLong(6, counts.changesFrom())
              .setLong(7, counts.retractions())));
          return all.build();
        });
    return cql.write(batch);
  }

  private static PollActivity activity(String pollId, Row row, Map<PollActivity.Minute, PollActivity.MinuteCounts>
      minutes) {
    Set<String> retracted = row.getSet("retracted_voters", String.class);
    Map<Integer, TupleValue> stored = row.getMap("rounds", Integer.class, TupleValue.class);
    Map<Integer, PollActivity.Participation> rounds = new HashMap<>();
    if (stored != null) {
      stored.forEach((round, figures) -> rounds.put(round, new PollActivity.Participation(figures.getLong(0),
          figures.getLong(1), figures.getLong(2), figures.getLong(3), figures.getInstant(4), figures.getInstant(5))));
    }
    return new PollActivity(pollId, row.getString("owner"), row.getInt("options"), row.getInt("current_round"),
        Map.copyOf(rounds), retracted == null ? Set.of() : Set.copyOf(retracted), minutes, row.getInstant("as_of"),
        row.getLong("seq"));
  }

  private static Map<PollActivity.Minute, PollActivity.MinuteCounts> minuteCounts(List<Row> rows) {
    Map<PollActivity.Minute, PollActivity.MinuteCounts> counts = new HashMap<>();
    for (Row row : rows) {
      counts.put(new PollActivity.Minute(row.getInt("round"), row.getInstant("minute"), row.getInt("option")),
          new PollActivity.MinuteCounts(row.getLong("casts"), row.getLong("changes_to"),
              row.getLong("changes_from"), row.getLong("retractions")));
    }
    return counts;
  }
}
