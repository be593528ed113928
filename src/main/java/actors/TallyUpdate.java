package actors;

import java.util.List;
import org.apache.pekko.actor.DeadLetterSuppression;

/**
 * A poll's tally after a write, published once per write to the poll's cluster-wide topic for live subscribers.
 * {@code seq} is the poll's journal sequence number, so it strictly increases and a newer update always wins.
 * Updates of a poll nobody watches are dropped by design, so they are not logged as dead letters.
 *
 * <p>{@code poll} is the owner's view of the poll after the write, from which each reader's frame is made; it is
 * absent in the updates of older nodes, which carry the counts only.
 */
public record TallyUpdate(String pollId, List<Long> counts, long totalBallots, String status, long seq,
    PollView poll) implements CborSerializable, DeadLetterSuppression {

  public TallyUpdate {
    counts = List.copyOf(counts);
  }

  public TallyUpdate(String pollId, List<Long> counts, long totalBallots, String status, long seq) {
    this(pollId, counts, totalBallots, status, seq, null);
  }

  /** The name of a poll's topic, the same on every node. */
  public static String topicName(String pollId) {
    return "poll-tallies-" + pollId;
  }

  /** Status of the update that says a poll was deleted: its live sockets say so and close. */
  public static final String DELETED = "deleted";

  /** The last update of a deleted poll; newer than any other, so it always wins. */
  public static TallyUpdate gone(String pollId) {
    return new TallyUpdate(pollId, List.of(), 0, DELETED, Long.MAX_VALUE, null);
  }

  public boolean gone() {
    return DELETED.equals(status);
  }

  public static TallyUpdate of(PollView view) {
    return new TallyUpdate(view.id(), view.options().stream().map(PollView.OptionView::votes).toList(),
        view.totalBallots(), view.status(), view.version(), view);
  }
}
