package actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.PersistenceTestKitSnapshotPlugin;
import org.apache.pekko.persistence.testkit.ProcessingSuccess;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The inbox in front of a poll under load: group commit, bounded queue, one reply per request. */
class PollInboxTest {

  private static final Instant START = Instant.parse("2026-03-01T09:00:00Z");
  private static final Duration GENEROUS = Duration.ofSeconds(20);
  private static final String OWNER = "olivia";
  private static final Requester BY_OWNER = new Requester(OWNER, false);
  private static final Requester STRANGER = new Requester("mallory", false);

  private static ActorTestKit testKit;
  private static PersistenceTestKit journal;

  private MutableClock clock;
  private TestProbe<ClosingSchedule.Command> closingSchedule;
  private String pollId;

  @BeforeAll
  static void startSystem() {
    // In-memory journal and snapshot store win over the app's Cassandra plugins; the app config still supplies the
    // Jackson bindings, so every event and snapshot really goes through CBOR. Snapshots must be redirected too, as
    // recovery reads the snapshot store first.
    testKit = ActorTestKit.create(ConfigFactory.parseString("""
            pekko.actor.provider = local
            pekko.coordinated-shutdown.exit-jvm = off
            pekko.loglevel = WARNING
            """)
        .withFallback(PersistenceTestKitPlugin.getInstance().config())
        .withFallback(PersistenceTestKitSnapshotPlugin.getInstance().config())
        .withFallback(ConfigFactory.load()));
    journal = PersistenceTestKit.create(testKit.system());
  }

