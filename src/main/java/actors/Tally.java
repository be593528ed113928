package actors;

import java.util.Collections;
import java.util.List;

/** Votes per option and the number of ballots behind them. Immutable: every change returns a new tally. */
public record Tally(List<Long> counts, long totalBallots) implements CborSerializable {

  public Tally {
    counts = List.copyOf(counts);
  }

  public static Tally empty(int options) {
    return new Tally(Collections.nCopies(options, 0L), 0);
  }

  /** The tally after these ballot changes, in one copy however many there are. */
  public Tally with(List<Poll.BallotChange> changes) {
    long[] next = new long[counts.size()];
    for (int i = 0; i < next.length; i++) {
      next[i] = counts.get(i);
    }
    long total = totalBallots;
    for (Poll.BallotChange change : changes) {
      if (change.previous() != null) {
        change.previous().forEach(option -> next[option]--);
        total--;
      }
      if (change.choices() != null) {
        change.choices().forEach(option -> next[option]++);
        total++;
      }
    }
    return new Tally(java.util.Arrays.stream(next).boxed().toList(), total);
  }
}
