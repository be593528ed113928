package readside;

import static org.junit.jupiter.api.Assertions.assertEquals;

import actors.Audience;
import actors.Kind;
import actors.Poll;
import actors.PollChanges;
import actors.PollDefinition;
import com.typesafe.config.ConfigFactory;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.testkit.javadsl.ProjectionTestKit;
import org.apache.pekko.projection.testkit.javadsl.TestProjection;
import org.apache.pekko.projection.testkit.javadsl.TestSourceProvider;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The read side's handler run as a projection by Pekko Projection's TestKit: change-log records come from a test
 * source, offsets go to the TestKit's in-memory offset store, the polls' journals and the catalogue are maps. What
 * it shows: the catalogue ends exact whatever the records do (a record delivered twice, records out of order, a
 * record lost and the next one naming a later version), because a model applies only events after the version it
 * remembers. The same handler runs on Cassandra in {@code server.ReadSideIT}.
 */
class CatalogueHandlerTest {
  private static final Instant CREATED = Instant.parse("2026-11-30T09:00:00Z");
  private static final String POLL = "catalogue01";
  private static final String OTHER = "catalogue02";

  private static ActorTestKit testKit;
  private static ProjectionTestKit projections;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create(ConfigFactory.parseString("""
        pekko.actor.provider = local
        pekko.coordinated-shutdown.exit-jvm = off
        pekko.loglevel = WARNING
        """).withFallback(ConfigFactory.load()));
    projections = ProjectionTestKit.create(testKit.system());
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  /** The polls' journals: what the handler reads after a record names a poll. */
  private final Map<String, List<Poll.Event>> journals = new ConcurrentHashMap<>();
  /** How many times a poll's journal was read. */
  private final AtomicInteger journalReads = new AtomicInteger();
  /** The catalogue read model, in memory. */
  private final InMemoryStore catalogue = new InMemoryStore();

  @Test
  void theCatalogueIsExactWhenRecordsRepeatArriveOutOfOrderOrGoMissing() {
    write(POLL, created(POLL));
    write(POLL, ballots(POLL, "v1", "v2"));
    write(POLL, ballots(POLL, "v3"));
    write(POLL, new Poll.PollClosed(POLL, CREATED.plusSeconds(60)));
    write(OTHER, created(OTHER));
    write(OTHER, ballots(OTHER, "w1"));

    // the poll's version 2 record twice, its 4 before its 3, the other poll's 1 lost and only its 2 recorded
    List<List<EventEnvelope<PollChanges.PollsChanged>>> groups = List.of(
        List.of(record(1, POLL, 1), record(2, POLL, 2)),
        List.of(record(3, POLL, 2)),
        List.of(record(4, POLL, 4), record(5, POLL, 3), record(6, OTHER, 2)));

    projections.run(projectionOf(groups), () -> {
      assertEquals(Optional.of(new PollSummary(POLL, "alice", "Question catalogue01?", "closed", 3, CREATED, null, 4)),
          catalogue.stored(POLL));
      assertEquals(Optional.of(new PollSummary(OTHER, "alice", "Question catalogue02?", "open", 1, CREATED, null, 2)),
          catalogue.stored(OTHER));
    });
    assertEquals(2, catalogue.saves.get(), "one save per poll: its first record caught it up as far as its journal"
        + " reached, and the repeated and older records wrote nothing");
  }

  @Test
  void aGroupNamingAPollSeveralTimesReadsItsJournalOnce() {
    write(POLL, created(POLL));
    write(POLL, ballots(POLL, "v1"));
    write(POLL, ballots(POLL, "v2"));
    List<List<EventEnvelope<PollChanges.PollsChanged>>> groups = List.of(
        List.of(record(1, POLL, 1), record(2, POLL, 2), record(3, POLL, 3)));

    projections.run(projectionOf(groups), () -> assertEquals(2L,
        catalogue.stored(POLL).map(PollSummary::totalBallots).orElse(-1L)));
    assertEquals(1, catalogue.saves.get(), "the group's three records are one catch-up of the poll");
  }