  @AfterAll
  static void stopSystem() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    clock = new MutableClock(START);
    closingSchedule = testKit.createTestProbe(ClosingSchedule.Command.class);
    pollId = PollId.newId();
  }

  @AfterEach
  void resetJournal() {
    journal.resetPolicy();
  }

  private Poll.Settings settings(int maxQueued, Duration writeTimeout) {
    return new Poll.Settings(100, maxQueued, Duration.ZERO, writeTimeout, Duration.ofSeconds(1), clock);
  }

  /** A real change log on the same in-memory journal: answers wait for it as they do in the server. */
  private ActorRef<PollChanges.Command> changeLog() {
    return testKit.spawn(PollChanges.create(0,
        new PollChanges.Settings(1, 1000, 100_000, Duration.ZERO, Duration.ofSeconds(10))));
  }

  private ActorRef<Poll.Request> spawnInbox(Poll.Settings settings) {
    return testKit.spawn(PollInbox.create(pollId, closingSchedule.ref(), changeLog(), settings));
  }

  /** The ballots the poll's journal holds: one event per write, each with the ballots of that write. */
  private long ballotsInJournal() {
    return journal.persistedInStorage("Poll|" + pollId).stream()
        .mapToLong(event -> event instanceof Poll.BallotsRecorded recorded ? recorded.changes().size() : 0).sum();
  }

  private static void createLunchPoll(ActorRef<Poll.Request> inbox) {
    createLunchPoll(inbox, Audience.PUBLIC, OWNER, null);
  }

  private static void createLunchPoll(
      ActorRef<Poll.Request> inbox, Audience audience, String owner, Instant closesAt) {
    TestProbe<Poll.Reply> organizer = testKit.createTestProbe(Poll.Reply.class);
    inbox.tell(new Poll.Create(
        new PollDraft("Where do we eat?", List.of("Pizza", "Sushi", "Salad"), Kind.SINGLE, null, false, closesAt,
            audience, owner),
        organizer.ref()));
    PollView created = assertInstanceOf(Poll.Accepted.class, organizer.receiveMessage()).poll();
    assertEquals(audience, created.audience());
    assertEquals(owner, created.owner());
  }

  private static Poll.Reply ask(ActorRef<Poll.Request> inbox, Function<ActorRef<Poll.Reply>, Poll.Request> request) {
    TestProbe<Poll.Reply> probe = testKit.createTestProbe(Poll.Reply.class);
    inbox.tell(request.apply(probe.ref()));
    return probe.receiveMessage(GENEROUS);
  }

  private static Poll.Rejection rejection(Poll.Reply reply) {
    return assertInstanceOf(Poll.Rejected.class, reply).reason();
  }

  private static PollView get(ActorRef<Poll.Request> inbox) {
    TestProbe<Poll.Reply> reader = testKit.createTestProbe(Poll.Reply.class);
    inbox.tell(new Poll.Get(reader.ref()));
    return assertInstanceOf(Poll.Accepted.class, reader.receiveMessage(GENEROUS)).poll();
  }

  private static List<Long> votes(PollView view) {
    return view.options().stream().map(PollView.OptionView::votes).toList();
  }

  /** The ballots in each journal write of this poll, as the journal sees them. */
  private List<Integer> recordWrites() {
    List<Integer> sizes = new CopyOnWriteArrayList<>();
    String persistenceId = "Poll|" + pollId;
    journal.withPolicy((id, operation) -> {
      if (id.equals(persistenceId) && operation instanceof WriteEvents write) {
        sizes.add(write.getBatch().stream()
            .mapToInt(event -> event instanceof Poll.BallotsRecorded recorded ? recorded.changes().size() : 0).sum());
      }
      return ProcessingSuccess.getInstance();
    });
    return sizes;
  }

  private static int choiceOf(int voter) {
    // Uneven on purpose, so a ballot counted for the wrong option shows.
    return voter % 7 == 0 ? 2 : voter % 2;
  }

  @Test
  void twoThousandConcurrentBallotsAreAllAcceptedAndCountedExactly() {
    ActorRef<Poll.Request> inbox = spawnInbox(settings(5000, Duration.ofSeconds(10)));
    createLunchPoll(inbox);
    List<Integer> writes = recordWrites();
    TestProbe<Poll.Reply> voters = testKit.createTestProbe(Poll.Reply.class);
    long[] expected = new long[3];

    for (int i = 0; i < 2000; i++) {
      inbox.tell(new Poll.CastBallot("voter-" + i, List.of(choiceOf(i)), null, voters.ref()));
      expected[choiceOf(i)]++;
    }
    List<Poll.Reply> replies = voters.receiveSeveralMessages(2000, GENEROUS);

    for (Poll.Reply reply : replies) {
      assertInstanceOf(Poll.Accepted.class, reply, () -> "every ballot fits the queue: " + reply);
    }
    PollView view = get(inbox);
    assertEquals(2000, view.totalBallots());
    assertEquals(Arrays.stream(expected).boxed().toList(), votes(view));
    // The Get was answered after every earlier reply was sent, so a duplicate would already be here.
    voters.expectNoMessage(Duration.ZERO);
    assertEquals(2000, ballotsInJournal());
    assertEquals(1 + writes.size(), journal.persistedInStorage("Poll|" + pollId).size(), "one event per write");

    // Group commit: many ballots per journal write, never more than maxBatch.
    assertEquals(2000, writes.stream().mapToInt(Integer::intValue).sum());
    assertTrue(writes.size() < 2000, () -> "expected batched writes, got " + writes.size() + " writes");
    assertTrue(writes.stream().allMatch(size -> size <= 100), () -> "a write exceeded maxBatch: " + writes);
  }

  @Test
  void pollRecoversItsBallotsFromItsJournal() {
    ActorRef<Poll.Request> inbox = spawnInbox(settings(5000, Duration.ofSeconds(10)));
    createLunchPoll(inbox);
    TestProbe<Poll.Reply> voters = testKit.createTestProbe(Poll.Reply.class);
    for (int i = 0; i < 1500; i++) {
      inbox.tell(new Poll.CastBallot("voter-" + i, List.of(choiceOf(i)), null, voters.ref()));
    }
    voters.receiveSeveralMessages(1500, GENEROUS);
    PollView before = get(inbox);

    testKit.stop(inbox, GENEROUS);
    ActorRef<Poll.Request> recovered = spawnInbox(settings(5000, Duration.ofSeconds(10)));

    PollView after = get(recovered);
    assertEquals(before, after);
    assertEquals(1500, after.totalBallots());
    // Recovered ballots are still recognised: a retry is acknowledged without being counted again.
    TestProbe<Poll.Reply> retry = testKit.createTestProbe(Poll.Reply.class);
    recovered.tell(new Poll.CastBallot("voter-3", List.of(choiceOf(3)), null, retry.ref()));
    assertEquals(1500, assertInstanceOf(Poll.Accepted.class, retry.receiveMessage()).poll().totalBallots());
    recovered.tell(new Poll.CastBallot("voter-3", List.of(2), null, retry.ref()));
    assertEquals(Poll.Rejection.ALREADY_VOTED,
        assertInstanceOf(Poll.Rejected.class, retry.receiveMessage()).reason());
  }

  @Test
  void fullQueueAnswersBusyAndEveryRequestGetsExactlyOneReply() {
    ActorRef<Poll.Request> inbox = spawnInbox(settings(5, Duration.ofSeconds(10)));
    createLunchPoll(inbox);
    List<TestProbe<Poll.Reply>> probes = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      probes.add(testKit.createTestProbe(Poll.Reply.class));
    }

    for (int i = 0; i < 200; i++) {
      inbox.tell(new Poll.CastBallot("voter-" + i, List.of(choiceOf(i)), null, probes.get(i).ref()));
    }
    long[] counted = new long[3];
    int accepted = 0;
    int busy = 0;
    for (int i = 0; i < 200; i++) {
      Poll.Reply reply = probes.get(i).receiveMessage(GENEROUS);
      if (reply instanceof Poll.Accepted) {
        accepted++;
        counted[choiceOf(i)]++;
      } else {
        assertEquals(Poll.Rejection.BUSY, assertInstanceOf(Poll.Rejected.class, reply).reason());
        busy++;
      }
    }

    assertTrue(busy > 0, "200 requests at once must overflow a queue of 5");
    assertTrue(accepted > 0, "the requests that fit must still be written");
    // Every reply above came before this one, so the queue has room for it and nothing is still owed.
    PollView view = get(inbox);
    for (TestProbe<Poll.Reply> probe : probes) {
      probe.expectNoMessage(Duration.ZERO);
    }
    assertEquals(accepted, view.totalBallots());
    assertEquals(Arrays.stream(counted).boxed().toList(), votes(view));
    assertEquals(accepted, ballotsInJournal(), "BUSY writes nothing");
  }

  @Test
  void writeThatNeverReportsBackDoesNotBlockTheQueue() {
    // A failed journal write restarts the writer without answering: the inbox must give up on that batch after
    // writeTimeout and carry on with the requests queued behind it.
    ActorRef<Poll.Request> inbox = spawnInbox(settings(5000, Duration.ofMillis(500)));
    createLunchPoll(inbox);
    TestProbe<Poll.Reply> lost = testKit.createTestProbe(Poll.Reply.class);
    TestProbe<Poll.Reply> next = testKit.createTestProbe(Poll.Reply.class);
    journal.failNextPersisted("Poll|" + pollId);

    inbox.tell(new Poll.CastBallot("alice", List.of(0), null, lost.ref()));
    // Bob comes after alice's write timed out: sent earlier, he could share her batch (the inbox hears that the
    // creation was written only after the organizer does), and a failed batch fails all of its requests.
    lost.expectNoMessage(Duration.ofMillis(800));
    inbox.tell(new Poll.CastBallot("bob", List.of(1), null, next.ref()));

    PollView view = assertInstanceOf(Poll.Accepted.class, next.receiveMessage(GENEROUS)).poll();
    assertEquals(1, view.totalBallots());
    assertEquals(List.of(0L, 1L, 0L), votes(view));
    // The failed ballot was never acknowledged, so a client retry is safe and counts it once.
    lost.expectNoMessage(Duration.ZERO);
    inbox.tell(new Poll.CastBallot("alice", List.of(0), null, lost.ref()));
    assertEquals(2, assertInstanceOf(Poll.Accepted.class, lost.receiveMessage(GENEROUS)).poll().totalBallots());
    assertEquals(3, journal.persistedInStorage("Poll|" + pollId).size(), "created, bob, alice: the failed write left nothing");
    assertEquals(2, ballotsInJournal());
  }

  @Test
  void stopFromClusterShardingFinishesTheWritesUnderWayThenStops() {
    // A hand-off must not leave a write in flight: the next owner would replay without it and write the same
    // sequence numbers again. So the inbox writes what it has already taken, answers it, and only then stops.
    ActorRef<Object> inbox = testKit.spawn(PollInbox.behavior(pollId, closingSchedule.ref(), changeLog(),
        settings(5000, Duration.ofSeconds(10)), () -> false));
    createLunchPoll(inbox.narrow());
    List<Integer> writes = recordWrites();
    TestProbe<Poll.Reply> voters = testKit.createTestProbe(Poll.Reply.class);
    for (int i = 0; i < 300; i++) {
      inbox.tell(new Poll.CastBallot("voter-" + i, List.of(choiceOf(i)), null, voters.ref()));
    }
    inbox.tell(PollEntity.Stop.INSTANCE);

    for (Poll.Reply reply : voters.receiveSeveralMessages(300, GENEROUS)) {
      assertInstanceOf(Poll.Accepted.class, reply, () -> "every ballot taken before the stop is written: " + reply);
    }
    voters.expectTerminated(inbox, GENEROUS);
    assertTrue(writes.size() > 1, () -> "the stop arrived while batches were still to be written: " + writes);
    assertEquals(300, ballotsInJournal());
  }

  @Test
  void downedNodeRefusesToWriteSoTheNextOwnerIsTheOnlyWriter() {
    java.util.concurrent.atomic.AtomicBoolean downed = new java.util.concurrent.atomic.AtomicBoolean(false);
    ActorRef<Poll.Request> inbox = testKit.<Object>spawn(PollInbox.behavior(pollId, closingSchedule.ref(),
        changeLog(), settings(5000, Duration.ofSeconds(10)), downed::get)).narrow();
    createLunchPoll(inbox);
    assertInstanceOf(Poll.Accepted.class, ask(inbox, replyTo -> new Poll.CastBallot("alice", List.of(0), null, replyTo)));

    downed.set(true);
    assertEquals(Poll.Rejection.NODE_DOWNED,
        rejection(ask(inbox, replyTo -> new Poll.CastBallot("bob", List.of(1), null, replyTo))));
    assertEquals(Poll.Rejection.NODE_DOWNED, rejection(ask(inbox, Poll.Get::new)));
    assertEquals(2, journal.persistedInStorage("Poll|" + pollId).size(), "created, alice: nothing after the downing");
  }

  @Test
  void invitedPollUnderLoadCountsOnlyBallotsInvitedToIt() {
    ActorRef<Poll.Request> inbox = spawnInbox(settings(5000, Duration.ofSeconds(10)));
    createLunchPoll(inbox, Audience.INVITED, OWNER, null);
    List<Integer> writes = recordWrites();
    TestProbe<Poll.Reply> invited = testKit.createTestProbe(Poll.Reply.class);
    TestProbe<Poll.Reply> uninvited = testKit.createTestProbe(Poll.Reply.class);
    String otherPoll = PollId.newId();
    long[] expected = new long[3];

    for (int i = 0; i < 900; i++) {
      // Interleaved, so the group commit mixes accepted and refused ballots in the same batches.
      switch (i % 3) {
        case 0 -> {
          inbox.tell(new Poll.CastBallot("voter-" + i, List.of(choiceOf(i)), pollId, invited.ref()));
          expected[choiceOf(i)]++;
        }
        case 1 -> inbox.tell(new Poll.CastBallot("voter-" + i, List.of(choiceOf(i)), null, uninvited.ref()));
        default -> inbox.tell(new Poll.CastBallot("voter-" + i, List.of(choiceOf(i)), otherPoll, uninvited.ref()));
      }
    }

    for (Poll.Reply reply : invited.receiveSeveralMessages(300, GENEROUS)) {
      assertInstanceOf(Poll.Accepted.class, reply, () -> "an invited ballot is counted: " + reply);
    }
    for (Poll.Reply reply : uninvited.receiveSeveralMessages(600, GENEROUS)) {
      assertEquals(Poll.Rejection.NOT_INVITED, rejection(reply));
    }
    PollView view = get(inbox);
    invited.expectNoMessage(Duration.ZERO);
    uninvited.expectNoMessage(Duration.ZERO);
    assertEquals(300, view.totalBallots());
    assertEquals(Arrays.stream(expected).boxed().toList(), votes(view));
    assertEquals(300, ballotsInJournal(), "NOT_INVITED writes nothing");
    assertEquals(300, writes.stream().mapToInt(Integer::intValue).sum());
  }

  @Test
  void organizerRequestsThroughTheInboxAreDecidedByTheOwnerRuleAndForbiddenOnesWriteNothing() {
    ActorRef<Poll.Request> inbox = spawnInbox(settings(5000, Duration.ofSeconds(10)));
    createLunchPoll(inbox, Audience.INVITED, OWNER, null);
    int max = PollDefinition.MAX_INVITES_PER_REQUEST;

    assertEquals(Poll.Rejection.FORBIDDEN, rejection(ask(inbox, replyTo -> new Poll.Invite(STRANGER, 1, replyTo))));
    assertInstanceOf(Poll.Accepted.class, ask(inbox, replyTo -> new Poll.Invite(BY_OWNER, max, replyTo)));
    assertEquals(Poll.Rejection.INVALID_INVITE,
        rejection(ask(inbox, replyTo -> new Poll.Invite(BY_OWNER, max + 1, replyTo))));
    assertEquals(Poll.Rejection.FORBIDDEN, rejection(ask(inbox, replyTo -> new Poll.Close(STRANGER, replyTo))));
    assertEquals(PollView.OPEN, get(inbox).status());
    assertInstanceOf(Poll.Accepted.class,
        ask(inbox, replyTo -> new Poll.CastBallot("alice", List.of(1), pollId, replyTo)));

    PollView closed = assertInstanceOf(Poll.Accepted.class,
        ask(inbox, replyTo -> new Poll.Close(BY_OWNER, replyTo))).poll();

    assertEquals(PollView.CLOSED, closed.status());
    assertEquals(1, closed.totalBallots());
    assertEquals(Poll.Rejection.FORBIDDEN, rejection(ask(inbox, replyTo -> new Poll.Close(STRANGER, replyTo))));
    assertEquals(Poll.Rejection.POLL_CLOSED, rejection(ask(inbox, replyTo -> new Poll.Invite(BY_OWNER, 1, replyTo))));
    assertEquals(List.of(Poll.PollCreated.class, Poll.BallotsRecorded.class, Poll.PollClosed.class),
        journal.persistedInStorage("Poll|" + pollId).stream().map(Object::getClass).toList(),
        "only the create, the ballot and the owner's close are stored");
  }

  @Test
  void closingScheduleClosesAnInvitedPollOwnedBySomeoneElse() {
    // The real schedule, on a clock a minute ahead of the poll's: it finds the close due while the poll does not,
    // so the poll closes only because the schedule's Close is allowed to close a poll it does not own.
    Instant closesAt = START.plus(Duration.ofMinutes(1));
    AtomicReference<ActorRef<Poll.Request>> inboxRef = new AtomicReference<>();
    ActorRef<ClosingSchedule.Command> schedule = testKit.spawn(
        ClosingSchedule.create(id -> inboxRef.get(), new MutableClock(START.plus(Duration.ofMinutes(2)))));
    ActorRef<Poll.Request> inbox =
        testKit.spawn(PollInbox.create(pollId, schedule, changeLog(), settings(5000, Duration.ofSeconds(10))));
    inboxRef.set(inbox);
    createLunchPoll(inbox, Audience.INVITED, "oscar", closesAt);
    TestProbe<Poll.Reply> voter = testKit.createTestProbe(Poll.Reply.class);

    voter.awaitAssert(GENEROUS, () -> {
      assertEquals(PollView.CLOSED, get(inbox).status());
      return null;
    });

    PollView view = get(inbox);
    assertEquals(START, view.closedAt(), "closed by the schedule's request, at the poll's own now");
    assertEquals("oscar", view.owner());
    assertEquals(new Poll.PollClosed(pollId, START), journal.persistedInStorage("Poll|" + pollId).get(1));
    inbox.tell(new Poll.CastBallot("alice", List.of(0), pollId, voter.ref()));
    assertEquals(Poll.Rejection.POLL_CLOSED, rejection(voter.receiveMessage(GENEROUS)));
    testKit.stop(schedule, GENEROUS);
  }

  @Test
  void answersWaitUntilTheChangeLogHasRecordedTheirWrite() {
    TestProbe<PollChanges.Command> log = testKit.createTestProbe(PollChanges.Command.class);
    ActorRef<Poll.Request> inbox = testKit.spawn(PollInbox.create(pollId, closingSchedule.ref(), log.ref(),
        settings(5000, Duration.ofSeconds(10))));
    TestProbe<Poll.Reply> organizer = testKit.createTestProbe(Poll.Reply.class);
    inbox.tell(new Poll.Create(new PollDraft("Where do we eat?", List.of("Pizza", "Sushi"), Kind.SINGLE, null, false,
        null, Audience.PUBLIC, OWNER), organizer.ref()));

    PollChanges.Record record = assertInstanceOf(PollChanges.Record.class, log.receiveMessage(GENEROUS));
    assertEquals(new PollChanges.Record(pollId, 1, record.replyTo()), record);
    organizer.expectNoMessage(Duration.ofMillis(300));
    // the batch is not over yet: a request meanwhile waits for the next one
    TestProbe<Poll.Reply> voter = testKit.createTestProbe(Poll.Reply.class);
    inbox.tell(new Poll.CastBallot("alice", List.of(7), null, voter.ref()));
    voter.expectNoMessage(Duration.ofMillis(100));

    record.replyTo().tell(new PollChanges.Recorded(pollId, 1));
    assertEquals(1, assertInstanceOf(Poll.Accepted.class, organizer.receiveMessage(GENEROUS)).poll().version());
    // a refusal carries no version, and a read of version 1, recorded already, has nothing to wait for
    assertEquals(Poll.Rejection.INVALID_BALLOT, rejection(voter.receiveMessage(GENEROUS)));
    assertEquals(1, get(inbox).version());
    log.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void answersGoAnywayWhenTheChangeLogDoesNotConfirmAndTheInboxKeepsRecording() {
    TestProbe<PollChanges.Command> log = testKit.createTestProbe(PollChanges.Command.class);
    Poll.Settings patient = new Poll.Settings(100, 5000, Duration.ZERO, Duration.ofSeconds(10),
        Duration.ofMillis(400), clock);
    ActorRef<Poll.Request> inbox = testKit.spawn(PollInbox.create(pollId, closingSchedule.ref(), log.ref(), patient));
    TestProbe<Poll.Reply> organizer = testKit.createTestProbe(Poll.Reply.class);
    inbox.tell(new Poll.Create(new PollDraft("Where do we eat?", List.of("Pizza", "Sushi"), Kind.SINGLE, null, false,
        null, Audience.PUBLIC, OWNER), organizer.ref()));

    assertInstanceOf(PollChanges.Record.class, log.receiveMessage(GENEROUS));
    organizer.expectNoMessage(Duration.ofMillis(200));
    // after recordWithin the answer goes, though the log never confirmed
    assertInstanceOf(Poll.Accepted.class, organizer.receiveMessage(Duration.ofSeconds(2)));
    // and the inbox asks the log again until it does
    PollChanges.Record again = assertInstanceOf(PollChanges.Record.class, log.receiveMessage(Duration.ofSeconds(3)));
    assertEquals(1, again.seq());
    again.replyTo().tell(new PollChanges.Recorded(pollId, 1));
    log.expectNoMessage(Duration.ofMillis(1500));
  }

  @Test
  void aPollThatClosesItselfIsAnsweredOnceItsCloseIsScheduled() {
    // so that the close happens even if the poll's node crashes right after answering and nobody touches it again
    ActorRef<Poll.Request> inbox = spawnInbox(settings(5000, Duration.ofSeconds(10)));
    Instant closesAt = START.plus(Duration.ofHours(1));
    TestProbe<Poll.Reply> organizer = testKit.createTestProbe(Poll.Reply.class);
    inbox.tell(new Poll.Create(new PollDraft("Where do we eat?", List.of("Pizza", "Sushi"), Kind.SINGLE, null, false,
        closesAt, Audience.PUBLIC, OWNER), organizer.ref()));

    ClosingSchedule.Schedule schedule = closingSchedule.expectMessageClass(ClosingSchedule.Schedule.class, GENEROUS);
    assertEquals(closesAt, schedule.closesAt());
    organizer.expectNoMessage(Duration.ofMillis(300));
    schedule.replyTo().tell(new ClosingSchedule.Scheduled(pollId));
    assertEquals(closesAt, assertInstanceOf(Poll.Accepted.class, organizer.receiveMessage(GENEROUS)).poll().closesAt());
  }
}
