package actors;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A read-only picture of one poll as its entity sees it now: what every reply carries. {@code joinCode} is null for a
 * poll created before join codes existed.
 */
public record PollView(
    String id,
    String question,
    Kind kind,
    int maxChoices,
    boolean allowVoteChange,
    Audience audience,
    String owner,
    String status,
    Instant createdAt,
    Instant closesAt,
    Instant closedAt,
    List<OptionView> options,
    long totalBallots,
    long version,
    // absent, not null, for a poll older than join codes: such a poll answers exactly as it always did
    @JsonInclude(JsonInclude.Include.NON_NULL) String joinCode)
    implements CborSerializable {

  public static final String OPEN = "open";
  public static final String CLOSED = "closed";

  public PollView {
    options = List.copyOf(options);
  }

  /** One option with its current number of votes. */
  public record OptionView(int index, String label, long votes) implements CborSerializable {}

  /** {@code version} is the poll's number of events so far: a later view of a poll has a higher one. */
  static PollView of(String id, PollDefinition definition, Tally tally, Instant closedAt, long version) {
    List<OptionView> options = new ArrayList<>(definition.options().size());
    for (int i = 0; i < definition.options().size(); i++) {
      options.add(new OptionView(i, definition.options().get(i), tally.counts().get(i)));
    }
    return new PollView(
        id,
        definition.question(),
        definition.kind(),
        definition.maxChoices(),
        definition.allowVoteChange(),
        definition.audience(),
        definition.owner(),
        closedAt == null ? OPEN : CLOSED,
        definition.createdAt(),
        definition.closesAt(),
        closedAt,
        options,
        tally.totalBallots(),
        version,
        definition.joinCode());
  }
}
