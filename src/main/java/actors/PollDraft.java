package actors;

import java.time.Instant;
import java.util.List;

/**
 * A poll as an organizer asks for it, not yet checked: the poll entity turns it into a {@link PollDefinition} or says
 * what is wrong with it. {@code kind}, {@code maxChoices} and {@code audience} may be null for their defaults;
 * {@code owner} is the authenticated organizer, never taken from the request body.
 */
public record PollDraft(
    String question,
    List<String> options,
    Kind kind,
    Integer maxChoices,
    boolean allowVoteChange,
    Instant closesAt,
    Audience audience,
    String owner)
    implements CborSerializable {}
