package readside;

import actors.Poll;
import actors.PollChanges;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.cassandra.javadsl.CassandraProjection;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.ProjectionManagement;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read side: projections from the poll journal into the catalogue and results read models, and the queries on
 * them. Each read model is one projection per slice of polls, run as a sharded daemon process so the instances spread
 * over the cluster and move when a node leaves. An instance follows its slice's {@link PollChanges} log (its offset,
 * the log's sequence number, lives in Cassandra) and reads each recorded poll's new events from the poll's journal.
 * Read models lag the write side.
 */
public final class ReadSide {
  /** Where callbacks run: where their future completes (Pekko's Java futures would start a thread for each). */
  private static final Executor HERE = Runnable::run;

  /** The read models, each fed by its own projection and rebuilt on its own. */
  public enum ReadModel {
    CATALOGUE("catalogue", "catalogue", List.of("poll_summaries", "polls_by_owner")),
    /**
     * Per round since 2026-11-30, in a table of its own: its offsets are kept under a new name, so a node of this
     * version replays every change log into it from the start, once (the old {@code poll_results} stays unread).
     */
    RESULTS("results", "results-by-round", List.of("poll_round_results"));

    private final String projectionName;
    private final String offsetName;
    private final List<String> tables;

    ReadModel(String projectionName, String offsetName, List<String> tables) {
      this.projectionName = projectionName;
      this.offsetName = offsetName;
      this.tables = tables;
    }

    public String projectionName() {
      return projectionName;
    }

    public static Optional<ReadModel> named(String name) {
      for (ReadModel model : values()) {
        if (model.projectionName.equals(name)) {
          return Optional.of(model);
        }
      }
      return Optional.empty();
    }
  }

  /**
   * How the projections run: one instance per slice; the change-log records one read (and one handler call) takes at
   * most, and how often an instance reads its log while the log announces writes (its look times,
   * {@link ChangeLogSource}); how often it looks at its log when the log did not announce a write; how many polls'
   * models each instance remembers as it wrote them (so that it does not read them back); and how long and how many
   * of the events one model read are kept for the other ({@link PollJournal}).
   */
  public record Settings(String keyspace, int slices, int groupAfterEnvelopes, Duration groupAfter,
      Duration lookEvery, int rememberedPolls, Duration sharedReadsFor, long sharedEventsAtMost) {}

  /** One projection instance as operators see it: its stored offset, whether paused, and lag on this node. */
  public record InstanceStatus(String projection, String slice, boolean paused, Instant offsetEventAt,
      ProjectionLag.Figures lagHere) {}

  private static final Logger log = LoggerFactory.getLogger(ReadSide.class);
  private static final String SESSION_CONFIG_PATH = "pekko.persistence.cassandra";
  /** Pekko Projection's Cassandra offset store spreads each projection's offsets over this many partitions. */
  private static final String OFFSET_PARTITIONS = "(0, 1, 2, 3, 4)";
  private static final java.util.regex.Pattern SLICE_KEY = java.util.regex.Pattern.compile("slice-(\\d{1,9})");
  private static final Duration TRUNCATE_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration RECORD_TIMEOUT = Duration.ofSeconds(30);

  private final ActorSystem<?> system;
  private final Settings settings;
  private final Cql cql;
  private final CassandraReadJournal journal;
  private final JournalReader reader;
  private final PollJournal polls;
  private final PollChanges.Topics logTopics;
  private final CatalogueStore catalogue;
  private final ResultsStore results;
  private final Map<ProjectionId, ProjectionLag> lags = new ConcurrentHashMap<>();

  /** The read side running in each actor system, for the operator endpoints that Pekko Management builds. */
  private static final Map<org.apache.pekko.actor.ActorSystem, ReadSide> RUNNING = new ConcurrentHashMap<>();