  /** The projection the read side runs, with its grouped handler, on a test source and in-memory offsets. */
  private TestProjection<Long, List<EventEnvelope<PollChanges.PollsChanged>>> projectionOf(
      List<List<EventEnvelope<PollChanges.PollsChanged>>> groups) {
    ProjectionId id = ProjectionId.of("catalogue", "slice-0");
    PollJournal journal = journal();
    return TestProjection.create(id,
        TestSourceProvider.create(Source.from(groups), group -> group.get(group.size() - 1).sequenceNr()),
        () -> new PerPollHandler<>(PollSummary::created, catalogue, journal,
            new ProjectionLag(id, Clock.systemUTC()), 100));
  }

  @Test
  void aPollItWroteIsNotReadBackBeforeItsNextWrite() throws Exception {
    PerPollHandler<PollSummary> handler = handler();
    write(POLL, created(POLL));
    write(POLL, ballots(POLL, "v1"));
    handler.process(List.of(record(1, POLL, 2))).toCompletableFuture().get(5, TimeUnit.SECONDS);
    // five more writes of the poll, a group each
    for (int i = 0; i < 5; i++) {
      write(POLL, ballots(POLL, "w" + i));
      handler.process(List.of(record(2 + i, POLL, 3 + i))).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    assertEquals(6L, catalogue.stored(POLL).map(PollSummary::totalBallots).orElse(-1L));
    assertEquals(1, catalogue.loads.get(), "the model read once, before its first write");
    assertEquals(6, catalogue.saves.get());
    // a new run of the projection (a restart, a pause, a rebuild) reads it again
    write(POLL, ballots(POLL, "x"));
    handler().process(List.of(record(7, POLL, 8))).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(2, catalogue.loads.get());
    assertEquals(7L, catalogue.stored(POLL).map(PollSummary::totalBallots).orElse(-1L));
  }

  private PerPollHandler<PollSummary> handler() {
    return new PerPollHandler<>(PollSummary::created, catalogue, journal(),
        new ProjectionLag(ProjectionId.of("catalogue", "slice-0"), Clock.systemUTC()), 100);
  }

  /** The polls' journals as the read side reads them, each read shared for a second as it is by default. */
  private PollJournal journal() {
    return new PollJournal(this::read, Duration.ofSeconds(1), 4000);
  }

  @Test
  void twoModelsFollowingTheSameRecordsReadEachPollsNewEventsOnce() throws Exception {
    write(POLL, created(POLL));
    write(POLL, ballots(POLL, "v1", "v2"));
    write(OTHER, created(OTHER));
    PollJournal journal = journal();
    InMemoryStore second = new InMemoryStore();
    ProjectionLag lag = new ProjectionLag(ProjectionId.of("catalogue", "slice-0"), Clock.systemUTC());
    PerPollHandler<PollSummary> one = new PerPollHandler<>(PollSummary::created, catalogue, journal, lag, 100);
    PerPollHandler<PollSummary> two = new PerPollHandler<>(PollSummary::created, second, journal, lag, 100);

    List<EventEnvelope<PollChanges.PollsChanged>> group = List.of(record(1, POLL, 2), record(2, OTHER, 1));
    one.process(group).toCompletableFuture().get(5, TimeUnit.SECONDS);
    two.process(group).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(2, journalReads.get(), "one read per poll for both models");
    write(POLL, ballots(POLL, "v3"));
    one.process(List.of(record(3, POLL, 3))).toCompletableFuture().get(5, TimeUnit.SECONDS);
    two.process(List.of(record(3, POLL, 3))).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(3, journalReads.get());

    for (InMemoryStore model : List.of(catalogue, second)) {
      assertEquals(Optional.of(new PollSummary(POLL, "alice", "Question catalogue01?", "open", 3, CREATED, null, 3)),
          model.stored(POLL));
      assertEquals(Optional.of(new PollSummary(OTHER, "alice", "Question catalogue02?", "open", 0, CREATED, null, 1)),
          model.stored(OTHER));
    }
  }

  @Test
  void aRememberedModelAheadOfItsJournalIsForgottenAndTheStoredOneReadAgain() {
    write(POLL, created(POLL));
    write(POLL, ballots(POLL, "v1"));
    // the second record names a version the journal does not hold (say the poll was erased and its id used again)
    List<List<EventEnvelope<PollChanges.PollsChanged>>> groups = List.of(
        List.of(record(1, POLL, 2)), List.of(record(2, POLL, 3)));

    projections.run(projectionOf(groups), () -> assertEquals(2, catalogue.loads.get()));
    assertEquals(1L, catalogue.stored(POLL).map(PollSummary::totalBallots).orElse(-1L));
    assertEquals(1, catalogue.saves.get());
  }

  @Test
  void aPollCreatedAgainUnderAnErasedPollsIdStartsItsRememberedModelAfresh() throws Exception {
    PerPollHandler<PollSummary> handler = handler();
    write(POLL, created(POLL));
    write(POLL, ballots(POLL, "v1", "v2"));
    handler.process(List.of(record(1, POLL, 2))).toCompletableFuture().get(5, TimeUnit.SECONDS);
    assertEquals(2L, catalogue.stored(POLL).map(PollSummary::totalBallots).orElse(-1L));

    // erased (journal and model), then created again under the same id: its sequence numbers continue, as the
    // plugin never reuses them
    journals.get(POLL).replaceAll(event -> null);
    catalogue.delete(POLL);
    write(POLL, new Poll.PollCreated(POLL, new PollDefinition("Again?", List.of("x", "y"), Kind.SINGLE, 1, false,
        CREATED.plusSeconds(600), null, Audience.PUBLIC, "alice")));
    write(POLL, ballots(POLL, "w1"));
    handler.process(List.of(record(2, POLL, 4))).toCompletableFuture().get(5, TimeUnit.SECONDS);

    assertEquals(Optional.of(new PollSummary(POLL, "alice", "Again?", "open", 1, CREATED.plusSeconds(600), null, 4)),
        catalogue.stored(POLL));
  }

  private void write(String pollId, Poll.Event event) {
    journals.computeIfAbsent(pollId, ignored -> new ArrayList<>()).add(event);
  }

  private CompletionStage<List<JournalReader.Event>> read(String persistenceId, long from, int limit) {
    journalReads.incrementAndGet();
    String pollId = persistenceId.substring(persistenceId.indexOf('|') + 1);
    List<Poll.Event> events = journals.getOrDefault(pollId, List.of());
    List<JournalReader.Event> read = new ArrayList<>();
    for (long seq = from; seq <= events.size() && read.size() < limit; seq++) {
      if (events.get((int) seq - 1) != null) {
        // null: erased
        read.add(new JournalReader.Event(seq, events.get((int) seq - 1), CREATED.toEpochMilli()));
      }
    }
    return CompletableFuture.completedFuture(read);
  }

  private static EventEnvelope<PollChanges.PollsChanged> record(long offset, String pollId, long seq) {
    return EventEnvelope.create(new Sequence(offset), PollChanges.persistenceId(0), offset,
        new PollChanges.PollsChanged(List.of(new PollChanges.PollSeq(pollId, seq))), CREATED.toEpochMilli());
  }

  private static Poll.PollCreated created(String pollId) {
    return new Poll.PollCreated(pollId, new PollDefinition("Question " + pollId + "?", List.of("a", "b"),
        Kind.SINGLE, 1, false, CREATED, null, Audience.PUBLIC, "alice"));
  }

  private static Poll.BallotsRecorded ballots(String pollId, String... voters) {
    return new Poll.BallotsRecorded(pollId, CREATED.plusSeconds(10), java.util.Arrays.stream(voters)
        .map(voter -> Poll.BallotChange.cast(voter, List.of(0))).toList());
  }

  /** The catalogue's store in memory, counting its writes. */
  private static final class InMemoryStore implements PerPollHandler.Store<PollSummary> {
    private final Map<String, PollSummary> rows = new ConcurrentHashMap<>();
    private final AtomicInteger saves = new AtomicInteger();
    private final AtomicInteger loads = new AtomicInteger();

    Optional<PollSummary> stored(String pollId) {
      return Optional.ofNullable(rows.get(pollId));
    }

    @Override
    public CompletionStage<Optional<PollSummary>> load(String pollId) {
      loads.incrementAndGet();
      return CompletableFuture.completedFuture(stored(pollId));
    }

    @Override
    public CompletionStage<Done> delete(String pollId) {
      rows.remove(pollId);
      return CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Done> save(PollSummary state) {
      rows.put(state.pollId(), state);
      saves.incrementAndGet();
      return CompletableFuture.completedFuture(Done.getInstance());
    }
  }
}
