package actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import java.util.stream.IntStream;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The rules of rating, ranking and word-cloud polls, hidden results and their reveal, hidden words and rounds, driven
 * through the event-sourced entity on the in-memory journal (every command and event through Jackson and back).
 */
class PollKindsTest {
  private static final Instant START = Instant.parse("2026-03-01T09:00:00Z");
  private static final String OWNER = "olivia";
  private static final Requester BY_OWNER = new Requester(OWNER, false);
  private static final Requester STRANGER = new Requester("mallory", false);
  private static final Requester ADMIN = new Requester("ada", true);
  private static final List<String> FRUIT = List.of("apple", "pear", "plum", "fig");

  private static ActorTestKit testKit;

  private MutableClock clock;
  private EventSourcedBehaviorTestKit<Poll.Command, Poll.Event, Poll.State> kit;
  private Poll.Limits limits = new Poll.Limits(10_000, 1_000, 100);

  @BeforeAll
  static void startSystem() {
    testKit = ActorTestKit.create(support.TestConfig.eventSourcedTestKit());
  }

  @AfterAll
  static void stopSystem() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void newKit() {
    clock = new MutableClock(START);
    kit = kit();
  }

  private EventSourcedBehaviorTestKit<Poll.Command, Poll.Event, Poll.State> kit() {
    return kit(true);
  }