  private ReadSide(ActorSystem<?> system, Settings settings, PollChanges.Topics logTopics) {
    this.logTopics = logTopics;
    this.system = system;
    this.settings = settings;
    this.cql = new Cql(CassandraSessionRegistry.get(system).sessionFor(SESSION_CONFIG_PATH),
        system.executionContext());
    this.journal = PersistenceQuery.get(system)
        .getReadJournalFor(CassandraReadJournal.class, CassandraReadJournal.Identifier());
    this.reader = new JournalReader(system, cql, settings.keyspace());
    this.polls = new PollJournal(reader::events, settings.sharedReadsFor(), settings.sharedEventsAtMost());
    this.catalogue = new CatalogueStore(cql, settings.keyspace());
    this.results = new ResultsStore(cql, settings.keyspace());
  }

  /** Starts this node's part of every projection and returns the queries. */
  /** {@code logTopics}: this node's instances of the topics on which the change logs announce their writes. */
  public static ReadSide start(ActorSystem<?> system, Settings settings, PollChanges.Topics logTopics) {
    ReadSide readSide = new ReadSide(system, settings, logTopics);
    readSide.run(ReadModel.CATALOGUE, PollSummary::created, readSide.catalogue);
    readSide.run(ReadModel.RESULTS, PollActivity::created, readSide.results);
    readSide.followDroppedSlices().whenComplete((dropped, failure) -> {
      if (failure != null) {
        log.warn("could not look for change logs dropped since the last start; the next start looks again: {}",
            failure.toString());
      }
    });
    org.apache.pekko.actor.ActorSystem classic = Adapter.toClassic(system);
    RUNNING.put(classic, readSide);
    system.getWhenTerminated().thenRunAsync(() -> RUNNING.remove(classic), HERE);
    return readSide;
  }

  /** The read side started in {@code system}, if any. */
  public static Optional<ReadSide> runningIn(org.apache.pekko.actor.ActorSystem system) {
    return Optional.ofNullable(RUNNING.get(system));
  }

  /**
   * The daemon process of a model is named after the log it follows, not after the model, so that during a rolling
   * update from a version whose projections followed events-by-tag both kinds run side by side (their writes are
   * idempotent per poll version).
   */
  private <M extends PerPollHandler.PollState<M>> void run(ReadModel model, Function<Poll.PollCreated, M> created,
      PerPollHandler.Store<M> store) {
    ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, model.projectionName() + "-changes",
        settings.slices(), slice -> {
          ProjectionId id = projectionId(model, slice);
          SourceProvider<Offset, EventEnvelope<PollChanges.PollsChanged>> changes =
              new ChangeLogSource(reader, slice, logTopics.of(slice), settings.lookEvery(), settings.groupAfter(),
                  settings.groupAfterEnvelopes(), () -> recordEveryPoll(Optional.of(slice)));
          // lag is reported under the model's name, whatever name its offsets are kept under
          ProjectionLag lag = lags.computeIfAbsent(id, ignored -> new ProjectionLag(
              ProjectionId.of(model.projectionName(), id.key()), Clock.systemUTC()));
          return ProjectionBehavior.create(
              CassandraProjection.groupedWithin(id, changes, () -> new PerPollHandler<>(created, store, polls, lag,
                  settings.rememberedPolls()))
                  // the source groups: one envelope is what one read of the change log returned
                  .withGroup(1, settings.groupAfter())
                  .withRestartBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
        },
        ShardedDaemonProcessSettings.create(system), Optional.of(ProjectionBehavior.stopMessage()));
  }

  private static ProjectionId projectionId(ReadModel model, int slice) {
    return ProjectionId.of(model.offsetName, "slice-" + slice);
  }

  /**
   * Records every poll in the journal (of {@code slice}, or of all slices) in the change logs as changed up to its
   * latest event, so that the projections read each one from where their model stands. Used by a rebuild and by a
   * projection's first start, which also reaches polls written before the change logs existed.
   */
  private CompletionStage<Done> recordEveryPoll(Optional<Integer> slice) {
    String prefix = PollJournal.persistenceId("");
    return journal.currentPersistenceIds()
        .filter(persistenceId -> persistenceId.startsWith(prefix))
        .map(persistenceId -> persistenceId.substring(prefix.length()))
        .filter(pollId -> slice.isEmpty() || PollChanges.sliceOf(pollId, settings.slices()) == slice.get())
        .mapAsyncUnordered(16, pollId -> PollChanges.logOf(system, pollId, settings.slices()).<PollChanges.Recorded>ask(
            replyTo -> new PollChanges.Record(pollId, Long.MAX_VALUE, replyTo), RECORD_TIMEOUT))
        .runWith(Sink.ignore(), system);
  }

