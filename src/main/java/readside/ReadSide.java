package readside;

import actors.Poll;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.TimeBasedUUID;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.cassandra.javadsl.CassandraProjection;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.ProjectionManagement;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * The read side: projections from the poll journal into the catalogue and results read models, and the queries on
 * them. Each read model is one projection per tag slice, run as a sharded daemon process so the instances spread
 * over the cluster and move when a node leaves; offsets live in Cassandra. Read models lag the write side.
 */
public final class ReadSide {
  /** The read models, each fed by its own projection and rebuilt on its own. */
  public enum ReadModel {
    CATALOGUE("catalogue", List.of("poll_summaries", "polls_by_owner")),
    RESULTS("results", List.of("poll_results"));

    private final String projectionName;
    private final List<String> tables;

    ReadModel(String projectionName, List<String> tables) {
      this.projectionName = projectionName;
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

  /** How the projections run: grouping of envelopes per handler call. */
  public record Settings(String keyspace, int tagSlices, int groupAfterEnvelopes, Duration groupAfter) {}

  /** One projection instance as operators see it: its stored offset, whether paused, and lag on this node. */
  public record InstanceStatus(String projection, String tag, boolean paused, Instant offsetEventAt,
      ProjectionLag.Figures lagHere) {}

  private static final String SESSION_CONFIG_PATH = "pekko.persistence.cassandra";
  private static final Duration TRUNCATE_TIMEOUT = Duration.ofSeconds(60);

  private final ActorSystem<?> system;
  private final Settings settings;
  private final CassandraSession session;
  private final CatalogueStore catalogue;
  private final ResultsStore results;
  private final Map<ProjectionId, ProjectionLag> lags = new ConcurrentHashMap<>();

  /** The read side running in each actor system, for the operator endpoints that Pekko Management builds. */
  private static final Map<org.apache.pekko.actor.ActorSystem, ReadSide> RUNNING = new ConcurrentHashMap<>();

  private ReadSide(ActorSystem<?> system, Settings settings) {
    this.system = system;
    this.settings = settings;
    this.session = CassandraSessionRegistry.get(system).sessionFor(SESSION_CONFIG_PATH);
    this.catalogue = new CatalogueStore(session, settings.keyspace());
    this.results = new ResultsStore(session, settings.keyspace());
  }

  /** Starts this node's part of every projection and returns the queries. */
  public static ReadSide start(ActorSystem<?> system, Settings settings) {
    ReadSide readSide = new ReadSide(system, settings);
    readSide.run(ReadModel.CATALOGUE, PollSummary::created, readSide.catalogue);
    readSide.run(ReadModel.RESULTS, PollActivity::created, readSide.results);
    org.apache.pekko.actor.ActorSystem classic = Adapter.toClassic(system);
    RUNNING.put(classic, readSide);
    system.getWhenTerminated().thenRun(() -> RUNNING.remove(classic));
    return readSide;
  }

  /** The read side started in {@code system}, if any. */
  public static Optional<ReadSide> runningIn(org.apache.pekko.actor.ActorSystem system) {
    return Optional.ofNullable(RUNNING.get(system));
  }

  private <M extends PerPollHandler.PollState<M>> void run(ReadModel model, Function<Poll.PollCreated, M> created,
      PerPollHandler.Store<M> store) {
    ShardedDaemonProcess.get(system).init(ProjectionBehavior.Command.class, model.projectionName(),
        settings.tagSlices(), slice -> {
          String tag = Poll.tag(slice);
          ProjectionId id = ProjectionId.of(model.projectionName(), tag);
          SourceProvider<Offset, EventEnvelope<Poll.Event>> events =
              EventSourcedProvider.eventsByTag(system, CassandraReadJournal.Identifier(), tag);
          ProjectionLag lag = lags.computeIfAbsent(id, ignored -> new ProjectionLag(id, Clock.systemUTC()));
          return ProjectionBehavior.create(
              CassandraProjection.groupedWithin(id, events, () -> new PerPollHandler<>(created, store, lag))
                  .withGroup(settings.groupAfterEnvelopes(), settings.groupAfter())
                  .withRestartBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
        },
        ShardedDaemonProcessSettings.create(system), Optional.of(ProjectionBehavior.stopMessage()));
  }

  // --------------------------------------------------------------------------------------------------- queries

  /** A page of {@code owner}'s polls, newest first, strictly after {@code after} (null: from the newest). */
  public CompletionStage<CataloguePage> polls(String owner, String status, CataloguePage.Cursor after, int limit,
      int maxScanned) {
    return catalogue.page(owner, status, after, limit, Math.max(limit + 1, maxScanned))
        .thenCombine(newestEventAt(ReadModel.CATALOGUE), (page, asOf) -> page.withAsOf(asOf.orElse(null)));
  }

  public CompletionStage<Optional<PollActivity>> activity(String pollId) {
    return results.find(pollId);
  }

  /** The write time of the newest event {@code model} has processed, over all its slices. */
  private CompletionStage<Optional<Instant>> newestEventAt(ReadModel model) {
    return forEachInstance(model, this::offsetTime)
        .thenApply(times -> times.stream().flatMap(Optional::stream).max(Instant::compareTo));
  }

  // -------------------------------------------------------------------------------------------------- operators

  /** Every instance of every projection: offsets and pause flags from Cassandra, lag figures from this node. */
  public CompletionStage<List<InstanceStatus>> status() {
    CompletionStage<List<InstanceStatus>> all = CompletableFuture.completedFuture(List.of());
    for (ReadModel model : ReadModel.values()) {
      CompletionStage<List<InstanceStatus>> instances = forEachInstance(model, id -> {
        ProjectionLag lag = lags.get(id);
        return management().isPaused(id).thenCombine(offsetTime(id), (paused, offsetAt) -> new InstanceStatus(
            id.name(), id.key(), paused, offsetAt.orElse(null), lag == null ? null : lag.figures()));
      });
      all = all.thenCombine(instances, (before, more) -> {
        List<InstanceStatus> both = new ArrayList<>(before);
        both.addAll(more);
        return both;
      });
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
   * Rebuilds {@code model} from the journal: pauses its projection, empties its tables, clears its offsets and
   * resumes, so every event is applied again from the first. The model is incomplete until the replay catches up.
   */
  public CompletionStage<Done> rebuild(ReadModel model) {
    return pause(model)
        .thenCompose(paused -> {
          CompletionStage<Done> emptied = CompletableFuture.completedFuture(Done.getInstance());
          for (String table : model.tables) {
            // a truncate flushes and snapshots the table on every replica, which takes longer than a query
            emptied = emptied.thenCompose(done -> session.executeWrite(SimpleStatement.newInstance(
                "TRUNCATE " + settings.keyspace() + "." + table).setTimeout(TRUNCATE_TIMEOUT)));
          }
          return emptied;
        })
        .thenCompose(emptied -> eachInstance(model, management()::clearOffset))
        .thenCompose(cleared -> resume(model));
  }

  private CompletionStage<Done> eachInstance(ReadModel model, Function<ProjectionId, CompletionStage<Done>> action) {
    return forEachInstance(model, action).thenApply(done -> Done.getInstance());
  }

  /** Asks every instance (tag slice) of {@code model} at once; their answers in slice order. */
  private <T> CompletionStage<List<T>> forEachInstance(ReadModel model,
      Function<ProjectionId, CompletionStage<T>> action) {
    List<CompletableFuture<T>> all = new ArrayList<>();
    for (int slice = 0; slice < settings.tagSlices(); slice++) {
      all.add(action.apply(ProjectionId.of(model.projectionName(), Poll.tag(slice))).toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new))
        .thenApply(done -> all.stream().map(CompletableFuture::join).toList());
  }

  private CompletionStage<Optional<Instant>> offsetTime(ProjectionId id) {
    return management().<Offset>getOffset(id).thenApply(offset -> offset
        .filter(TimeBasedUUID.class::isInstance)
        .map(uuid -> Instant.ofEpochMilli(Uuids.unixTimestamp(((TimeBasedUUID) uuid).value()))));
  }

  private ProjectionManagement management() {
    return ProjectionManagement.get(system);
  }
}
