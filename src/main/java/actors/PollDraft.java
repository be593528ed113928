package actors;

import java.time.Instant;
import java.util.List;

/**
 * A poll as an organizer asks for it, not yet checked: the poll entity turns it into a {@link PollDefinition} or says
 * what is wrong with it. {@code kind} and {@code maxChoices} may be null for their defaults.
 */
public record PollDraft(
    String question,
    List<String> options,
    Kind kind,
    Integer maxChoices,
    boolean allowVoteChange,
    Instant closesAt)
    implements CborSerializable {}