  /**
   * Offsets stored for slices at or above today's number mean that the number of change logs was lowered: what the
   * dropped logs recorded after those offsets would be followed by nobody. Then every poll is recorded again, once,
   * in today's logs (each model reads it from where it stands, so nothing counts twice), and those offsets are
   * deleted. Runs at every start of the read side: one read of the offset table per model when nothing was dropped.
   * Answers how many offsets of dropped slices it found.
   */
  public CompletionStage<Integer> followDroppedSlices() {
    String table = settings.keyspace() + ".offset_store";
    Cql.Prepared select = cql.prepare("SELECT partition, projection_key FROM " + table
        + " WHERE projection_name = ? AND partition IN " + OFFSET_PARTITIONS);
    CompletionStage<List<StoredOffset>> dropped = CompletableFuture.completedFuture(List.of());
    for (ReadModel model : ReadModel.values()) {
      CompletionStage<List<StoredOffset>> ofModel = cql.all(select.bind(s -> s.bind().setString(0, model.offsetName)))
          .thenApplyAsync(rows -> rows.stream()
              .map(row -> new StoredOffset(model.offsetName, row.getInt(0), row.getString(1)))
              .filter(offset -> offset.slice().orElse(-1) >= settings.slices())
              .toList(), HERE);
      dropped = dropped.thenCombineAsync(ofModel, ReadSide::concat, HERE);
    }
    return dropped.thenComposeAsync(offsets -> {
      if (offsets.isEmpty()) {
        return CompletableFuture.completedFuture(0);
      }
      log.info("the change logs were more than today's {} before ({}): every poll is recorded again in today's logs, "
          + "so that nothing the dropped logs recorded last is left unread", settings.slices(), offsets);
      Cql.Prepared delete = cql.prepare("DELETE FROM " + table
          + " WHERE projection_name = ? AND partition = ? AND projection_key = ?");
      CompletionStage<Done> deleted = recordEveryPoll(Optional.empty());
      for (StoredOffset offset : offsets) {
        deleted = deleted.thenComposeAsync(done -> cql.write(delete.bind(s -> s.bind()
            .setString(0, offset.projectionName()).setInt(1, offset.partition()).setString(2, offset.key()))), HERE);
      }
      return deleted.thenApplyAsync(done -> offsets.size(), HERE);
    }, HERE);
  }

  private static <T> List<T> concat(List<T> before, List<T> more) {
    List<T> both = new ArrayList<>(before);
    both.addAll(more);
    return both;
  }

  /** An offset stored for a projection instance; its slice, if its key names one. */
  private record StoredOffset(String projectionName, int partition, String key) {
    Optional<Integer> slice() {
      java.util.regex.Matcher matcher = SLICE_KEY.matcher(key);
      return matcher.matches() ? Optional.of(Integer.parseInt(matcher.group(1))) : Optional.empty();
    }
  }

  // --------------------------------------------------------------------------------------------------- queries

  /** A page of {@code owner}'s polls, newest first, strictly after {@code after} (null: from the newest). */
  public CompletionStage<CataloguePage> polls(String owner, String status, CataloguePage.Cursor after, int limit,
      int maxScanned) {
    return catalogue.page(owner, status, after, limit, Math.max(limit + 1, maxScanned))
        .thenCombineAsync(newestEventAt(ReadModel.CATALOGUE), (page, asOf) -> page.withAsOf(asOf.orElse(null)), HERE);
  }

  public CompletionStage<Optional<PollActivity>> activity(String pollId) {
    return results.find(pollId);
  }

  /** The write time of the newest event {@code model} has processed, over all its slices. */
  private CompletionStage<Optional<Instant>> newestEventAt(ReadModel model) {
    return forEachInstance(model, this::offsetTime)
        .thenApplyAsync(times -> times.stream().flatMap(Optional::stream).max(Instant::compareTo), HERE);
  }

