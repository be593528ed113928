package actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
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
import org.junit.jupiter.api.Test;

/**
 * Who may vote in and see a poll: invitations recorded, listed, capped and revoked; sign-ups through the join code,
 * capped per poll and counted for the owner; invited polls invisible to strangers. Driven through the entity.
 */
class PollAdmissionsTest {
  private static final Instant START = Instant.parse("2026-03-01T09:00:00Z");
  private static final String OWNER = "olivia";
  private static final Requester BY_OWNER = new Requester(OWNER, false);
  private static final Requester STRANGER = new Requester("mallory", false);
  private static final Requester ADMIN = new Requester("ada", true);

  private static ActorTestKit testKit;

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

  private void newPoll(Audience audience, Poll.Limits limits) {
    pollId = PollId.newId();
    TestProbe<ClosingSchedule.Command> closingSchedule = testKit.createTestProbe(ClosingSchedule.Command.class);
    TestProbe<Topic.Command<TallyUpdate>> tallies = testKit.createTestProbe();
    Poll.Settings settings = new Poll.Settings(100, 1000, Duration.ZERO, Duration.ofSeconds(10), Duration.ofSeconds(1),
        new MutableClock(START), limits);
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        Poll.create(pollId, closingSchedule.ref(), tallies.ref(), settings),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true).withVerifyState(false));
    kit.clear();
    PollDraft draft = new PollDraft("Where do we eat?", List.of("Pizza", "Sushi"), null, null, false, null, audience,
        OWNER, null, null, null, null);
    assertInstanceOf(Poll.Accepted.class, run(replyTo -> new Poll.Create(draft, replyTo)).reply());
  }

  private void newPoll(Audience audience) {
    newPoll(audience, Poll.Limits.DEFAULT);
  }

  private CommandResultWithReply<Poll.Command, Poll.Event, Poll.State, Poll.Reply> run(
      Function<ActorRef<Poll.Reply>, Poll.Command> command) {
    return kit.runCommand(command::apply);
  }

  private Poll.Reply ballot(String voterId, String invitedTo) {
    return run(replyTo -> new Poll.CastBallot(voterId, List.of(0), invitedTo, replyTo)).reply();
  }

  private Poll.Reply read(Reader reader) {
    return run(replyTo -> new Poll.Read(reader, replyTo)).reply();
  }

  private static Poll.Rejection rejection(Poll.Reply reply) {
    return assertInstanceOf(Poll.Rejected.class, reply).reason();
  }

  @Test
  void invitationsAreRecordedWithWhoAndWhenAndListedToTheOwnerOnly() {
    newPoll(Audience.INVITED);
    var invited = run(replyTo -> new Poll.Invite(BY_OWNER, List.of("i1", "i2"), replyTo));

    assertEquals(List.of(new Poll.VotersInvited(pollId, List.of("i1", "i2"), OWNER, START)), invited.events());
    assertEquals(2, assertInstanceOf(Poll.Accepted.class, invited.reply()).poll().invited());
    Poll.AdmissionsListed listed = assertInstanceOf(Poll.AdmissionsListed.class,
        run(replyTo -> new Poll.ListAdmissions(BY_OWNER, Admissions.Way.INVITED, 0, 10, replyTo)).reply());
    assertEquals(List.of(new Admissions.Admission("i1", Admissions.Way.INVITED, OWNER, START, null, null),
        new Admissions.Admission("i2", Admissions.Way.INVITED, OWNER, START, null, null)), listed.admissions());
    assertEquals(Poll.Rejection.FORBIDDEN, rejection(
        run(replyTo -> new Poll.ListAdmissions(STRANGER, Admissions.Way.INVITED, 0, 10, replyTo)).reply()));
  }

  @Test
  void aRevokedInviteIsRefusedAtBallotTimeAndCannotReadThePoll() {
    newPoll(Audience.INVITED);
    run(replyTo -> new Poll.Invite(BY_OWNER, List.of("i1", "i2"), replyTo));
    assertInstanceOf(Poll.Accepted.class, ballot("i1", pollId));

    var revoked = run(replyTo -> new Poll.RevokeInvite(BY_OWNER, "i2", replyTo));

    assertEquals(List.of(new Poll.InviteRevoked(pollId, "i2", OWNER, START)), revoked.events());
    assertEquals(Poll.Rejection.NOT_INVITED, rejection(ballot("i2", pollId)));
    assertEquals(Poll.Rejection.UNKNOWN_POLL, rejection(read(new Reader(null, "i2", pollId))));
    assertInstanceOf(Poll.Accepted.class, read(new Reader(null, "i1", pollId)));
    // a repeat changes nothing; a stranger may not revoke; an unknown voter is no invite
    assertTrue(run(replyTo -> new Poll.RevokeInvite(BY_OWNER, "i2", replyTo)).events().isEmpty());
    assertEquals(Poll.Rejection.FORBIDDEN,
        rejection(run(replyTo -> new Poll.RevokeInvite(STRANGER, "i1", replyTo)).reply()));
    assertEquals(Poll.Rejection.INVALID_INVITE,
        rejection(run(replyTo -> new Poll.RevokeInvite(ADMIN, "nobody", replyTo)).reply()));
  }

  @Test
  void invitesPerPollAreCapped() {
    newPoll(Audience.INVITED, new Poll.Limits(10_000, 1_000, 100, 3, 10));
    assertInstanceOf(Poll.Accepted.class, run(replyTo -> new Poll.Invite(BY_OWNER, List.of("i1", "i2"), replyTo))
        .reply());

    var over = run(replyTo -> new Poll.Invite(BY_OWNER, List.of("i3", "i4"), replyTo));

    assertEquals(Poll.Rejection.LIMIT_REACHED, rejection(over.reply()));
    assertTrue(over.events().isEmpty());
    assertInstanceOf(Poll.Accepted.class, run(replyTo -> new Poll.Invite(BY_OWNER, List.of("i3"), replyTo)).reply());
  }

  @Test
  void anInvitedPollIsUnknownToAnyoneButItsManagersAndItsInvitees() {
    newPoll(Audience.INVITED);
    run(replyTo -> new Poll.Invite(BY_OWNER, List.of("i1"), replyTo));

    assertEquals(Poll.Rejection.UNKNOWN_POLL, rejection(read(Reader.ANYONE)));
    assertEquals(Poll.Rejection.UNKNOWN_POLL, rejection(read(new Reader(STRANGER, null, null))));
    assertEquals(Poll.Rejection.UNKNOWN_POLL, rejection(read(new Reader(null, "v1", null))));
    assertEquals(Poll.Rejection.UNKNOWN_POLL, rejection(read(new Reader(null, "i9", "otherpoll123"))));
    assertEquals("no poll with id " + pollId,
        assertInstanceOf(Poll.Rejected.class, read(Reader.ANYONE)).detail(), "the same answer as a missing poll");
    assertInstanceOf(Poll.Accepted.class, read(new Reader(BY_OWNER, null, null)));
    assertInstanceOf(Poll.Accepted.class, read(new Reader(ADMIN, null, null)));
    assertInstanceOf(Poll.Accepted.class, read(new Reader(null, "i1", pollId)));
  }

  @Test
  void aPublicPollIsReadByAnyoneAndItsPublicViewNamesNoOwner() {
    newPoll(Audience.PUBLIC);
    PollView view = assertInstanceOf(Poll.Accepted.class, read(Reader.ANYONE)).poll();

    assertEquals(OWNER, view.owner(), "the entity's view is its owner's");
    assertNull(view.forPublic().owner());
    assertNull(view.forPublic().votersJoined());
    assertNull(view.seenBy(STRANGER).owner());
    assertEquals(OWNER, view.seenBy(BY_OWNER).owner());
  }

  @Test
  void signUpsAreCountedForTheOwnerAndCappedPerPoll() {
    newPoll(Audience.PUBLIC, new Poll.Limits(10_000, 1_000, 100, 10, 2));

    var joined = run(replyTo -> new Poll.SignUp("j1", replyTo));
    assertEquals(List.of(new Poll.VoterJoined(pollId, "j1", START)), joined.events());
    assertTrue(run(replyTo -> new Poll.SignUp("j1", replyTo)).events().isEmpty(), "a repeat counts once");
    assertInstanceOf(Poll.Accepted.class, run(replyTo -> new Poll.SignUp("j2", replyTo)).reply());
    var over = run(replyTo -> new Poll.SignUp("j3", replyTo));

    assertEquals(Poll.Rejection.LIMIT_REACHED, rejection(over.reply()));
    assertTrue(over.events().isEmpty());
    assertEquals(2, assertInstanceOf(Poll.Accepted.class, read(new Reader(BY_OWNER, null, null))).poll()
        .votersJoined());
    Poll.AdmissionsListed listed = assertInstanceOf(Poll.AdmissionsListed.class,
        run(replyTo -> new Poll.ListAdmissions(BY_OWNER, Admissions.Way.JOINED, 0, 10, replyTo)).reply());
    assertEquals(List.of("j1", "j2"), listed.admissions().stream().map(Admissions.Admission::voterId).toList());
  }

  @Test
  void aJoinCodeOnlyPollTakesBallotsOnlyFromVotersWhoSignedUpThroughItsCode() {
    newPoll(Audience.JOINED);
    run(replyTo -> new Poll.SignUp("j1", replyTo));

    assertEquals(Poll.Rejection.NOT_INVITED, rejection(ballot("v1", null)), "a public voter token");
    assertEquals(Poll.Rejection.NOT_INVITED, rejection(ballot("j9", "otherpoll123")), "a token for another poll");
    assertInstanceOf(Poll.Accepted.class, ballot("j1", pollId));
    assertInstanceOf(Poll.Accepted.class, read(Reader.ANYONE), "its question is public: voters read it to join");

    run(replyTo -> new Poll.RevokeInvite(BY_OWNER, "j1", replyTo));
    assertEquals(Poll.Rejection.NOT_INVITED, rejection(run(replyTo ->
        new Poll.CastBallot("j1", List.of(1), pollId, replyTo)).reply()), "a revoked sign-up");
  }

  @Test
  void anInvitedPollTakesNoSignUps() {
    newPoll(Audience.INVITED);
    assertEquals(Poll.Rejection.NOT_INVITED, rejection(run(replyTo -> new Poll.SignUp("j1", replyTo)).reply()));
  }

  @Test
  void aPublicPollRefusesTheBallotsOfARevokedSignUp() {
    newPoll(Audience.PUBLIC);
    run(replyTo -> new Poll.SignUp("j1", replyTo));
    run(replyTo -> new Poll.RevokeInvite(BY_OWNER, "j1", replyTo));

    assertEquals(Poll.Rejection.NOT_INVITED, rejection(ballot("j1", pollId)));
    assertInstanceOf(Poll.Accepted.class, ballot("v1", null), "public voters still vote");
  }

  @Test
  void admissionsSurviveARestart() {
    newPoll(Audience.INVITED);
    run(replyTo -> new Poll.Invite(BY_OWNER, List.of("i1", "i2"), replyTo));
    run(replyTo -> new Poll.RevokeInvite(BY_OWNER, "i1", replyTo));

    kit.restart();

    assertEquals(Poll.Rejection.NOT_INVITED, rejection(ballot("i1", pollId)));
    assertInstanceOf(Poll.Accepted.class, ballot("i2", pollId));
  }
}