  /** Batches carry requests without type information: they are not round-tripped (as in PollTest). */
  private EventSourcedBehaviorTestKit<Poll.Command, Poll.Event, Poll.State> kit(boolean verifyCommands) {
    TestProbe<ClosingSchedule.Command> schedule = testKit.createTestProbe(ClosingSchedule.Command.class);
    TestProbe<Topic.Command<TallyUpdate>> tallies = testKit.createTestProbe();
    EventSourcedBehaviorTestKit<Poll.Command, Poll.Event, Poll.State> created = EventSourcedBehaviorTestKit.create(
        testKit.system(),
        Poll.create(PollId.newId(), schedule.ref(), tallies.ref(), new Poll.Settings(100, 1000, Duration.ZERO,
            Duration.ofSeconds(10), Duration.ofSeconds(1), clock, limits)),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true).withVerifyState(false)
            .withVerifyCommands(verifyCommands));
    created.clear();
    return created;
  }

  // ------------------------------------------------------------------------------------------------ helpers

  private CommandResultWithReply<Poll.Command, Poll.Event, Poll.State, Poll.Reply> run(
      Function<ActorRef<Poll.Reply>, Poll.Command> command) {
    return kit.runCommand(command);
  }

  private static PollDraft draft(Kind kind, List<String> options, RatingScale scale, Integer maxRanked,
      Integer maxWords, ResultsVisibility visibility, boolean allowVoteChange) {
    return new PollDraft("How was it?", options, kind, null, allowVoteChange, null, null, OWNER, scale, maxRanked,
        maxWords, visibility);
  }

  private PollView create(PollDraft draft) {
    return accepted(run(replyTo -> new Poll.Create(draft, replyTo)));
  }

  private Poll.Rejected createRejected(PollDraft draft) {
    var result = run(replyTo -> new Poll.Create(draft, replyTo));
    assertTrue(result.hasNoEvents());
    return assertInstanceOf(Poll.Rejected.class, result.reply());
  }

  private PollView rating(int min, int max, boolean allowVoteChange) {
    return create(draft(Kind.RATING, null, new RatingScale(min, max, "bad", "good"), null, null, null,
        allowVoteChange));
  }

  private PollView ranking(Integer maxRanked) {
    return create(draft(Kind.RANKING, FRUIT, null, maxRanked, null, null, true));
  }

  private PollView wordCloud(int maxWords) {
    return create(draft(Kind.WORDCLOUD, null, null, null, maxWords, null, true));
  }

  private CommandResultWithReply<Poll.Command, Poll.Event, Poll.State, Poll.Reply> cast(String voter, Ballot ballot) {
    return run(replyTo -> new Poll.CastBallot(voter, ballot, null, replyTo));
  }

  private static PollView accepted(CommandResultWithReply<?, ?, ?, Poll.Reply> result) {
    return assertInstanceOf(Poll.Accepted.class, result.reply(), () -> String.valueOf(result.reply())).poll();
  }

  private static void rejected(Poll.Rejection reason, CommandResultWithReply<?, ?, ?, Poll.Reply> result) {
    Poll.Rejected rejected = assertInstanceOf(Poll.Rejected.class, result.reply());
    assertEquals(reason, rejected.reason(), rejected.detail());
    assertFalse(rejected.detail().isBlank());
    assertTrue(result.hasNoEvents(), () -> "a rejection persists nothing, got " + result.events());
  }

  private static List<String> texts(List<PollView.WordCount> words) {
    return words.stream().map(PollView.WordCount::text).toList();
  }

  // ------------------------------------------------------------------------------------------------ rating

  @Test
  void ratingPollCountsAverageAndDistribution() {
    PollView poll = rating(1, 5, true);
    assertEquals(Kind.RATING, poll.kind());
    assertEquals(new RatingScale(1, 5, "bad", "good"), poll.scale());
    assertEquals(List.of(), poll.options());
    assertNull(poll.maxChoices());
    assertEquals(new PollView.RatingResult(0, null, List.of(0L, 0L, 0L, 0L, 0L)), poll.rating());
    accepted(cast("a", Ballot.ofRating(4)));
    accepted(cast("b", Ballot.ofRating(5)));
    PollView after = accepted(cast("c", Ballot.ofRating(1)));
    assertEquals(new PollView.RatingResult(3, 10.0 / 3, List.of(1L, 0L, 0L, 1L, 1L)), after.rating());
    // a change moves the ballot, a retraction takes it away, an identical re-send counts once
    accepted(cast("a", Ballot.ofRating(2)));
    accepted(run(replyTo -> new Poll.RetractBallot("b", replyTo)));
    var resent = cast("c", Ballot.ofRating(1));
    assertTrue(resent.hasNoEvents());
    assertEquals(new PollView.RatingResult(2, 1.5, List.of(1L, 1L, 0L, 0L, 0L)), accepted(resent).rating());
    // recovery replays to the same counts
    Poll.Created recovered = assertInstanceOf(Poll.Created.class, kit.restart().state());
    assertEquals(new PollView.RatingResult(2, 1.5, List.of(1L, 1L, 0L, 0L, 0L)), recovered.view().rating());
  }

  @Test
  void ratingOutsideTheScaleOrOfTheWrongShapeIsAnInvalidBallot() {
    rating(0, 10, false);
    rejected(Poll.Rejection.INVALID_BALLOT, cast("a", Ballot.ofRating(11)));
    rejected(Poll.Rejection.INVALID_BALLOT, cast("a", Ballot.ofRating(-1)));
    rejected(Poll.Rejection.INVALID_BALLOT, cast("a", Ballot.ofChoices(List.of(1))));
    rejected(Poll.Rejection.INVALID_BALLOT, cast("a", new Ballot(List.of(1), 3, null, null)));
    accepted(cast("a", Ballot.ofRating(0)));
    rejected(Poll.Rejection.ALREADY_VOTED, cast("a", Ballot.ofRating(10)));
  }

  @Test
  void ratingScalesAtAndBeyondTheirLimits() {
    assertEquals(101, rating(0, 100, false).rating().distribution().size());
    kit = kit();
    assertEquals(Poll.Rejection.INVALID_POLL, createRejected(draft(Kind.RATING, null, new RatingScale(0, 101, null,
        null), null, null, null, false)).reason());
    assertEquals(Poll.Rejection.INVALID_POLL, createRejected(draft(Kind.RATING, null, new RatingScale(5, 5, null,
        null), null, null, null, false)).reason());
    assertEquals(Poll.Rejection.INVALID_POLL, createRejected(draft(Kind.RATING, null, new RatingScale(-1, 3, null,
        null), null, null, null, false)).reason());
    assertEquals(Poll.Rejection.INVALID_POLL, createRejected(draft(Kind.RATING, null, null, null, null, null,
        false)).reason());
    assertEquals(Poll.Rejection.INVALID_POLL, createRejected(draft(Kind.RATING, FRUIT, new RatingScale(1, 5, null,
        null), null, null, null, false)).reason());
    assertEquals(Poll.Rejection.INVALID_POLL, createRejected(draft(Kind.RATING, null, new RatingScale(1, 5,
        "x".repeat(201), null), null, null, null, false)).reason());
    assertEquals(Poll.Rejection.INVALID_POLL, createRejected(draft(Kind.SINGLE, FRUIT, new RatingScale(1, 5, null,
        null), null, null, null, false)).reason());
  }

  // ------------------------------------------------------------------------------------------------ ranking

  @Test
  void rankingEarnsPointsByPlaceAndAveragesThePlaces() {
    PollView poll = ranking(null);
    assertEquals(4, poll.maxRanked());
    accepted(cast("a", Ballot.ofRanking(List.of(2, 0, 1))));
    PollView after = accepted(cast("b", Ballot.ofRanking(List.of(0, 2))));
    // four options: first place 4 points, second 3, third 2; unranked 0
    assertEquals(List.of(7L, 2L, 7L, 0L), after.options().stream().map(PollView.OptionView::points).toList());
    assertEquals(List.of(2L, 1L, 2L, 0L), after.options().stream().map(PollView.OptionView::votes).toList());
    assertEquals(1.5, after.options().get(0).averagePosition());
    assertEquals(3.0, after.options().get(1).averagePosition());
    assertEquals(1.5, after.options().get(2).averagePosition());
    assertNull(after.options().get(3).averagePosition());
    assertEquals(2, after.totalBallots());
    // order matters: the same options in another order is another ballot, and changes the points
    PollView changed = accepted(cast("b", Ballot.ofRanking(List.of(2, 0))));
    assertEquals(List.of(6L, 2L, 8L, 0L), changed.options().stream().map(PollView.OptionView::points).toList());
    var resent = cast("b", Ballot.ofRanking(List.of(2, 0)));
    assertTrue(resent.hasNoEvents());
    Poll.Created recovered = assertInstanceOf(Poll.Created.class, kit.restart().state());
    assertEquals(changed.options(), recovered.view().options());
  }

  @Test
  void rankingMustNameDistinctOptionsUpToMaxRanked() {
    ranking(2);
    rejected(Poll.Rejection.INVALID_BALLOT, cast("a", Ballot.ofRanking(List.of())));
    rejected(Poll.Rejection.INVALID_BALLOT, cast("a", Ballot.ofRanking(List.of(0, 1, 2))));
    rejected(Poll.Rejection.INVALID_BALLOT, cast("a", Ballot.ofRanking(List.of(1, 1))));
    rejected(Poll.Rejection.INVALID_BALLOT, cast("a", Ballot.ofRanking(List.of(4))));
    rejected(Poll.Rejection.INVALID_BALLOT, cast("a", Ballot.ofChoices(List.of(0))));
    accepted(cast("a", Ballot.ofRanking(List.of(3, 1))));
    kit = kit();
    assertEquals(Poll.Rejection.INVALID_POLL,
        createRejected(draft(Kind.RANKING, FRUIT, null, 5, null, null, false)).reason());
    assertEquals(Poll.Rejection.INVALID_POLL,
        createRejected(draft(Kind.RANKING, FRUIT, null, 0, null, null, false)).reason());
    assertEquals(Poll.Rejection.INVALID_POLL,
        createRejected(draft(Kind.RANKING, List.of("one"), null, null, null, null, false)).reason());
  }

  // ------------------------------------------------------------------------------------------------ word cloud

  @Test
  void wordsAreNormalizedCountedCaseInsensitivelyAndShownInTheMostFrequentSpelling() {
    PollView poll = wordCloud(3);
    assertEquals(3, poll.maxWords());
    assertEquals(List.of(), poll.words());
    accepted(cast("a", Ballot.ofWords(List.of("  Pekko\t rocks ", "Scala"))));
    accepted(cast("b", Ballot.ofWords(List.of("pekko rocks"))));
    accepted(cast("c", Ballot.ofWords(List.of("pekko   ROCKS", "java"))));
    // "e" + combining acute is the same word as the precomposed "é" once in NFC
    accepted(cast("d", Ballot.ofWords(List.of("cafe\u0301"))));
    PollView after = accepted(cast("e", Ballot.ofWords(List.of("café", "pekko rocks"))));
    assertEquals(List.of(new PollView.WordCount("pekko rocks", 4), new PollView.WordCount("café", 2),
        new PollView.WordCount("Scala", 1), new PollView.WordCount("java", 1)), after.words());
    assertEquals(5, after.totalBallots());
    // the ballot is stored normalized: the same words re-sent differently spaced count once
    var resent = cast("a", Ballot.ofWords(List.of("Pekko rocks", "Scala")));
    assertTrue(resent.hasNoEvents());
    // a change and a retraction take words away; a word nobody holds any more disappears
    accepted(cast("a", Ballot.ofWords(List.of("Kotlin"))));
    PollView retracted = accepted(run(replyTo -> new Poll.RetractBallot("c", replyTo)));
    // ties go by text
    assertEquals(List.of("café", "pekko rocks", "Kotlin"), texts(retracted.words()));
    assertEquals(2, retracted.words().get(0).count());
    Poll.Created recovered = assertInstanceOf(Poll.Created.class, kit.restart().state());
    assertEquals(retracted.words(), recovered.view().words());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "   ", "a\u0000b", "evil\u202Eword", "zero\u200Bwidth", "join\u200Dme", "bom\uFEFF",
      "isolate\u2066x", "soft\u00ADhyphen"})
  void wordsThatAreEmptyInvisibleOrReorderTextAreRefused(String word) {
    wordCloud(1);
    rejected(Poll.Rejection.INVALID_BALLOT, cast("a", Ballot.ofWords(List.of(word))));
  }

  @Test
  void wordBallotsHaveOneToMaxWordsDistinctEntriesOfAtMostFortyCharacters() {
    wordCloud(2);
    rejected(Poll.Rejection.INVALID_BALLOT, cast("a", Ballot.ofWords(List.of())));
    rejected(Poll.Rejection.INVALID_BALLOT, cast("a", Ballot.ofWords(List.of("a", "b", "c"))));
    rejected(Poll.Rejection.INVALID_BALLOT, cast("a", Ballot.ofWords(List.of("Same", "same"))));
    rejected(Poll.Rejection.INVALID_BALLOT, cast("a", Ballot.ofWords(List.of("x".repeat(41)))));
    rejected(Poll.Rejection.INVALID_BALLOT, cast("a", Ballot.ofRating(3)));
    // forty characters, counted as code points (an emoji is one)
    accepted(cast("a", Ballot.ofWords(List.of("\uD83D\uDE00".repeat(40), "  " + "y".repeat(40) + "  "))));
    kit = kit();
    assertEquals(Poll.Rejection.INVALID_POLL,
        createRejected(draft(Kind.WORDCLOUD, null, null, null, 11, null, false)).reason());
    assertEquals(Poll.Rejection.INVALID_POLL,
        createRejected(draft(Kind.WORDCLOUD, null, null, null, 0, null, false)).reason());
    assertEquals(Poll.Rejection.INVALID_POLL,
        createRejected(draft(Kind.WORDCLOUD, FRUIT, null, null, null, null, false)).reason());
    assertEquals(1, create(draft(Kind.WORDCLOUD, null, null, null, null, null, false)).maxWords());
  }

  @Test
  void aWordCloudFullOfDistinctWordsStillCountsTheWordsItHolds() {
    limits = new Poll.Limits(3, 1_000, 100);
    kit = kit();
    wordCloud(2);
    accepted(cast("a", Ballot.ofWords(List.of("one", "two"))));
    accepted(cast("b", Ballot.ofWords(List.of("three"))));
    rejected(Poll.Rejection.LIMIT_REACHED, cast("c", Ballot.ofWords(List.of("four"))));
    rejected(Poll.Rejection.LIMIT_REACHED, cast("c", Ballot.ofWords(List.of("ONE", "four"))));
    PollView after = accepted(cast("c", Ballot.ofWords(List.of("ONE", "Three"))));
    assertEquals(3, after.words().size());
    // a word that nobody holds any more frees its place
    accepted(cast("b", Ballot.ofWords(List.of("two"))));
    accepted(run(replyTo -> new Poll.RetractBallot("c", replyTo)));
    accepted(cast("d", Ballot.ofWords(List.of("four"))));
  }

  @Test
  void viewsShowTheHundredMostFrequentWords() {
    wordCloud(10);
    for (int voter = 0; voter < 30; voter++) {
      int first = voter * 10;
      accepted(cast("v" + voter, Ballot.ofWords(IntStream.range(0, 10)
          .mapToObj(i -> "w" + (i < 2 ? i : first + i)).toList())));
    }
    PollView view = accepted(run(Poll.Get::new));
    assertEquals(100, view.words().size());
    assertEquals(List.of(new PollView.WordCount("w0", 30), new PollView.WordCount("w1", 30)),
        view.words().subList(0, 2));
  }

  @Test
  void hiddenWordsReachOnlyTheOwner() {
    wordCloud(2);
    accepted(cast("a", Ballot.ofWords(List.of("nice", "Rude"))));
    accepted(cast("b", Ballot.ofWords(List.of("rude"))));
    rejected(Poll.Rejection.FORBIDDEN, run(replyTo -> new Poll.HideWord(STRANGER, "rude", replyTo)));
    rejected(Poll.Rejection.INVALID_WORD, run(replyTo -> new Poll.HideWord(BY_OWNER, "bad\u202E", replyTo)));
    var hidden = run(replyTo -> new Poll.HideWord(BY_OWNER, " RUDE ", replyTo));
    assertEquals(new Poll.WordHidden(((Poll.Created) hidden.state()).pollId(), "RUDE", START), hidden.event());
    PollView owners = accepted(hidden);
    assertEquals(List.of(new PollView.WordCount("nice", 1)), owners.words());
    assertEquals(List.of(new PollView.WordCount("RUDE", 2)), owners.hiddenWords());
    PollView everyone = owners.seenBy(null);
    assertEquals(List.of(new PollView.WordCount("nice", 1)), everyone.words());
    assertNull(everyone.hiddenWords());
    assertNull(owners.seenBy(STRANGER).hiddenWords());
    assertEquals(owners, owners.seenBy(ADMIN));
    // hiding again changes nothing; new ballots with the word stay hidden
    assertTrue(run(replyTo -> new Poll.HideWord(BY_OWNER, "rude", replyTo)).hasNoEvents());
    PollView more = accepted(cast("c", Ballot.ofWords(List.of("rUdE"))));
    assertEquals(List.of(new PollView.WordCount("RUDE", 3)), more.hiddenWords());
    assertEquals(List.of("nice"), texts(more.words()));
    // shown again, it is back for everyone
    PollView shown = accepted(run(replyTo -> new Poll.ShowWord(BY_OWNER, "rude", replyTo)));
    assertEquals(List.of(new PollView.WordCount("Rude", 3), new PollView.WordCount("nice", 1)),
        shown.seenBy(null).words());
    assertTrue(run(replyTo -> new Poll.ShowWord(BY_OWNER, "rude", replyTo)).hasNoEvents());
    Poll.Created recovered = assertInstanceOf(Poll.Created.class, kit.restart().state());
    assertEquals(java.util.Map.of(), recovered.hiddenWords());
  }

  @Test
  void onlyWordCloudsHaveWordsToHideAndTheirNumberIsBounded() {
    ranking(null);
    rejected(Poll.Rejection.INVALID_WORD, run(replyTo -> new Poll.HideWord(BY_OWNER, "x", replyTo)));
    limits = new Poll.Limits(10_000, 2, 100);
    kit = kit();
    wordCloud(1);
    accepted(run(replyTo -> new Poll.HideWord(BY_OWNER, "x", replyTo)));
    accepted(run(replyTo -> new Poll.HideWord(ADMIN, "y", replyTo)));
    rejected(Poll.Rejection.LIMIT_REACHED, run(replyTo -> new Poll.HideWord(BY_OWNER, "z", replyTo)));
  }

  // ------------------------------------------------------------------------------------------------ hidden results

  @Test
  void hiddenResultsShowOnlyTheBallotCountUntilTheOwnerRevealsThem() {
    PollView created = create(new PollDraft("Best?", FRUIT, Kind.SINGLE, null, false, null, null, OWNER, null, null,
        null, ResultsVisibility.HIDDEN));
    assertEquals(ResultsVisibility.HIDDEN, created.resultsVisibility());
    accepted(cast("a", Ballot.ofChoices(List.of(1))));
    PollView owners = accepted(cast("b", Ballot.ofChoices(List.of(1))));
    assertEquals(2L, owners.options().get(1).votes());
    PollView everyone = owners.seenBy(STRANGER);
    assertEquals(Boolean.TRUE, everyone.resultsWithheld());
    assertEquals(2, everyone.totalBallots());
    assertTrue(everyone.options().stream().allMatch(option -> option.votes() == null && option.label() != null));
    assertTrue(owners.hasPrivateParts());
    rejected(Poll.Rejection.FORBIDDEN, run(replyTo -> new Poll.Reveal(STRANGER, replyTo)));
    var revealed = run(replyTo -> new Poll.Reveal(BY_OWNER, replyTo));
    assertInstanceOf(Poll.ResultsRevealed.class, revealed.event());
    PollView after = accepted(revealed).seenBy(null);
    assertEquals(2L, after.options().get(1).votes());
    assertNull(after.resultsWithheld());
    assertEquals(START, after.revealedAt());
    assertTrue(run(replyTo -> new Poll.Reveal(ADMIN, replyTo)).hasNoEvents());
    Poll.Created recovered = assertInstanceOf(Poll.Created.class, kit.restart().state());
    assertEquals(START, recovered.revealedAt());
  }

  @Test
  void hiddenResultsWithholdEveryKindsCountsAndRevealWorksAfterClose() {
    create(draft(Kind.WORDCLOUD, null, null, null, 1, ResultsVisibility.HIDDEN, false));
    PollView owners = accepted(cast("a", Ballot.ofWords(List.of("secret"))));
    PollView everyone = owners.forPublic();
    assertNull(everyone.words());
    assertEquals(1, everyone.totalBallots());
    accepted(run(replyTo -> new Poll.Close(BY_OWNER, replyTo)));
    PollView revealed = accepted(run(replyTo -> new Poll.Reveal(BY_OWNER, replyTo)));
    assertEquals(List.of(new PollView.WordCount("secret", 1)), revealed.forPublic().words());
  }

  @Test
  void liveResultsNeedNoReveal() {
    ranking(null);
    var reveal = run(replyTo -> new Poll.Reveal(BY_OWNER, replyTo));
    assertTrue(reveal.hasNoEvents());
    assertEquals(ResultsVisibility.LIVE, accepted(reveal).resultsVisibility());
    assertFalse(accepted(reveal).hasPrivateParts());
  }

  // ------------------------------------------------------------------------------------------------ rounds

  @Test
  void aNewRoundStartsFromZeroAndKeepsTheFinishedRoundsResults() {
    rating(1, 3, false);
    accepted(cast("a", Ballot.ofRating(1)));
    accepted(cast("b", Ballot.ofRating(2)));
    assertEquals(1, accepted(run(Poll.Get::new)).round());
    rejected(Poll.Rejection.FORBIDDEN, run(replyTo -> new Poll.NextRound(STRANGER, replyTo)));
    clock.advance(Duration.ofSeconds(60));
    var next = run(replyTo -> new Poll.NextRound(BY_OWNER, replyTo));
    assertInstanceOf(Poll.RoundStarted.class, next.event());
    PollView second = accepted(next);
    assertEquals(2, second.round());
    assertEquals(0, second.totalBallots());
    // every voter may vote again, even where vote changes are not allowed
    accepted(cast("a", Ballot.ofRating(3)));
    PollView after = accepted(cast("c", Ballot.ofRating(3)));
    assertEquals(new PollView.RatingResult(2, 3.0, List.of(0L, 0L, 2L)), after.rating());
    var rounds = assertInstanceOf(Poll.RoundsListed.class, run(Poll.GetRounds::new).reply());
    assertEquals(1, rounds.rounds().size());
    PollView.RoundView first = rounds.rounds().get(0);
    assertEquals(1, first.round());
    assertEquals(START.plusSeconds(60), first.endedAt());
    assertEquals(2, first.totalBallots());
    assertEquals(new PollView.RatingResult(2, 1.5, List.of(1L, 1L, 0L)), first.rating());
    Poll.Created recovered = assertInstanceOf(Poll.Created.class, kit.restart().state());
    assertEquals(2, recovered.round());
    assertEquals(rounds.rounds(), recovered.finishedRounds());
    assertEquals(after.rating(), recovered.view().rating());
  }

  @Test
  void roundsOfHiddenResultsAndHiddenWordsFollowTheRulesOfTheView() {
    create(draft(Kind.WORDCLOUD, null, null, null, 1, ResultsVisibility.HIDDEN, true));
    accepted(cast("a", Ballot.ofWords(List.of("fine"))));
    accepted(cast("b", Ballot.ofWords(List.of("meh"))));
    accepted(run(replyTo -> new Poll.NextRound(ADMIN, replyTo)));
    accepted(run(replyTo -> new Poll.HideWord(BY_OWNER, "meh", replyTo)));
    var rounds = assertInstanceOf(Poll.RoundsListed.class, run(Poll.GetRounds::new).reply());
    PollView.RoundView owners = rounds.rounds().get(0);
    assertEquals(List.of(new PollView.WordCount("fine", 1)), owners.words());
    assertEquals(List.of(new PollView.WordCount("meh", 1)), owners.hiddenWords());
    PollView.RoundView everyone = rounds.seenBy(null).rounds().get(0);
    assertEquals(Boolean.TRUE, everyone.resultsWithheld());
    assertNull(everyone.words());
    accepted(run(replyTo -> new Poll.Reveal(BY_OWNER, replyTo)));
    accepted(run(replyTo -> new Poll.ShowWord(BY_OWNER, "MEH", replyTo)));
    var later = assertInstanceOf(Poll.RoundsListed.class, run(Poll.GetRounds::new).reply()).seenBy(null);
    assertEquals(List.of("fine", "meh"), texts(later.rounds().get(0).words()));
    assertNull(later.rounds().get(0).hiddenWords());
  }

  @Test
  void roundsStopAtTheLimitAndNotOnAClosedPoll() {
    limits = new Poll.Limits(10_000, 1_000, 2);
    kit = kit();
    ranking(null);
    accepted(run(replyTo -> new Poll.NextRound(BY_OWNER, replyTo)));
    rejected(Poll.Rejection.LIMIT_REACHED, run(replyTo -> new Poll.NextRound(BY_OWNER, replyTo)));
    kit = kit();
    ranking(null);
    accepted(run(replyTo -> new Poll.Close(BY_OWNER, replyTo)));
    rejected(Poll.Rejection.POLL_CLOSED, run(replyTo -> new Poll.NextRound(BY_OWNER, replyTo)));
    assertInstanceOf(Poll.RoundsListed.class, run(Poll.GetRounds::new).reply());
  }

  @Test
  void ballotsOfEveryKindAreOneEventPerWrite() {
    kit = kit(false);
    wordCloud(3);
    TestProbe<Poll.Written> written = testKit.createTestProbe();
    List<Poll.Request> requests = IntStream.range(0, 50)
        .<Poll.Request>mapToObj(i -> new Poll.CastBallot("v" + i, Ballot.ofWords(List.of("w" + (i % 7), "x")),
            null, testKit.<Poll.Reply>createTestProbe().ref()))
        .toList();
    var result = kit.runCommand(new Poll.Batch(1, requests, written.ref()));
    assertEquals(1, result.events().size());
    Poll.BallotsRecorded recorded = assertInstanceOf(Poll.BallotsRecorded.class, result.events().get(0));
    assertEquals(50, recorded.changes().size());
    assertEquals(50, written.receiveMessage().answers().size());
  }
}