  /**
   * Removes every read-model row of a deleted poll. Called once its journal is erased, so no projection can write the
   * poll back: a change record delivered later finds no events; and a projection that meets the poll's deletion
   * event before the erasure removes the rows as well.
   */
  public CompletionStage<Done> forget(String pollId) {
    polls.forget(pollId);
    return catalogue.delete(pollId).thenComposeAsync(done -> results.delete(pollId), HERE);
  }

  /** Closed polls created before {@code before}, from the catalogue: the candidates of a retention sweep. */
  public CompletionStage<List<String>> closedPollsCreatedBefore(Instant before) {
    return catalogue.closedBefore(before);
  }

  // -------------------------------------------------------------------------------------------------- operators

  /** Every instance of every projection: offsets and pause flags from Cassandra, lag figures from this node. */
  public CompletionStage<List<InstanceStatus>> status() {
    CompletionStage<List<InstanceStatus>> all = CompletableFuture.completedFuture(List.of());
    for (ReadModel model : ReadModel.values()) {
      CompletionStage<List<InstanceStatus>> instances = forEachInstance(model, id -> {
        ProjectionLag lag = lags.get(id);
        return management().isPaused(id).thenCombineAsync(offsetTime(id), (paused, offsetAt) -> new InstanceStatus(
            model.projectionName(), id.key(), paused, offsetAt.orElse(null), lag == null ? null : lag.figures()),
            HERE);
      });
      all = all.thenCombineAsync(instances, ReadSide::concat, HERE);
    }
    return all;
  }

  public CompletionStage<Done> pause(ReadModel model) {
    return eachInstance(model, management()::pause);
  }

  public CompletionStage<Done> resume(ReadModel model) {
    return eachInstance(model, management()::resume);
  }

  /**
   * Rebuilds {@code model} from the journal: pauses its projection, empties its tables, records every poll in the
   * change logs and resumes, so every poll's events are applied again from the first. The model is incomplete until
   * the replay catches up.
   */
  public CompletionStage<Done> rebuild(ReadModel model) {
    return pause(model)
        .thenComposeAsync(paused -> {
          CompletionStage<Done> emptied = CompletableFuture.completedFuture(Done.getInstance());
          for (String table : model.tables) {
            // a truncate flushes and snapshots the table on every replica, which takes longer than a query
            emptied = emptied.thenCompose(done -> cql.write(CompletableFuture.completedFuture(
                SimpleStatement.newInstance("TRUNCATE " + settings.keyspace() + "." + table)
                    .setTimeout(TRUNCATE_TIMEOUT))));
          }
          return emptied;
        }, HERE)
        .thenComposeAsync(emptied -> recordEveryPoll(Optional.empty()), HERE)
        .thenComposeAsync(recorded -> resume(model), HERE);
  }

  private CompletionStage<Done> eachInstance(ReadModel model, Function<ProjectionId, CompletionStage<Done>> action) {
    return forEachInstance(model, action).thenApplyAsync(done -> Done.getInstance(), HERE);
  }

  /** Asks every instance (tag slice) of {@code model} at once; their answers in slice order. */
  private <T> CompletionStage<List<T>> forEachInstance(ReadModel model,
      Function<ProjectionId, CompletionStage<T>> action) {
    List<CompletableFuture<T>> all = new ArrayList<>();
    for (int slice = 0; slice < settings.slices(); slice++) {
      all.add(action.apply(projectionId(model, slice)).toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .thenApplyAsync(done -> all.stream().map(CompletableFuture::join).toList(), HERE);
  }

  /** When the change-log record at the instance's offset was written: how far the instance has come. */
  private CompletionStage<Optional<Instant>> offsetTime(ProjectionId id) {
    int slice = Integer.parseInt(id.key().substring("slice-".length()));
    return management().<Offset>getOffset(id).thenComposeAsync(offset -> {
      if (offset.isEmpty() || !(offset.get() instanceof Sequence seq)) {
        return CompletableFuture.completedFuture(Optional.<Instant>empty());
      }
      return reader.events(PollChanges.persistenceId(slice), seq.value(), 1).thenApplyAsync(events -> events.stream()
          .findFirst().map(event -> Instant.ofEpochMilli(event.writtenAt())), HERE);
    }, HERE);
  }

  private ProjectionManagement management() {
    return ProjectionManagement.get(system);
  }
}
