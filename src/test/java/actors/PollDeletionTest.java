package actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Deleting a poll, driven through its event-sourced entity on the in-memory journal. */
class PollDeletionTest {
  private static final Instant START = Instant.parse("2026-03-01T09:00:00Z");
  private static final Requester OWNER = new Requester("olivia", false);
  private static final Requester STRANGER = new Requester("mallory", false);
  private static final Requester ADMIN = new Requester("ada", true);

  private static ActorTestKit testKit;

  private MutableClock clock;
  private TestProbe<Topic.Command<TallyUpdate>> tallies;
  private String pollId;
  private EventSourcedBehaviorTestKit<Poll.Command, Poll.Event, Poll.State> kit;

  @BeforeAll
  static void startSystem() {
    testKit = ActorTestKit.create(support.TestConfig.eventSourcedTestKit());
  }

  @AfterAll
  static void stopSystem() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void newPoll() {
    clock = new MutableClock(START);
    tallies = testKit.createTestProbe();
    kit = kit(EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true)
        .withVerifyState(false));
  }

  private EventSourcedBehaviorTestKit<Poll.Command, Poll.Event, Poll.State> kit(
      EventSourcedBehaviorTestKit.SerializationSettings serialization) {
    pollId = PollId.newId();
    TestProbe<ClosingSchedule.Command> closingSchedule = testKit.createTestProbe(ClosingSchedule.Command.class);
    EventSourcedBehaviorTestKit<Poll.Command, Poll.Event, Poll.State> created = EventSourcedBehaviorTestKit.create(
        testKit.system(), Poll.create(pollId, closingSchedule.ref(),
        tallies.ref(), new Poll.Settings(100, 1000, Duration.ZERO, Duration.ofSeconds(10), Duration.ofSeconds(1),
            clock)), serialization);
    created.clear();
    return created;
  }

  private CommandResultWithReply<Poll.Command, Poll.Event, Poll.State, Poll.Reply> run(
      Function<ActorRef<Poll.Reply>, Poll.Command> command) {
    return kit.runCommand(command);
  }

  private void create() {
    var created = run(replyTo -> new Poll.Create(new PollDraft("Lunch?", List.of("pizza", "sushi"), null, null,
        true, null, null, OWNER.name()), replyTo));
    assertInstanceOf(Poll.Accepted.class, created.reply());
    tallies.receiveMessage();
  }

  private CommandResultWithReply<Poll.Command, Poll.Event, Poll.State, Poll.Reply> delete(Requester requester) {
    return run(replyTo -> new Poll.Delete(requester, replyTo));
  }

  private static void assertUnknown(CommandResultWithReply<?, ?, ?, Poll.Reply> result) {
    Poll.Rejected rejected = assertInstanceOf(Poll.Rejected.class, result.reply());
    assertEquals(Poll.Rejection.UNKNOWN_POLL, rejected.reason(), rejected.detail());
    assertTrue(result.hasNoEvents(), () -> "nothing is written, got " + result.events());
  }

  @Test
  void theOwnerDeletesAPollWhichThenAnswersAsUnknownToEveryRequest() {
    create();
    run(replyTo -> new Poll.CastBallot("alice", List.of(0), null, replyTo));
    tallies.receiveMessage();
    clock.advance(Duration.ofMinutes(5));

    var deleted = delete(OWNER);

    Poll.Deleted reply = assertInstanceOf(Poll.Deleted.class, deleted.reply());
    assertEquals(new Poll.Deleted(pollId, OWNER.name(), START.plus(Duration.ofMinutes(5))), reply);
    assertEquals(new Poll.PollDeleted(pollId, OWNER.name(), OWNER.name(), START.plus(Duration.ofMinutes(5))),
        deleted.event());
    assertEquals(new Poll.Tombstone(pollId, OWNER.name(), START.plus(Duration.ofMinutes(5)), 3), deleted.state());
    tallies.expectMessage(Topic.publish(TallyUpdate.gone(pollId)));

    assertUnknown(run(Poll.Get::new));
    assertUnknown(run(replyTo -> new Poll.CastBallot("bob", List.of(1), null, replyTo)));
    assertUnknown(run(replyTo -> new Poll.CastBallot("alice", List.of(0), null, replyTo)));
    assertUnknown(run(replyTo -> new Poll.RetractBallot("alice", replyTo)));
    assertUnknown(run(replyTo -> new Poll.Close(OWNER, replyTo)));
    assertUnknown(run(replyTo -> new Poll.Reveal(OWNER, replyTo)));
    assertUnknown(run(replyTo -> new Poll.NextRound(ADMIN, replyTo)));
    assertUnknown(run(replyTo -> new Poll.Invite(OWNER, 1, replyTo)));
    assertUnknown(run(replyTo -> new Poll.HideWord(OWNER, "x", replyTo)));
    assertUnknown(run(Poll.GetRounds::new));
    assertUnknown(run(replyTo -> new Poll.Create(new PollDraft("Again?", List.of("a", "b"), null, null, false, null,
        null, OWNER.name()), replyTo)));
    tallies.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void deletingAgainIsAnsweredAlikeForTheOwnerAndAdminsAndUnknownForOthers() {
    create();
    delete(OWNER);
    clock.advance(Duration.ofHours(1));

    var again = delete(OWNER);
    assertEquals(new Poll.Deleted(pollId, OWNER.name(), START), again.reply());
    assertTrue(again.hasNoEvents());
    assertEquals(new Poll.Deleted(pollId, OWNER.name(), START), delete(ADMIN).reply());
    assertUnknown(delete(STRANGER));
  }

  @Test
  void anAdminDeletesAnyonesPollAndTheEventNamesTheAdmin() {
    create();
    var deleted = delete(ADMIN);
    assertEquals(new Poll.PollDeleted(pollId, OWNER.name(), ADMIN.name(), START), deleted.event());
    assertInstanceOf(Poll.Deleted.class, deleted.reply());
  }

  @Test
  void aStrangerIsToldThereIsNoSuchPollAndNothingChanges() {
    create();
    assertUnknown(delete(STRANGER));
    assertInstanceOf(Poll.Accepted.class, run(Poll.Get::new).reply());
  }

  @Test
  void deletingAPollThatNeverExistedIsUnknown() {
    assertUnknown(delete(OWNER));
    assertUnknown(delete(ADMIN));
  }

  @Test
  void aClosedPollIsDeletedToo() {
    create();
    run(replyTo -> new Poll.Close(OWNER, replyTo));
    tallies.receiveMessage();
    assertInstanceOf(Poll.Deleted.class, delete(OWNER).reply());
    assertUnknown(run(Poll.Get::new));
  }

  @Test
  void theDeletedPollStaysDeletedAfterARestart() {
    create();
    delete(OWNER);
    kit.restart();
    assertEquals(new Poll.Tombstone(pollId, OWNER.name(), START, 2), kit.getState());
    assertUnknown(run(Poll.Get::new));
    assertEquals(new Poll.Deleted(pollId, OWNER.name(), START), delete(OWNER).reply());
  }

  /**
   * In one write: ballots decided before the delete go with the poll and are answered as the poll now is (unknown),
   * those after it are refused; nothing is acknowledged.
   */
  @Test
  void aBatchWithADeleteAcknowledgesNoBallot() {
    kit = kit(EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyCommands(false)
        .withVerifyEquality(true).withVerifyState(false));
    create();
    TestProbe<Poll.Written> written = testKit.createTestProbe(Poll.Written.class);
    List<TestProbe<Poll.Reply>> probes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      probes.add(testKit.createTestProbe(Poll.Reply.class));
    }
    var result = kit.runCommand(new Poll.Batch(9, List.of(
        new Poll.CastBallot("alice", List.of(0), null, probes.get(0).ref()),
        new Poll.Delete(OWNER, probes.get(1).ref()),
        new Poll.CastBallot("bob", List.of(1), null, probes.get(2).ref()),
        new Poll.Get(probes.get(3).ref())), written.ref()));

    assertEquals(2, result.events().size(), "the ballot before the delete, and the delete: " + result.events());
    assertInstanceOf(Poll.PollDeleted.class, result.events().get(1));
    Poll.Written report = written.receiveMessage();
    List<Poll.Reply> replies = report.answers().stream().map(Poll.Answer::reply).toList();
    assertInstanceOf(Poll.Deleted.class, replies.get(1));
    for (int i : new int[] {0, 2, 3}) {
      Poll.Rejected rejected = assertInstanceOf(Poll.Rejected.class, replies.get(i), "request " + i);
      assertEquals(Poll.Rejection.UNKNOWN_POLL, rejected.reason());
    }
    tallies.expectMessage(Topic.publish(TallyUpdate.gone(pollId)));
  }
}
