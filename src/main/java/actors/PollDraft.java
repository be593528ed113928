package actors;

import java.time.Instant;
import java.util.List;

/**
 * A poll as an organizer asks for it, not yet checked: the poll entity turns it into a {@link PollDefinition} or says
 * what is wrong with it. {@code kind}, {@code maxChoices}, {@code audience}, {@code scale}, {@code maxRanked},
 * {@code maxWords} and {@code resultsVisibility} may be null for their defaults (or because the kind has none);
 * {@code owner} is the authenticated organizer, never taken from the request body. {@code joinCode} is the code
 * {@link Polls} claimed for the poll (null: none), never taken from the request body either.
 */
public record PollDraft(
    String question,
    List<String> options,
    Kind kind,
    Integer maxChoices,
    boolean allowVoteChange,
    Instant closesAt,
    Audience audience,
    String owner,
    RatingScale scale,
    Integer maxRanked,
    Integer maxWords,
    ResultsVisibility resultsVisibility,
    String joinCode)
    implements CborSerializable {

  /** A draft without a join code yet. */
  public PollDraft(String question, List<String> options, Kind kind, Integer maxChoices, boolean allowVoteChange,
      Instant closesAt, Audience audience, String owner, RatingScale scale, Integer maxRanked, Integer maxWords,
      ResultsVisibility resultsVisibility) {
    this(question, options, kind, maxChoices, allowVoteChange, closesAt, audience, owner, scale, maxRanked, maxWords,
        resultsVisibility, null);
  }

  /** A choice poll's draft, as organizers drafted every poll before there were other kinds. */
  public PollDraft(String question, List<String> options, Kind kind, Integer maxChoices, boolean allowVoteChange,
      Instant closesAt, Audience audience, String owner) {
    this(question, options, kind, maxChoices, allowVoteChange, closesAt, audience, owner, null, null, null, null,
        null);
  }

  public PollDraft withJoinCode(String code) {
    return new PollDraft(question, options, kind, maxChoices, allowVoteChange, closesAt, audience, owner, scale,
        maxRanked, maxWords, resultsVisibility, code);
  }
}
