package actors;

import java.time.Instant;
import java.util.List;

/**
 * A poll as an organizer asks for it, not yet checked: the poll entity turns it into a {@link PollDefinition} or says
 * what is wrong with it. {@code kind}, {@code maxChoices} and {@code audience} may be null for their defaults;
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
    String joinCode)
    implements CborSerializable {

  /** A draft without a join code yet. */
  public PollDraft(String question, List<String> options, Kind kind, Integer maxChoices, boolean allowVoteChange,
      Instant closesAt, Audience audience, String owner) {
    this(question, options, kind, maxChoices, allowVoteChange, closesAt, audience, owner, null);
  }

  public PollDraft withJoinCode(String code) {
    return new PollDraft(question, options, kind, maxChoices, allowVoteChange, closesAt, audience, owner, code);
  }
}
