package actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Named.named;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.persistence.testkit.ProcessingSuccess;
import org.apache.pekko.persistence.testkit.WriteEvents;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResult;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The rules of one poll, driven through its event-sourced entity on the in-memory journal. */
class PollTest {

  private static final Instant START = Instant.parse("2026-03-01T09:00:00Z");
  private static final String QUESTION = "Where do we eat?";
  private static final List<String> LUNCH = List.of("Pizza", "Sushi", "Salad");
  private static final List<String> FOUR = List.of("Red", "Green", "Blue", "Yellow");
  /** The organizer who creates the poll unless a test says otherwise. */
  private static final String OWNER = "olivia";
  private static final Requester BY_OWNER = new Requester(OWNER, false);
  /** An organizer who does not own the poll. */
  private static final Requester STRANGER = new Requester("mallory", false);
  private static final Requester ADMIN = new Requester("ada", true);
  private static final int MAX_INVITES = PollDefinition.MAX_INVITES_PER_REQUEST;

  private static ActorTestKit testKit;

  private MutableClock clock;
  private TestProbe<ClosingSchedule.Command> closingSchedule;
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
    closingSchedule = testKit.createTestProbe(ClosingSchedule.Command.class);
    tallies = testKit.createTestProbe();
    kit = kitWith(settings());
    kit.persistenceTestKit().resetPolicy();
  }

  private Poll.Settings settings() {
    return new Poll.Settings(100, 1000, Duration.ZERO, Duration.ofSeconds(10), Duration.ofSeconds(1), clock);
  }

  /** The event of one write that recorded these ballot changes at {@code at}. */
  private Poll.BallotsRecorded ballots(Instant at, Poll.BallotChange... changes) {
    return new Poll.BallotsRecorded(pollId, at, List.of(changes));
  }

  /** Delivers a batch's answers to their requesters, as the inbox does, and returns the batch's report. */
  private static Poll.Written deliver(TestProbe<Poll.Written> written) {
    Poll.Written report = written.receiveMessage();
    report.answers().forEach(answer -> answer.to().tell(answer.reply()));
    return report;
  }

  private EventSourcedBehaviorTestKit<Poll.Command, Poll.Event, Poll.State> kitWith(Poll.Settings settings) {
    // Equality on top of the default round trip: a field that deserializes to another type (say Integer for Long)
    // would otherwise slip through. The state is never stored (no snapshots), so only commands and events travel.
    return kitWith(settings, EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true)
        .withVerifyState(false));
  }

  private EventSourcedBehaviorTestKit<Poll.Command, Poll.Event, Poll.State> kitWith(
      Poll.Settings settings, EventSourcedBehaviorTestKit.SerializationSettings serialization) {
    // A fresh poll id, so a kit replacing the one from newPoll() never shares its persistence id.
    pollId = PollId.newId();
    EventSourcedBehaviorTestKit<Poll.Command, Poll.Event, Poll.State> created = EventSourcedBehaviorTestKit.create(
        testKit.system(), Poll.create(pollId, closingSchedule.ref(), tallies.ref(), settings), serialization);
    created.clear();
    return created;
  }

  /**
   * For Batch commands only: Batch is marked CborSerializable but its {@code List<Request>} carries no Jackson type
   * information, so it cannot be deserialized (reported; harmless while the writer is PollInbox's local child).
   * Events and state stay verified.
   */
  private void useBatchKit() {
    kit = kitWith(settings(), EventSourcedBehaviorTestKit.enabledSerializationSettings()
        .withVerifyEquality(true)
        .withVerifyState(false)
        .withVerifyCommands(false));
  }

  // ------------------------------------------------------------------------------------------------ helpers

  /** An organizer's create request; every test starts from the lunch poll and changes what it is about. */
  private record Spec(
      String question, List<String> options, Kind kind, Integer maxChoices, boolean allowVoteChange,
      Instant closesAt, Audience audience, String owner) {

    static Spec lunch() {
      return new Spec(QUESTION, LUNCH, null, null, false, null, null, OWNER);
    }

    Spec withQuestion(String question) {
      return new Spec(question, options, kind, maxChoices, allowVoteChange, closesAt, audience, owner);
    }

    Spec withOptions(List<String> options) {
      return new Spec(question, options, kind, maxChoices, allowVoteChange, closesAt, audience, owner);
    }

    Spec withKind(Kind kind, Integer maxChoices) {
      return new Spec(question, options, kind, maxChoices, allowVoteChange, closesAt, audience, owner);
    }

    Spec allowingVoteChange() {
      return new Spec(question, options, kind, maxChoices, true, closesAt, audience, owner);
    }

    Spec closingAt(Instant closesAt) {
      return new Spec(question, options, kind, maxChoices, allowVoteChange, closesAt, audience, owner);
    }

    Spec withAudience(Audience audience) {
      return new Spec(question, options, kind, maxChoices, allowVoteChange, closesAt, audience, owner);
    }

    Spec invitedOnly() {
      return withAudience(Audience.INVITED);
    }

    Spec ownedBy(String owner) {
      return new Spec(question, options, kind, maxChoices, allowVoteChange, closesAt, audience, owner);
    }

    Poll.Create toCommand(ActorRef<Poll.Reply> replyTo) {
      return new Poll.Create(
          new PollDraft(question, options, kind, maxChoices, allowVoteChange, closesAt, audience, owner), replyTo);
    }
  }

  /** The definition of a public poll owned by {@link #OWNER} and created at {@link #START}. */
  private static PollDefinition definition(
      String question, List<String> options, Kind kind, int maxChoices, boolean allowVoteChange, Instant closesAt) {
    return definition(question, options, kind, maxChoices, allowVoteChange, closesAt, Audience.PUBLIC, OWNER);
  }

  private static PollDefinition definition(
      String question, List<String> options, Kind kind, int maxChoices, boolean allowVoteChange, Instant closesAt,
      Audience audience, String owner) {
    return new PollDefinition(
        question, options, kind, maxChoices, allowVoteChange, START, closesAt, audience, owner);
  }

  private CommandResultWithReply<Poll.Command, Poll.Event, Poll.State, Poll.Reply> run(
      Function<ActorRef<Poll.Reply>, Poll.Command> command) {
    return kit.runCommand(command);
  }

  private CommandResultWithReply<Poll.Command, Poll.Event, Poll.State, Poll.Reply> create(Spec spec) {
    return run(spec::toCommand);
  }

  /** Creates the poll and checks it was created, so a later failure is about the rule under test. */
  private void created(Spec spec) {
    var result = create(spec);
    assertInstanceOf(Poll.Accepted.class, result.reply(), () -> "creating " + spec);
    assertInstanceOf(Poll.PollCreated.class, result.event());
  }

  private CommandResultWithReply<Poll.Command, Poll.Event, Poll.State, Poll.Reply> cast(
      String voterId, Integer... choices) {
    return castList(voterId, Arrays.asList(choices));
  }

  private CommandResultWithReply<Poll.Command, Poll.Event, Poll.State, Poll.Reply> castList(
      String voterId, List<Integer> choices) {
    return castInvited(null, voterId, choices);
  }

  /** A ballot of a voter whose invite is for {@code invitedTo} (null: a voter of the general public). */
  private CommandResultWithReply<Poll.Command, Poll.Event, Poll.State, Poll.Reply> castInvited(
      String invitedTo, String voterId, List<Integer> choices) {
    return run(replyTo -> new Poll.CastBallot(voterId, choices, invitedTo, replyTo));
  }

  private CommandResultWithReply<Poll.Command, Poll.Event, Poll.State, Poll.Reply> retract(String voterId) {
    return run(replyTo -> new Poll.RetractBallot(voterId, replyTo));
  }

  /** Closed by the poll's owner, as an organizer closes their own poll. */
  private CommandResultWithReply<Poll.Command, Poll.Event, Poll.State, Poll.Reply> close() {
    return close(BY_OWNER);
  }

  private CommandResultWithReply<Poll.Command, Poll.Event, Poll.State, Poll.Reply> close(Requester requester) {
    return run(replyTo -> new Poll.Close(requester, replyTo));
  }

  private CommandResultWithReply<Poll.Command, Poll.Event, Poll.State, Poll.Reply> invite(
      Requester requester, int count) {
    return run(replyTo -> new Poll.Invite(requester, count, replyTo));
  }

  private CommandResultWithReply<Poll.Command, Poll.Event, Poll.State, Poll.Reply> get() {
    return run(Poll.Get::new);
  }

  private static PollView accepted(CommandResultWithReply<?, ?, ?, Poll.Reply> result) {
    return assertInstanceOf(Poll.Accepted.class, result.reply()).poll();
  }

  private static void assertRejected(
      Poll.Rejection expected, CommandResultWithReply<?, ?, ?, Poll.Reply> result) {
    Poll.Rejected rejected = assertInstanceOf(Poll.Rejected.class, result.reply());
    assertEquals(expected, rejected.reason(), rejected.detail());
    assertFalse(rejected.detail() == null || rejected.detail().isBlank(), "a rejection says why");
    assertTrue(result.hasNoEvents(), () -> "a rejection persists nothing, got " + result.events());
  }

  private static List<Long> votes(PollView view) {
    return view.options().stream().map(PollView.OptionView::votes).toList();
  }

  private static List<Long> counts(long... counts) {
    return Arrays.stream(counts).boxed().toList();
  }

  private Poll.Created state() {
    return assertInstanceOf(Poll.Created.class, kit.getState());
  }

  private static String repeat(char c, int times) {
    return String.valueOf(c).repeat(times);
  }

  private static List<String> labels(int count) {
    return IntStream.range(0, count).mapToObj(i -> "Option " + i).toList();
  }

  // ----------------------------------------------------------------------------------------------- creation

  @Test
  void createPersistsTheDefinitionWithDefaults() {
    var result = create(Spec.lunch());

    assertEquals(List.of(new Poll.PollCreated(pollId, definition(QUESTION, LUNCH, Kind.SINGLE, 1, false, null))),
        result.events());
    PollView view = accepted(result);
    assertEquals(pollId, view.id());
    assertEquals(QUESTION, view.question());
    assertEquals(Kind.SINGLE, view.kind());
    assertEquals(1, view.maxChoices());
    assertFalse(view.allowVoteChange());
    assertEquals(Audience.PUBLIC, view.audience(), "a poll is public unless drafted otherwise");
    assertEquals(OWNER, view.owner());
    assertEquals(PollView.OPEN, view.status());
    assertEquals(START, view.createdAt());
    assertNull(view.closesAt());
    assertNull(view.closedAt());
    assertEquals(List.of("Pizza", "Sushi", "Salad"),
        view.options().stream().map(PollView.OptionView::label).toList());
    assertEquals(List.of(0, 1, 2), view.options().stream().map(PollView.OptionView::index).toList());
    assertEquals(counts(0, 0, 0), votes(view));
    assertEquals(0, view.totalBallots());
    assertEquals(0, result.stateOfType(Poll.Created.class).ballots().size());
    // Without a closing time there is nothing to schedule; a tell would have preceded the reply.
    closingSchedule.expectNoMessage(Duration.ZERO);
  }

  @Test
  void invitedPollRecordsItsAudienceAndOwnerInDefinitionAndView() {
    var result = create(Spec.lunch().invitedOnly().ownedBy("oscar"));

    PollDefinition expected = definition(QUESTION, LUNCH, Kind.SINGLE, 1, false, null, Audience.INVITED, "oscar");
    assertEquals(List.of(new Poll.PollCreated(pollId, expected)), result.events());
    assertEquals(expected, result.stateOfType(Poll.Created.class).definition());
    PollView view = accepted(result);
    assertEquals(Audience.INVITED, view.audience());
    assertEquals("oscar", view.owner());
    // Every later reply shows them too, also after recovery.
    PollView read = accepted(get());
    assertEquals(Audience.INVITED, read.audience());
    assertEquals("oscar", read.owner());
    Poll.Created recovered = assertInstanceOf(Poll.Created.class, kit.restart().state());
    assertEquals(expected, recovered.definition());
  }

  @Test
  void pollWithoutAnOwnerIsInvalidAndTheIdStaysFree() {
    var missing = create(Spec.lunch().ownedBy(null));
    assertRejected(Poll.Rejection.INVALID_POLL, missing);
    assertTrue(assertInstanceOf(Poll.Rejected.class, missing.reply()).detail().contains("owner"),
        () -> "the rejection names the owner: " + missing.reply());
    assertRejected(Poll.Rejection.INVALID_POLL, create(Spec.lunch().ownedBy("   ")));
    assertInstanceOf(Poll.Blank.class, kit.getState());
    created(Spec.lunch());
  }

  static Stream<Arguments> invalidPolls() {
    List<String> withNull = Arrays.asList("Pizza", null);
    return Stream.of(
        named("null question", Spec.lunch().withQuestion(null)),
        named("empty question", Spec.lunch().withQuestion("")),
        named("blank question", Spec.lunch().withQuestion(" \t ")),
        named("501-char question", Spec.lunch().withQuestion(repeat('q', 501))),
        named("question with a newline", Spec.lunch().withQuestion("Where do\nwe eat?")),
        named("question with a BEL", Spec.lunch().withQuestion("Where\u0007?")),
        named("null options", Spec.lunch().withOptions(null)),
        named("no options", Spec.lunch().withOptions(List.of())),
        named("one option", Spec.lunch().withOptions(List.of("Pizza"))),
        named("33 options", Spec.lunch().withOptions(labels(33))),
        named("null option label", Spec.lunch().withOptions(withNull)),
        named("empty option label", Spec.lunch().withOptions(List.of("Pizza", ""))),
        named("blank option label", Spec.lunch().withOptions(List.of("Pizza", "   "))),
        named("201-char option label", Spec.lunch().withOptions(List.of("Pizza", repeat('o', 201)))),
        named("option label with a tab", Spec.lunch().withOptions(List.of("Pizza", "Su\tshi"))),
        named("duplicate option labels", Spec.lunch().withOptions(List.of("Pizza", "Sushi", "Pizza"))),
        named("case-insensitive duplicate labels", Spec.lunch().withOptions(List.of("Pizza", "PIZZA"))),
        named("duplicate labels after trimming", Spec.lunch().withOptions(List.of("Pizza", " pizza "))),
        named("single with maxChoices 2", Spec.lunch().withKind(Kind.SINGLE, 2)),
        named("single with maxChoices 0", Spec.lunch().withKind(Kind.SINGLE, 0)),
        named("default kind with maxChoices 2", Spec.lunch().withKind(null, 2)),
        named("multiple with maxChoices 0", Spec.lunch().withKind(Kind.MULTIPLE, 0)),
        named("multiple with maxChoices -1", Spec.lunch().withKind(Kind.MULTIPLE, -1)),
        named("multiple with maxChoices options+1", Spec.lunch().withKind(Kind.MULTIPLE, 4)),
        named("closesAt now", Spec.lunch().closingAt(START)),
        named("closesAt in the past", Spec.lunch().closingAt(START.minusSeconds(1))),
        named("null owner", Spec.lunch().ownedBy(null)),
        named("empty owner", Spec.lunch().ownedBy("")),
        named("blank owner", Spec.lunch().ownedBy(" \t ")),
        named("invited poll without an owner", Spec.lunch().invitedOnly().ownedBy(null)))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidPolls")
  void invalidPollIsRejectedAndNothingPersisted(Spec spec) {
    var result = create(spec);

    assertRejected(Poll.Rejection.INVALID_POLL, result);
    assertInstanceOf(Poll.Blank.class, result.state());
    // A refused create leaves the id free for a valid one.
    assertInstanceOf(Poll.Accepted.class, create(Spec.lunch()).reply());
  }

  static Stream<Arguments> boundaryPolls() {
    String q500 = repeat('q', 500);
    String l200 = repeat('l', 200);
    return Stream.of(
        Arguments.of(named("500-char question", Spec.lunch().withQuestion(q500)),
            definition(q500, LUNCH, Kind.SINGLE, 1, false, null)),
        Arguments.of(named("question is trimmed", Spec.lunch().withQuestion("  Where do we eat?  ")),
            definition(QUESTION, LUNCH, Kind.SINGLE, 1, false, null)),
        Arguments.of(named("two options", Spec.lunch().withOptions(List.of("Yes", "No"))),
            definition(QUESTION, List.of("Yes", "No"), Kind.SINGLE, 1, false, null)),
        Arguments.of(named("32 options", Spec.lunch().withOptions(labels(32))),
            definition(QUESTION, labels(32), Kind.SINGLE, 1, false, null)),
        Arguments.of(named("1-char and 200-char labels", Spec.lunch().withOptions(List.of("A", l200))),
            definition(QUESTION, List.of("A", l200), Kind.SINGLE, 1, false, null)),
        Arguments.of(named("labels are trimmed", Spec.lunch().withOptions(List.of(" Pizza", "Sushi "))),
            definition(QUESTION, List.of("Pizza", "Sushi"), Kind.SINGLE, 1, false, null)),
        Arguments.of(named("single with maxChoices 1", Spec.lunch().withKind(Kind.SINGLE, 1)),
            definition(QUESTION, LUNCH, Kind.SINGLE, 1, false, null)),
        Arguments.of(named("multiple without maxChoices", Spec.lunch().withKind(Kind.MULTIPLE, null)),
            definition(QUESTION, LUNCH, Kind.MULTIPLE, 3, false, null)),
        Arguments.of(named("multiple with maxChoices 1", Spec.lunch().withKind(Kind.MULTIPLE, 1)),
            definition(QUESTION, LUNCH, Kind.MULTIPLE, 1, false, null)),
        Arguments.of(named("multiple with maxChoices = options", Spec.lunch().withKind(Kind.MULTIPLE, 3)),
            definition(QUESTION, LUNCH, Kind.MULTIPLE, 3, false, null)),
        Arguments.of(named("allowVoteChange", Spec.lunch().allowingVoteChange()),
            definition(QUESTION, LUNCH, Kind.SINGLE, 1, true, null)),
        Arguments.of(named("closesAt just after now", Spec.lunch().closingAt(START.plusMillis(1))),
            definition(QUESTION, LUNCH, Kind.SINGLE, 1, false, START.plusMillis(1))),
        Arguments.of(named("explicitly public", Spec.lunch().withAudience(Audience.PUBLIC)),
            definition(QUESTION, LUNCH, Kind.SINGLE, 1, false, null, Audience.PUBLIC, OWNER)),
        Arguments.of(named("invited only", Spec.lunch().invitedOnly()),
            definition(QUESTION, LUNCH, Kind.SINGLE, 1, false, null, Audience.INVITED, OWNER)),
        Arguments.of(named("1-char owner", Spec.lunch().ownedBy("o")),
            definition(QUESTION, LUNCH, Kind.SINGLE, 1, false, null, Audience.PUBLIC, "o")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("boundaryPolls")
  void pollAtTheLimitsIsCreated(Spec spec, PollDefinition expected) {
    var result = create(spec);

    assertEquals(List.of(new Poll.PollCreated(pollId, expected)), result.events());
    PollView view = accepted(result);
    assertEquals(expected.question(), view.question());
    assertEquals(expected.kind(), view.kind());
    assertEquals(expected.maxChoices(), view.maxChoices());
    assertEquals(expected.allowVoteChange(), view.allowVoteChange());
    assertEquals(expected.closesAt(), view.closesAt());
    assertEquals(expected.audience(), view.audience());
    assertEquals(expected.owner(), view.owner());
    assertEquals(expected.options().size(), view.options().size());
    assertEquals(expected, result.stateOfType(Poll.Created.class).definition());
  }

  @Test
  void creatingAnExistingPollIsRejected() {
    created(Spec.lunch());

    var again = create(Spec.lunch().withQuestion("Something else?").withOptions(List.of("A", "B")));

    assertRejected(Poll.Rejection.POLL_EXISTS, again);
    assertEquals(QUESTION, again.stateOfType(Poll.Created.class).definition().question());
  }

  static Stream<Arguments> requestsOtherThanCreate() {
    return Stream.<Function<ActorRef<Poll.Reply>, Poll.Command>>of(
            replyTo -> new Poll.Get(replyTo),
            replyTo -> new Poll.CastBallot("alice", List.of(0), null, replyTo),
            replyTo -> new Poll.RetractBallot("alice", replyTo),
            replyTo -> new Poll.Close(BY_OWNER, replyTo),
            replyTo -> new Poll.Invite(BY_OWNER, 1, replyTo))
        .map(request -> Arguments.of(named(request.apply(null).getClass().getSimpleName(), request)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requestsOtherThanCreate")
  void anyRequestToAPollNeverCreatedIsUnknown(Function<ActorRef<Poll.Reply>, Poll.Command> request) {
    var result = run(request);

    assertRejected(Poll.Rejection.UNKNOWN_POLL, result);
    assertInstanceOf(Poll.Blank.class, result.state());
  }

  // ------------------------------------------------------------------------------------------------ ballots

  @Test
  void firstBallotIsCastAndCounted() {
    created(Spec.lunch());
    clock.advance(Duration.ofSeconds(3));

    var result = cast("alice", 1);

    assertEquals(List.of(ballots(START.plusSeconds(3), Poll.BallotChange.cast("alice", List.of(1)))), result.events());
    PollView view = accepted(result);
    assertEquals(counts(0, 1, 0), votes(view));
    assertEquals(1, view.totalBallots());
    assertEquals(Optional.of(List.of(1)), result.stateOfType(Poll.Created.class).ballots().ballotOf("alice"));
    assertEquals(new Tally.Choices(counts(0, 1, 0), 1), result.stateOfType(Poll.Created.class).tally());
  }

  @Test
  void multipleChoiceBallotIsStoredInAscendingOrder() {
    created(Spec.lunch().withOptions(FOUR).withKind(Kind.MULTIPLE, 2));

    var result = cast("alice", 3, 0);

    assertEquals(List.of(ballots(START, Poll.BallotChange.cast("alice", List.of(0, 3)))), result.events());
    PollView view = accepted(result);
    assertEquals(counts(1, 0, 0, 1), votes(view));
    assertEquals(1, view.totalBallots());
  }

  @Test
  void multipleChoiceWithoutMaxTakesAnyNumberUpToAllOptions() {
    created(Spec.lunch().withOptions(FOUR).withKind(Kind.MULTIPLE, null));

    assertEquals(counts(1, 1, 1, 1), votes(accepted(cast("alice", 2, 0, 3, 1))));
    assertEquals(counts(2, 1, 1, 1), votes(accepted(cast("bob", 0))));
    assertEquals(2, state().tally().totalBallots());
  }

  static Stream<Arguments> invalidVoterIds() {
    return Stream.of(
        named("null", (String) null),
        named("empty", ""),
        named("129 chars", repeat('v', 129)),
        named("space", "alice smith"),
        named("slash", "alice/1"),
        named("unicode letter", "zoë"),
        named("unicode digit", "user\u0663"),
        named("newline", "alice\n"),
        named("at sign", "alice@example.org"))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidVoterIds")
  void invalidVoterIdIsRejected(String voterId) {
    created(Spec.lunch());

    var result = cast(voterId, 0);

    assertRejected(Poll.Rejection.INVALID_BALLOT, result);
    assertEquals(Tally.Choices.empty(3), result.stateOfType(Poll.Created.class).tally());
  }

  @Test
  void voterIdsAtTheLimitsAreAccepted() {
    created(Spec.lunch());
    String longest = repeat('v', 128);

    assertInstanceOf(Poll.BallotsRecorded.class, cast("x", 0).event());
    assertInstanceOf(Poll.BallotsRecorded.class, cast(longest, 1).event());
    assertInstanceOf(Poll.BallotsRecorded.class, cast("Az09._:-", 2).event());

    assertEquals(Optional.of(List.of(1)), state().ballots().ballotOf(longest));
    assertEquals(3, state().tally().totalBallots());
  }

  static Stream<Arguments> invalidSingleChoices() {
    return Stream.of(
        named("null", (List<Integer>) null),
        named("empty", List.<Integer>of()),
        named("two choices", List.of(0, 1)),
        named("same choice twice", List.of(1, 1)),
        named("negative", List.of(-1)),
        named("out of range", List.of(3)),
        named("null choice", Collections.<Integer>singletonList(null)))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidSingleChoices")
  void invalidChoicesOnASingleChoicePollAreRejected(List<Integer> choices) {
    created(Spec.lunch());

    var result = castList("alice", choices);

    assertRejected(Poll.Rejection.INVALID_BALLOT, result);
    assertEquals(0, result.stateOfType(Poll.Created.class).ballots().size());
  }

  static Stream<Arguments> invalidMultipleChoices() {
    return Stream.of(
        named("null", (List<Integer>) null),
        named("empty", List.<Integer>of()),
        named("more than maxChoices", List.of(0, 1, 2)),
        named("duplicate", List.of(2, 2)),
        named("negative", List.of(0, -1)),
        named("out of range", List.of(1, 4)),
        named("null choice", Arrays.asList(0, null)))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidMultipleChoices")
  void invalidChoicesOnAMultipleChoicePollAreRejected(List<Integer> choices) {
    created(Spec.lunch().withOptions(FOUR).withKind(Kind.MULTIPLE, 2));

    var result = castList("alice", choices);

    assertRejected(Poll.Rejection.INVALID_BALLOT, result);
    assertEquals(Tally.Choices.empty(4), result.stateOfType(Poll.Created.class).tally());
  }

  @Test
  void identicalResendIsAcknowledgedAndCountedOnce() {
    created(Spec.lunch());
    cast("alice", 1);
    clock.advance(Duration.ofSeconds(1));

    var resend = cast("alice", 1);

    assertTrue(resend.hasNoEvents(), () -> "a retry must not be stored again: " + resend.events());
    PollView view = accepted(resend);
    assertEquals(counts(0, 1, 0), votes(view));
    assertEquals(1, view.totalBallots());
  }

  @Test
  void identicalMultipleChoiceResendInAnotherOrderIsCountedOnce() {
    created(Spec.lunch().withOptions(FOUR).withKind(Kind.MULTIPLE, 3));
    cast("alice", 2, 0);

    var resend = cast("alice", 0, 2);

    assertTrue(resend.hasNoEvents(), () -> "a retry must not be stored again: " + resend.events());
    assertEquals(counts(1, 0, 1, 0), votes(accepted(resend)));
    assertEquals(1, accepted(resend).totalBallots());
  }

  @Test
  void differentBallotWithoutVoteChangeIsAlreadyVoted() {
    created(Spec.lunch());
    cast("alice", 0);

    var result = cast("alice", 2);

    assertRejected(Poll.Rejection.ALREADY_VOTED, result);
    Poll.Created state = result.stateOfType(Poll.Created.class);
    assertEquals(Optional.of(List.of(0)), state.ballots().ballotOf("alice"));
    assertEquals(new Tally.Choices(counts(1, 0, 0), 1), state.tally());
  }

  @Test
  void subsetOfAMultipleChoiceBallotIsADifferentBallot() {
    created(Spec.lunch().withOptions(FOUR).withKind(Kind.MULTIPLE, 2));
    cast("alice", 0, 1);

    assertRejected(Poll.Rejection.ALREADY_VOTED, cast("alice", 0));
    assertEquals(new Tally.Choices(counts(1, 1, 0, 0), 1), state().tally());
  }

  @Test
  void changedBallotMovesTheTally() {
    created(Spec.lunch().allowingVoteChange());
    cast("alice", 0);
    cast("bob", 0);
    clock.advance(Duration.ofMinutes(2));

    var result = cast("alice", 2);

    assertEquals(
        List.of(ballots(START.plus(Duration.ofMinutes(2)), Poll.BallotChange.changed("alice", List.of(0), List.of(2)))),
        result.events());
    PollView view = accepted(result);
    assertEquals(counts(1, 0, 1), votes(view));
    assertEquals(2, view.totalBallots());
    assertEquals(Optional.of(List.of(2)), result.stateOfType(Poll.Created.class).ballots().ballotOf("alice"));
  }

  @Test
  void changedMultipleChoiceBallotRecordsBothSides() {
    created(Spec.lunch().withOptions(FOUR).withKind(Kind.MULTIPLE, 2).allowingVoteChange());
    cast("alice", 1, 0);

    var result = cast("alice", 3, 1);

    assertEquals(List.of(ballots(START, Poll.BallotChange.changed("alice", List.of(0, 1), List.of(1, 3)))),
        result.events());
    assertEquals(counts(0, 1, 0, 1), votes(accepted(result)));
    assertEquals(1, accepted(result).totalBallots());
  }

  /** Created under an idempotency key: a repeat is answered with the poll, even once it is closed. */
  @Test
  void aRepeatableCreateOfAnExistingPollByItsOwnerIsAcceptedWithThePoll() {
    Poll.Create first = Spec.lunch().toCommand(null);
    var created = run(replyTo -> new Poll.Create(first.draft(), replyTo, true));
    assertInstanceOf(Poll.Accepted.class, created.reply());
    close();

    var repeat = run(replyTo -> new Poll.Create(first.draft(), replyTo, true));

    assertTrue(repeat.hasNoEvents());
    assertEquals(accepted(created).id(), accepted(repeat).id());
    assertEquals(PollView.CLOSED, accepted(repeat).status());
    assertRejected(Poll.Rejection.POLL_EXISTS,
        run(replyTo -> new Poll.Create(Spec.lunch().withQuestion("Other?").toCommand(null).draft(), replyTo, true)));
    assertRejected(Poll.Rejection.POLL_EXISTS,
        run(replyTo -> new Poll.Create(Spec.lunch().ownedBy("mallory").toCommand(null).draft(), replyTo, true)));
    assertRejected(Poll.Rejection.POLL_EXISTS, run(replyTo -> new Poll.Create(first.draft(), replyTo)));
  }

  // ------------------------------------------------------------------------------------------- late changes

  /** A numbered ballot of a single-choice poll, without a deadline. */
  private CommandResultWithReply<Poll.Command, Poll.Event, Poll.State, Poll.Reply> castNumbered(
      String voterId, long seq, int choice) {
    return run(replyTo -> new Poll.CastBallot(voterId, Ballot.ofChoices(List.of(choice)), null,
        new Poll.Freshness(seq, null), replyTo));
  }

  /**
   * The interleaving of issue 16: the voter's ballot 1 times out at the edge, the voter sends ballot 2 and it is
   * counted, then ballot 1 (or the edge's retry of it) reaches the poll. It must not overwrite ballot 2, and still
   * not after the poll is recovered from its journal.
   */
  @Test
  void aLateOlderBallotNeverOverwritesTheVotersNewerOne() {
    created(Spec.lunch().allowingVoteChange());
    castNumbered("alice", 1, 0);
    var newer = castNumbered("alice", 3, 2);
    assertEquals(List.of(ballots(START, Poll.BallotChange.changed("alice", List.of(0), List.of(2)).numbered(3L))),
        newer.events());

    var late = castNumbered("alice", 2, 1);

    assertRejected(Poll.Rejection.STALE_BALLOT, late);
    assertEquals(Optional.of(List.of(2)), late.stateOfType(Poll.Created.class).ballots().ballotOf("alice"));
    assertEquals(counts(0, 0, 1), votes(accepted(get())));
    // a re-send of the newer ballot is still acknowledged and counted once; the voter may go on changing
    assertTrue(castNumbered("alice", 3, 2).hasNoEvents());
    assertEquals(counts(0, 1, 0), votes(accepted(castNumbered("alice", 4, 1))));

    kit.restart();
    assertRejected(Poll.Rejection.STALE_BALLOT, castNumbered("alice", 3, 2));
    assertEquals(counts(0, 1, 0), votes(accepted(get())));
  }

  @Test
  void aLateBallotDoesNotUndoARetractionNorCountInTheNextRound() {
    created(Spec.lunch().allowingVoteChange());
    castNumbered("alice", 10, 0);
    assertInstanceOf(Poll.Accepted.class,
        run(replyTo -> new Poll.RetractBallot("alice", new Poll.Freshness(12L, null), replyTo)).reply());

    assertRejected(Poll.Rejection.STALE_BALLOT, castNumbered("alice", 11, 1));
    assertRejected(Poll.Rejection.STALE_BALLOT,
        run(replyTo -> new Poll.RetractBallot("alice", new Poll.Freshness(11L, null), replyTo)));
    assertInstanceOf(Poll.Accepted.class, run(replyTo -> new Poll.NextRound(BY_OWNER, replyTo)).reply());
    assertRejected(Poll.Rejection.STALE_BALLOT, castNumbered("alice", 11, 1));
    assertEquals(counts(0, 0, 1), votes(accepted(castNumbered("alice", 13, 2))));
  }

  /** Unnumbered ballots (older clients) change a vote as before, and numbered ones may follow them. */
  @Test
  void unnumberedBallotsChangeAVoteAsBefore() {
    created(Spec.lunch().allowingVoteChange());
    castNumbered("alice", 5, 0);
    assertEquals(counts(0, 1, 0), votes(accepted(cast("alice", 1))));
    assertEquals(counts(0, 0, 1), votes(accepted(castNumbered("alice", 6, 2))));
  }

  /** The edge gave up on the request at its deadline (and answered 503): reaching the poll later, it counts not. */
  @Test
  void aBallotArrivingAfterItsDeadlineIsRefusedUnlessItIsAlreadyCounted() {
    created(Spec.lunch().allowingVoteChange());
    castNumbered("alice", 1, 0);
    Instant deadline = START.plusSeconds(10);
    clock.advance(Duration.ofSeconds(11));

    var expired = run(replyTo -> new Poll.CastBallot("alice", Ballot.ofChoices(List.of(2)), null,
        new Poll.Freshness(2L, deadline), replyTo));
    assertRejected(Poll.Rejection.EXPIRED, expired);
    assertRejected(Poll.Rejection.EXPIRED,
        run(replyTo -> new Poll.RetractBallot("alice", new Poll.Freshness(null, deadline), replyTo)));
    // an identical late re-send changes nothing, so it is acknowledged like any retry
    assertInstanceOf(Poll.Accepted.class, run(replyTo -> new Poll.CastBallot("alice", Ballot.ofChoices(List.of(0)),
        null, new Poll.Freshness(1L, deadline), replyTo)).reply());
    assertEquals(counts(1, 0, 0), votes(accepted(get())));
  }

  // ------------------------------------------------------------------------------------------------ retract

  @Test
  void retractWithoutVoteChangeIsNotAllowed() {
    created(Spec.lunch());
    cast("alice", 0);

    var result = retract("alice");

    assertRejected(Poll.Rejection.VOTE_CHANGE_NOT_ALLOWED, result);
    assertEquals(new Tally.Choices(counts(1, 0, 0), 1), result.stateOfType(Poll.Created.class).tally());
  }

  @Test
  void retractOfAVoterWithoutBallotIsNoSuchBallot() {
    created(Spec.lunch().allowingVoteChange());
    cast("alice", 0);

    assertRejected(Poll.Rejection.NO_SUCH_BALLOT, retract("bob"));
    assertEquals(new Tally.Choices(counts(1, 0, 0), 1), state().tally());
  }

  @Test
  void retractWithAnInvalidVoterIdIsInvalidBallot() {
    created(Spec.lunch().allowingVoteChange());

    assertRejected(Poll.Rejection.INVALID_BALLOT, retract("not a voter"));
  }

  @Test
  void retractRemovesTheBallotAndTheVoterMayVoteAgain() {
    created(Spec.lunch().allowingVoteChange());
    cast("alice", 1);
    cast("bob", 1);
    clock.advance(Duration.ofSeconds(30));

    var retracted = retract("alice");

    assertEquals(List.of(ballots(START.plusSeconds(30), Poll.BallotChange.retracted("alice", List.of(1)))),
        retracted.events());
    assertEquals(counts(0, 1, 0), votes(accepted(retracted)));
    assertEquals(1, accepted(retracted).totalBallots());
    assertEquals(Optional.empty(), retracted.stateOfType(Poll.Created.class).ballots().ballotOf("alice"));

    assertRejected(Poll.Rejection.NO_SUCH_BALLOT, retract("alice"));

    var again = cast("alice", 2);
    assertEquals(List.of(ballots(START.plusSeconds(30), Poll.BallotChange.cast("alice", List.of(2)))), again.events());
    assertEquals(counts(0, 1, 1), votes(accepted(again)));
    assertEquals(2, accepted(again).totalBallots());
  }

  // -------------------------------------------------------------------------------------------------- close

  @Test
  void closeStopsTheBallotsAndIsIdempotent() {
    created(Spec.lunch());
    cast("alice", 1);
    clock.advance(Duration.ofSeconds(5));
    Instant closedAt = START.plusSeconds(5);

    var closed = close();

    assertEquals(List.of(new Poll.PollClosed(pollId, closedAt)), closed.events());
    PollView view = accepted(closed);
    assertEquals(PollView.CLOSED, view.status());
    assertEquals(closedAt, view.closedAt());
    assertEquals(closedAt, closed.stateOfType(Poll.Created.class).closedAt());

    clock.advance(Duration.ofSeconds(5));
    var again = close();
    assertTrue(again.hasNoEvents(), () -> "closing twice stores nothing: " + again.events());
    assertEquals(closedAt, accepted(again).closedAt());

    assertRejected(Poll.Rejection.POLL_CLOSED, cast("bob", 0));
    assertRejected(Poll.Rejection.POLL_CLOSED, cast("alice", 2));
    // The re-send check on a closed poll must not trip over garbage the open poll would have refused.
    assertRejected(Poll.Rejection.POLL_CLOSED, cast(null, 1));
    assertRejected(Poll.Rejection.POLL_CLOSED, castList("alice", null));
    assertRejected(Poll.Rejection.POLL_EXISTS, create(Spec.lunch()));
    PollView afterwards = accepted(get());
    assertEquals(PollView.CLOSED, afterwards.status());
    assertEquals(counts(0, 1, 0), votes(afterwards));
  }

  @Test
  void closeByTheOwnerClosesThePoll() {
    created(Spec.lunch().ownedBy("oscar"));
    clock.advance(Duration.ofSeconds(7));

    var closed = close(new Requester("oscar", false));

    assertEquals(List.of(new Poll.PollClosed(pollId, START.plusSeconds(7))), closed.events());
    assertEquals(PollView.CLOSED, accepted(closed).status());
  }

  @Test
  void closeByAnAdminClosesAPollOwnedBySomeoneElse() {
    created(Spec.lunch().invitedOnly());
    clock.advance(Duration.ofSeconds(7));

    var closed = close(ADMIN);

    assertEquals(List.of(new Poll.PollClosed(pollId, START.plusSeconds(7))), closed.events());
    PollView view = accepted(closed);
    assertEquals(PollView.CLOSED, view.status());
    assertEquals(OWNER, view.owner(), "an admin's close does not change who owns the poll");
  }

  static Stream<Arguments> otherOrganizers() {
    return Stream.of(
        named("another organizer", STRANGER),
        named("an organizer whose name starts with the owner's", new Requester(OWNER + "-2", false)),
        named("no name", new Requester(null, false)))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("otherOrganizers")
  void closeByAnotherOrganizerIsForbiddenAndStoresNothing(Requester other) {
    created(Spec.lunch());
    cast("alice", 1);

    var result = close(other);

    assertRejected(Poll.Rejection.FORBIDDEN, result);
    assertNull(result.stateOfType(Poll.Created.class).closedAt());
    assertEquals(PollView.OPEN, accepted(get()).status());
    // The poll still takes ballots.
    assertEquals(List.of(ballots(START, Poll.BallotChange.cast("bob", List.of(0)))), cast("bob", 0).events());
  }

  @Test
  void closingAClosedPollIsForbiddenToOthersAndAcceptedForTheOwnerAndAnAdmin() {
    created(Spec.lunch());
    clock.advance(Duration.ofSeconds(5));
    Instant closedAt = START.plusSeconds(5);
    close();
    clock.advance(Duration.ofSeconds(5));

    assertRejected(Poll.Rejection.FORBIDDEN, close(STRANGER));

    var byOwner = close(BY_OWNER);
    assertTrue(byOwner.hasNoEvents(), () -> "closing twice stores nothing: " + byOwner.events());
    assertEquals(closedAt, accepted(byOwner).closedAt());
    var byAdmin = close(ADMIN);
    assertTrue(byAdmin.hasNoEvents(), () -> "closing twice stores nothing: " + byAdmin.events());
    assertEquals(closedAt, accepted(byAdmin).closedAt());
    assertEquals(closedAt, state().closedAt());
  }

  // ------------------------------------------------------------------------------------------------ invites

  @Test
  void inviteByTheOwnerOfAnInvitedPollIsAcceptedAndStoresNothing() {
    created(Spec.lunch().invitedOnly());
    castInvited(pollId, "alice", List.of(2));
    Poll.State before = kit.getState();

    var result = invite(BY_OWNER, 25);

    assertTrue(result.hasNoEvents(), () -> "an invite persists nothing: " + result.events());
    assertEquals(before, result.state());
    PollView view = accepted(result);
    assertEquals(pollId, view.id());
    assertEquals(Audience.INVITED, view.audience());
    assertEquals(PollView.OPEN, view.status());
    assertEquals(counts(0, 0, 1), votes(view));
    assertEquals(accepted(get()), view);
  }

  @Test
  void inviteByAnAdminIsAccepted() {
    created(Spec.lunch().invitedOnly());

    var result = invite(ADMIN, 3);

    assertTrue(result.hasNoEvents(), () -> "an invite persists nothing: " + result.events());
    assertEquals(OWNER, accepted(result).owner());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("otherOrganizers")
  void inviteByAnotherOrganizerIsForbidden(Requester other) {
    created(Spec.lunch().invitedOnly());

    assertRejected(Poll.Rejection.FORBIDDEN, invite(other, 1));
  }

  @ParameterizedTest(name = "count {0}")
  @MethodSource("inviteCountsAtTheLimits")
  void inviteCountAtTheLimitsIsAccepted(int count) {
    created(Spec.lunch().invitedOnly());

    var result = invite(BY_OWNER, count);

    assertTrue(result.hasNoEvents(), () -> "an invite persists nothing: " + result.events());
    assertEquals(pollId, accepted(result).id());
  }

  static Stream<Integer> inviteCountsAtTheLimits() {
    return Stream.of(1, MAX_INVITES);
  }

  @ParameterizedTest(name = "count {0}")
  @MethodSource("inviteCountsOutOfRange")
  void inviteCountOutOfRangeIsInvalidInvite(int count) {
    created(Spec.lunch().invitedOnly());

    assertRejected(Poll.Rejection.INVALID_INVITE, invite(BY_OWNER, count));
    assertRejected(Poll.Rejection.INVALID_INVITE, invite(ADMIN, count));
  }

  static Stream<Integer> inviteCountsOutOfRange() {
    return Stream.of(0, -1, MAX_INVITES + 1, Integer.MAX_VALUE, Integer.MIN_VALUE);
  }

  @Test
  void inviteToAPublicPollIsInvalidInvite() {
    created(Spec.lunch());

    assertRejected(Poll.Rejection.INVALID_INVITE, invite(BY_OWNER, 1));
    assertRejected(Poll.Rejection.INVALID_INVITE, invite(ADMIN, 1));
  }

  @Test
  void inviteToAClosedPollIsPollClosed() {
    created(Spec.lunch().invitedOnly());
    close();

    assertRejected(Poll.Rejection.POLL_CLOSED, invite(BY_OWNER, 1));
    assertRejected(Poll.Rejection.POLL_CLOSED, invite(ADMIN, 1));
  }

  @Test
  void inviteAfterTheClosingTimeRecordsTheDueCloseAndIsPollClosed() {
    // Like any request past closesAt, the invite first persists the due close; the invite itself adds nothing.
    Instant closesAt = START.plus(Duration.ofMinutes(1));
    created(Spec.lunch().invitedOnly().closingAt(closesAt));
    clock.advance(Duration.ofMinutes(2));

    var result = invite(BY_OWNER, 1);

    assertEquals(List.of(new Poll.PollClosed(pollId, closesAt)), result.events());
    assertEquals(Poll.Rejection.POLL_CLOSED, assertInstanceOf(Poll.Rejected.class, result.reply()).reason());
  }

  // -------------------------------------------------------------------------------------------- invited poll

  @Test
  void ballotInvitedToThisPollIsCounted() {
    created(Spec.lunch().invitedOnly());
    clock.advance(Duration.ofSeconds(2));

    var result = castInvited(pollId, "alice", List.of(1));

    assertEquals(List.of(ballots(START.plusSeconds(2), Poll.BallotChange.cast("alice", List.of(1)))), result.events());
    assertEquals(counts(0, 1, 0), votes(accepted(result)));
    // An identical retry with the same invite is acknowledged and counted once, as on a public poll.
    var resend = castInvited(pollId, "alice", List.of(1));
    assertTrue(resend.hasNoEvents(), () -> "a retry must not be stored again: " + resend.events());
    assertEquals(1, accepted(resend).totalBallots());
  }

  static Stream<Arguments> invitesForOtherPolls() {
    return Stream.of(
        named("no invite", (Function<String, String>) id -> null),
        named("invite to another poll", (Function<String, String>) id -> PollId.newId()),
        named("empty invite", (Function<String, String>) id -> ""),
        named("this poll's id in upper case", (Function<String, String>) id -> id.toUpperCase(Locale.ROOT)),
        named("this poll's id with a suffix", (Function<String, String>) id -> id + "x"))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invitesForOtherPolls")
  void ballotWithoutAnInviteToThisPollIsNotInvited(Function<String, String> inviteFor) {
    created(Spec.lunch().invitedOnly().allowingVoteChange());
    castInvited(pollId, "alice", List.of(0));
    String invitedTo = inviteFor.apply(pollId);

    var stranger = castInvited(invitedTo, "bob", List.of(2));
    assertRejected(Poll.Rejection.NOT_INVITED, stranger);

    // Nor can an invited voter's ballot be changed by a request without the invite.
    assertRejected(Poll.Rejection.NOT_INVITED, castInvited(invitedTo, "alice", List.of(1)));
    Poll.Created state = state();
    assertEquals(new Tally.Choices(counts(1, 0, 0), 1), state.tally());
    assertEquals(Optional.empty(), state.ballots().ballotOf("bob"));
    assertEquals(Optional.of(List.of(0)), state.ballots().ballotOf("alice"));
  }

  static Stream<Arguments> anyInvite() {
    return Stream.of(
        named("no invite", (Function<String, String>) id -> null),
        named("invite to this poll", (Function<String, String>) id -> id),
        named("invite to another poll", (Function<String, String>) id -> PollId.newId()),
        named("empty invite", (Function<String, String>) id -> ""))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("anyInvite")
  void publicPollCountsBallotsWhateverTheirInvite(Function<String, String> inviteFor) {
    created(Spec.lunch());

    var result = castInvited(inviteFor.apply(pollId), "alice", List.of(2));

    assertEquals(List.of(ballots(START, Poll.BallotChange.cast("alice", List.of(2)))), result.events());
    assertEquals(counts(0, 0, 1), votes(accepted(result)));
  }

  @Test
  void identicalResendOfACountedBallotIsStillAcknowledgedAfterClose() {
    // Documented: a client that retries a ballot the poll already counted gets its acknowledgement even if the
    // poll closed in between, so a lost reply never looks like a lost vote.
    created(Spec.lunch().withOptions(FOUR).withKind(Kind.MULTIPLE, 2));
    cast("alice", 3, 1);
    close();

    var resend = cast("alice", 1, 3);

    assertTrue(resend.hasNoEvents(), () -> "a retry must not be stored again: " + resend.events());
    PollView view = accepted(resend);
    assertEquals(PollView.CLOSED, view.status());
    assertEquals(1, view.totalBallots());
  }

  @Test
  void retractOnAClosedPollIsPollClosed() {
    created(Spec.lunch().allowingVoteChange());
    cast("alice", 1);
    close();

    assertRejected(Poll.Rejection.POLL_CLOSED, retract("alice"));
    assertEquals(Optional.of(List.of(1)), state().ballots().ballotOf("alice"));
    assertEquals(1, state().tally().totalBallots());
  }

  // ---------------------------------------------------------------------------------------- scheduled close

  @Test
  void creationWithAClosingTimeRegistersWithTheClosingSchedule() {
    Instant closesAt = START.plus(Duration.ofMinutes(1));

    created(Spec.lunch().closingAt(closesAt));

    closingSchedule.expectMessage(new ClosingSchedule.Schedule(pollId, closesAt, null));
    assertEquals(closesAt, accepted(get()).closesAt());
  }

  @Test
  void requestAfterTheClosingTimePersistsTheCloseAtThatTime() {
    Instant closesAt = START.plus(Duration.ofMinutes(1));
    created(Spec.lunch().closingAt(closesAt));
    cast("alice", 2);
    clock.advance(Duration.ofSeconds(90));

    var result = get();

    assertEquals(List.of(new Poll.PollClosed(pollId, closesAt)), result.events());
    PollView view = accepted(result);
    assertEquals(PollView.CLOSED, view.status());
    assertEquals(closesAt, view.closedAt());
    assertEquals(1, view.totalBallots());

    var later = get();
    assertTrue(later.hasNoEvents(), () -> "the close is stored once: " + later.events());
    assertEquals(closesAt, accepted(later).closedAt());
  }

  @Test
  void ballotAfterTheClosingTimeClosesThePollAndIsRejected() {
    Instant closesAt = START.plus(Duration.ofMinutes(1));
    created(Spec.lunch().closingAt(closesAt));
    clock.advance(Duration.ofMinutes(2));

    var result = cast("bob", 0);

    assertEquals(List.of(new Poll.PollClosed(pollId, closesAt)), result.events());
    Poll.Rejected rejected = assertInstanceOf(Poll.Rejected.class, result.reply());
    assertEquals(Poll.Rejection.POLL_CLOSED, rejected.reason());
    Poll.Created state = result.stateOfType(Poll.Created.class);
    assertEquals(closesAt, state.closedAt());
    assertEquals(Tally.Choices.empty(3), state.tally());
  }

  @Test
  void closingTimeIsTheFirstInstantWithoutBallots() {
    Instant closesAt = START.plus(Duration.ofMinutes(1));
    created(Spec.lunch().closingAt(closesAt));

    clock.advance(Duration.ofMinutes(1).minusMillis(1));
    assertInstanceOf(Poll.BallotsRecorded.class, cast("alice", 0).event());

    clock.advance(Duration.ofMillis(1));
    var atClosingTime = cast("bob", 1);
    assertEquals(List.of(new Poll.PollClosed(pollId, closesAt)), atClosingTime.events());
    assertEquals(Poll.Rejection.POLL_CLOSED,
        assertInstanceOf(Poll.Rejected.class, atClosingTime.reply()).reason());
    assertEquals(new Tally.Choices(counts(1, 0, 0), 1), state().tally());
  }

  @Test
  void lateCloseFromTheScheduleRecordsTheClosingTimeNotNow() {
    Instant closesAt = START.plus(Duration.ofMinutes(1));
    created(Spec.lunch().closingAt(closesAt));
    cast("alice", 0);
    clock.advance(Duration.ofMinutes(10));

    var result = close(Requester.SCHEDULE);

    assertEquals(List.of(new Poll.PollClosed(pollId, closesAt)), result.events());
    assertEquals(closesAt, accepted(result).closedAt());
    // The ballot counted before the close is still acknowledged on retry.
    var resend = cast("alice", 0);
    assertTrue(resend.hasNoEvents());
    assertEquals(1, accepted(resend).totalBallots());
  }

  @Test
  void scheduleClosesAnInvitedPollOwnedBySomeoneElse() {
    // The schedule's clock may run a little ahead of the poll's: its close must not depend on the poll being due.
    Instant closesAt = START.plus(Duration.ofMinutes(1));
    created(Spec.lunch().invitedOnly().ownedBy("oscar").closingAt(closesAt));
    castInvited(pollId, "alice", List.of(0));
    clock.advance(Duration.ofSeconds(59));

    var result = close(Requester.SCHEDULE);

    assertEquals(List.of(new Poll.PollClosed(pollId, START.plusSeconds(59))), result.events());
    PollView view = accepted(result);
    assertEquals(PollView.CLOSED, view.status());
    assertEquals("oscar", view.owner());
    assertEquals(1, view.totalBallots());
  }

  @Test
  void lateScheduledCloseOfAnInvitedPollOwnedBySomeoneElseRecordsTheClosingTime() {
    Instant closesAt = START.plus(Duration.ofMinutes(1));
    created(Spec.lunch().invitedOnly().ownedBy("oscar").closingAt(closesAt));
    clock.advance(Duration.ofMinutes(10));

    var result = close(Requester.SCHEDULE);

    assertEquals(List.of(new Poll.PollClosed(pollId, closesAt)), result.events());
    assertEquals(closesAt, accepted(result).closedAt());
  }

  // ------------------------------------------------------------------------------------------------ restart

  @Test
  void stateSurvivesRecovery() {
    Instant closesAt = START.plus(Duration.ofHours(1));
    created(Spec.lunch().withOptions(FOUR).withKind(Kind.MULTIPLE, 2).allowingVoteChange().closingAt(closesAt));
    closingSchedule.expectMessage(new ClosingSchedule.Schedule(pollId, closesAt, null));
    cast("alice", 0, 1);
    cast("bob", 2);
    cast("carol", 3, 0);
    cast("bob", 1);
    retract("carol");
    clock.advance(Duration.ofMinutes(1));
    close();
    Poll.State before = kit.getState();

    var restarted = kit.restart();

    assertEquals(before, restarted.state());
    Poll.Created state = assertInstanceOf(Poll.Created.class, restarted.state());
    assertEquals(Optional.of(List.of(0, 1)), state.ballots().ballotOf("alice"));
    assertEquals(Optional.of(List.of(1)), state.ballots().ballotOf("bob"));
    assertEquals(Optional.empty(), state.ballots().ballotOf("carol"));
    assertEquals(new Tally.Choices(counts(1, 2, 0, 0), 2), state.tally());
    assertEquals(START.plus(Duration.ofMinutes(1)), state.closedAt());
    // A closed poll must not ask to be closed again; recovery signals before the restart returns.
    closingSchedule.expectNoMessage(Duration.ZERO);
    assertRejected(Poll.Rejection.POLL_CLOSED, cast("dave", 2));
    assertRejected(Poll.Rejection.POLL_CLOSED, cast("bob", 2));
  }

  @Test
  void openPollWithAClosingTimeReschedulesAfterRecovery() {
    Instant closesAt = START.plus(Duration.ofMinutes(5));
    created(Spec.lunch().closingAt(closesAt));
    closingSchedule.expectMessage(new ClosingSchedule.Schedule(pollId, closesAt, null));
    cast("alice", 2);

    var restarted = kit.restart();

    closingSchedule.expectMessage(new ClosingSchedule.Schedule(pollId, closesAt, null));
    Poll.Created state = assertInstanceOf(Poll.Created.class, restarted.state());
    assertEquals(new Tally.Choices(counts(0, 0, 1), 1), state.tally());
    assertNull(state.closedAt());
    // Identical re-send after recovery is still recognised.
    assertTrue(cast("alice", 2).hasNoEvents());
  }

  @Test
  void recoveryReplaysTheJournalAndTakesNoSnapshots() {
    created(Spec.lunch().allowingVoteChange());
    for (int voter = 0; voter < 30; voter++) {
      cast("voter-" + voter, voter % 3);
    }
    cast("voter-0", 1);
    retract("voter-1");
    Poll.State before = kit.getState();

    var restarted = kit.restart();

    assertEquals(before, restarted.state());
    assertEquals(new Tally.Choices(counts(9, 10, 10), 29), ((Poll.Created) restarted.state()).tally());
    assertEquals(33, ((Poll.Created) restarted.state()).version());
    // a snapshot's cost would grow with the voters: none is ever saved
    kit.snapshotTestKit().orElseThrow().expectNothingPersisted("Poll|" + pollId);
  }

  // -------------------------------------------------------------------------------------------------- batch

  @Test
  void everyWriteIsPublishedOnceWithItsSequenceNumberAndNothingElseIs() {
    created(Spec.lunch());
    PollView fresh = accepted(get());
    tallies.expectMessage(Topic.publish(TallyUpdate.of(fresh)));
    assertEquals(new TallyUpdate(pollId, counts(0, 0, 0), 0, PollView.OPEN, 1, fresh), TallyUpdate.of(fresh));
    PollView voted = accepted(cast("alice", 1));
    tallies.expectMessage(Topic.publish(new TallyUpdate(pollId, counts(0, 1, 0), 1, PollView.OPEN, 2, voted)));
    cast("alice", 1); // a retry writes nothing, so there is nothing to tell
    cast("bob", 7); // nor does a rejected ballot
    tallies.expectNoMessage(Duration.ofMillis(200));
    PollView closed = accepted(close());
    tallies.expectMessage(Topic.publish(new TallyUpdate(pollId, counts(0, 1, 0), 1, PollView.CLOSED, 3, closed)));
  }

  @Test
  void aBatchIsPublishedOnceAfterItsWrite() {
    useBatchKit();
    created(Spec.lunch());
    tallies.receiveMessage();
    TestProbe<Poll.Written> written = testKit.createTestProbe(Poll.Written.class);
    TestProbe<Poll.Reply> voters = testKit.createTestProbe(Poll.Reply.class);
    kit.runCommand(new Poll.Batch(5, List.of(
        new Poll.CastBallot("alice", List.of(0), null, voters.ref()),
        new Poll.CastBallot("bob", List.of(1), null, voters.ref()),
        new Poll.CastBallot("carol", List.of(1), null, voters.ref())), written.ref()));
    // three ballots, one event: the poll's version (the frames' seq) counts writes, not ballots
    PollView after = ((Poll.Accepted) written.receiveMessage().answers().get(0).reply()).poll();
    tallies.expectMessage(Topic.publish(new TallyUpdate(pollId, counts(1, 2, 0), 3, PollView.OPEN, 2, after)));
    tallies.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void batchDecidesEachRequestInOrderAndPersistsTogether() {
    useBatchKit();
    created(Spec.lunch());
    TestProbe<Poll.Written> written = testKit.createTestProbe(Poll.Written.class);
    List<TestProbe<Poll.Reply>> probes = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      probes.add(testKit.createTestProbe(Poll.Reply.class));
    }
    List<Poll.Request> requests = List.of(
        new Poll.CastBallot("alice", List.of(0), null, probes.get(0).ref()),
        new Poll.CastBallot("bob", List.of(1), null, probes.get(1).ref()),
        new Poll.CastBallot("alice", List.of(0), null, probes.get(2).ref()),  // retry of an earlier one in the batch
        new Poll.CastBallot("alice", List.of(2), null, probes.get(3).ref()),  // changes a vote the batch just cast
        new Poll.CastBallot("bad voter", List.of(0), null, probes.get(4).ref()),
        new Poll.CastBallot("carol", List.of(7), null, probes.get(5).ref()),
        new Poll.Get(probes.get(6).ref()));

    List<List<Object>> writes = new CopyOnWriteArrayList<>();
    kit.persistenceTestKit().withPolicy((persistenceId, operation) -> {
      if (operation instanceof WriteEvents write) {
        writes.add(write.getBatch());
      }
      return ProcessingSuccess.getInstance();
    });

    CommandResult<Poll.Command, Poll.Event, Poll.State> result =
        kit.runCommand(new Poll.Batch(42, requests, written.ref()));
    Poll.Written report = deliver(written);

    assertEquals(List.of(ballots(START,
            Poll.BallotChange.cast("alice", List.of(0)), Poll.BallotChange.cast("bob", List.of(1)))),
        result.events());
    assertEquals(42, report.batchId());
    assertEquals(2, report.version());
    // Every accepted request of a write is answered with the poll as the write left it.
    assertEquals(2, accepted(probes.get(0).receiveMessage()).totalBallots());
    assertEquals(2, accepted(probes.get(1).receiveMessage()).totalBallots());
    assertEquals(2, accepted(probes.get(2).receiveMessage()).totalBallots());
    assertEquals(Poll.Rejection.ALREADY_VOTED, rejection(probes.get(3).receiveMessage()));
    assertEquals(Poll.Rejection.INVALID_BALLOT, rejection(probes.get(4).receiveMessage()));
    assertEquals(Poll.Rejection.INVALID_BALLOT, rejection(probes.get(5).receiveMessage()));
    assertEquals(counts(1, 1, 0), votes(accepted(probes.get(6).receiveMessage())));
    for (TestProbe<Poll.Reply> probe : probes) {
      probe.expectNoMessage(Duration.ZERO);
    }
    assertEquals(new Tally.Choices(counts(1, 1, 0), 2), result.stateOfType(Poll.Created.class).tally());
    // Group commit: both ballots reached the journal in a single write of a single event.
    assertEquals(List.of(result.events()), writes);
  }

  @Test
  void batchCanCreateThePollAndVoteInOneWrite() {
    useBatchKit();
    Instant closesAt = START.plus(Duration.ofMinutes(1));
    TestProbe<Poll.Written> written = testKit.createTestProbe(Poll.Written.class);
    TestProbe<Poll.Reply> creator = testKit.createTestProbe(Poll.Reply.class);
    TestProbe<Poll.Reply> early = testKit.createTestProbe(Poll.Reply.class);
    TestProbe<Poll.Reply> voter = testKit.createTestProbe(Poll.Reply.class);
    List<Poll.Request> requests = List.of(
        new Poll.CastBallot("early", List.of(0), null, early.ref()),  // before the create in the same batch
        Spec.lunch().closingAt(closesAt).toCommand(creator.ref()),
        new Poll.CastBallot("alice", List.of(1), null, voter.ref()));

    var result = kit.runCommand(new Poll.Batch(1, requests, written.ref()));
    Poll.Written report = deliver(written);

    assertEquals(List.of(
            new Poll.PollCreated(pollId, definition(QUESTION, LUNCH, Kind.SINGLE, 1, false, closesAt)),
            ballots(START, Poll.BallotChange.cast("alice", List.of(1)))),
        result.events());
    assertEquals(Poll.Rejection.UNKNOWN_POLL, rejection(early.receiveMessage()));
    // both answered with the poll as the write left it: created, with alice's ballot
    assertEquals(1, accepted(creator.receiveMessage()).totalBallots());
    assertEquals(1, accepted(voter.receiveMessage()).totalBallots());
    assertEquals(1, report.batchId());
    // in a batch, the inbox schedules the close (and answers once it is scheduled), not the writer
    assertEquals(closesAt, report.closesAt());
    closingSchedule.expectNoMessage(Duration.ofMillis(200));
  }

  @Test
  void batchWithoutEventsStillAnswersAndReportsWritten() {
    useBatchKit();
    created(Spec.lunch());
    TestProbe<Poll.Written> written = testKit.createTestProbe(Poll.Written.class);
    TestProbe<Poll.Reply> reader = testKit.createTestProbe(Poll.Reply.class);
    TestProbe<Poll.Reply> invalid = testKit.createTestProbe(Poll.Reply.class);

    var result = kit.runCommand(new Poll.Batch(7, List.of(
        new Poll.Get(reader.ref()), new Poll.CastBallot("alice", List.of(), null, invalid.ref())), written.ref()));
    Poll.Written report = deliver(written);

    assertTrue(result.hasNoEvents());
    assertEquals(PollView.OPEN, accepted(reader.receiveMessage()).status());
    assertEquals(Poll.Rejection.INVALID_BALLOT, rejection(invalid.receiveMessage()));
    assertEquals(new Poll.Written(7, 1, report.answers(), null), report);
  }

  @Test
  void batchArrivingAfterTheClosingTimeClosesFirst() {
    useBatchKit();
    Instant closesAt = START.plus(Duration.ofMinutes(1));
    created(Spec.lunch().closingAt(closesAt));
    cast("alice", 0);
    clock.advance(Duration.ofMinutes(1));
    TestProbe<Poll.Written> written = testKit.createTestProbe(Poll.Written.class);
    TestProbe<Poll.Reply> retry = testKit.createTestProbe(Poll.Reply.class);
    TestProbe<Poll.Reply> late = testKit.createTestProbe(Poll.Reply.class);

    var result = kit.runCommand(new Poll.Batch(3, List.of(
        new Poll.CastBallot("alice", List.of(0), null, retry.ref()),
        new Poll.CastBallot("bob", List.of(1), null, late.ref())), written.ref()));
    Poll.Written report = deliver(written);

    assertEquals(List.of(new Poll.PollClosed(pollId, closesAt)), result.events());
    assertEquals(PollView.CLOSED, accepted(retry.receiveMessage()).status());
    assertEquals(Poll.Rejection.POLL_CLOSED, rejection(late.receiveMessage()));
    assertEquals(3, report.batchId());
  }

  @Test
  void batchAppliesOrganizerAndInviteRulesRequestByRequest() {
    useBatchKit();
    created(Spec.lunch().invitedOnly());
    TestProbe<Poll.Written> written = testKit.createTestProbe(Poll.Written.class);
    List<TestProbe<Poll.Reply>> probes = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      probes.add(testKit.createTestProbe(Poll.Reply.class));
    }
    List<Poll.Request> requests = List.of(
        new Poll.CastBallot("alice", List.of(0), pollId, probes.get(0).ref()),
        new Poll.CastBallot("bob", List.of(1), null, probes.get(1).ref()),
        new Poll.Close(STRANGER, probes.get(2).ref()),                      // must not close it for those after
        new Poll.Invite(STRANGER, 5, probes.get(3).ref()),
        new Poll.Invite(BY_OWNER, 5, probes.get(4).ref()),
        new Poll.Invite(BY_OWNER, 0, probes.get(5).ref()),
        new Poll.CastBallot("carol", List.of(2), pollId, probes.get(6).ref()),
        new Poll.Close(BY_OWNER, probes.get(7).ref()),
        new Poll.CastBallot("dave", List.of(1), pollId, probes.get(8).ref()));

    var result = kit.runCommand(new Poll.Batch(9, requests, written.ref()));
    Poll.Written report = deliver(written);

    assertEquals(List.of(
            ballots(START, Poll.BallotChange.cast("alice", List.of(0)), Poll.BallotChange.cast("carol", List.of(2))),
            new Poll.PollClosed(pollId, START)),
        result.events());
    // answered after the write, from the poll as the write left it: two ballots, closed
    assertEquals(2, accepted(probes.get(0).receiveMessage()).totalBallots());
    assertEquals(Poll.Rejection.NOT_INVITED, rejection(probes.get(1).receiveMessage()));
    assertEquals(Poll.Rejection.FORBIDDEN, rejection(probes.get(2).receiveMessage()));
    assertEquals(Poll.Rejection.FORBIDDEN, rejection(probes.get(3).receiveMessage()));
    PollView invited = accepted(probes.get(4).receiveMessage());
    assertEquals(2, invited.totalBallots());
    assertEquals(Poll.Rejection.INVALID_INVITE, rejection(probes.get(5).receiveMessage()));
    assertEquals(2, accepted(probes.get(6).receiveMessage()).totalBallots());
    assertEquals(PollView.CLOSED, accepted(probes.get(7).receiveMessage()).status());
    assertEquals(Poll.Rejection.POLL_CLOSED, rejection(probes.get(8).receiveMessage()));
    assertEquals(9, report.batchId());
    assertEquals(new Tally.Choices(counts(1, 0, 1), 2), result.stateOfType(Poll.Created.class).tally());
  }

  private static PollView accepted(Poll.Reply reply) {
    return assertInstanceOf(Poll.Accepted.class, reply).poll();
  }

  private static Poll.Rejection rejection(Poll.Reply reply) {
    return assertInstanceOf(Poll.Rejected.class, reply).reason();
  }

  // ------------------------------------------------------------------------------------------ serialization

  @Test
  void ballotEventsAndRepliesSurviveTheWire() {
    // The kit already round-trips every command and event above; this pins the shapes that cross nodes (replies)
    // and a ballot event with every kind of change, with equality.
    created(Spec.lunch().withOptions(FOUR).withKind(Kind.MULTIPLE, 3).closingAt(START.plusSeconds(60)));
    cast("alice", 0, 3, 2);
    var closed = close();
    var serialization = testKit.serializationTestKit();

    Poll.BallotsRecorded ballots = ballots(START, Poll.BallotChange.cast("alice", List.of(0, 2, 3)),
        Poll.BallotChange.changed("alice", List.of(0, 2, 3), List.of(1)), Poll.BallotChange.retracted("bob",
            List.of(2)));
    assertEquals(ballots, serialization.verifySerialization(ballots, true));
    serialization.verifySerialization(closed.reply(), true);
    serialization.verifySerialization(new Poll.Rejected(Poll.Rejection.BUSY, "retry shortly"), true);
  }

  @Test
  void invitedPollAndOrganizerRequestsSurviveTheWire() {
    // Audience is written by its @JsonValue label ("invited") and must read back as the same constant.
    var result = create(Spec.lunch().invitedOnly().ownedBy("oscar"));
    var serialization = testKit.serializationTestKit();

    Poll.Event created = result.event();
    assertEquals(created, serialization.verifySerialization(created, true));
    Poll.Reply reply = result.reply();
    PollView view = assertInstanceOf(Poll.Accepted.class, serialization.verifySerialization(reply, true)).poll();
    assertEquals(Audience.INVITED, view.audience());
    assertEquals("oscar", view.owner());
    assertEquals(Requester.SCHEDULE, serialization.verifySerialization(Requester.SCHEDULE, true));
    assertEquals(STRANGER, serialization.verifySerialization(STRANGER, true));
    for (Poll.Rejection reason : List.of(
        Poll.Rejection.FORBIDDEN, Poll.Rejection.NOT_INVITED, Poll.Rejection.INVALID_INVITE)) {
      serialization.verifySerialization(new Poll.Rejected(reason, "why"), true);
    }
  }
}
