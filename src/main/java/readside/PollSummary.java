package readside;

import actors.Poll;
import actors.PollView;
import java.time.Instant;
import java.util.List;

/**
 * One poll as the catalogue lists it. {@code seq} is the poll version (its journal sequence number) the summary
 * reflects, which is what makes applying events idempotent: an event at or below it is already in.
 */
public record PollSummary(
    String pollId,
    String owner,
    String question,
    String status,
    long totalBallots,
    Instant createdAt,
    Instant closesAt,
    long seq) implements PerPollHandler.PollState<PollSummary> {

  static PollSummary created(Poll.PollCreated created) {
    var definition = created.definition();
    return new PollSummary(created.pollId(), definition.owner(), definition.question(), PollView.OPEN, 0,
        definition.createdAt(), definition.closesAt(), 1);
  }

  @Override
  public PollSummary apply(Poll.Event event, long seq) {
    long total = totalBallots;
    String newStatus = status;
    if (event instanceof Poll.PollClosed) {
      newStatus = PollView.CLOSED;
    } else if (event instanceof Poll.RoundStarted) {
      // a new round counts from zero, as the poll's view does
      total = 0;
    }
    for (Poll.BallotChange change : Poll.BallotsRecorded.of(event).map(Poll.BallotsRecorded::changes)
        .orElse(List.of())) {
      total += (change.isCast() ? 1 : 0) - (change.isRetraction() ? 1 : 0);
    }
    return new PollSummary(pollId, owner, question, newStatus, total, createdAt, closesAt, seq);
  }
}
