package actors;

import java.util.ArrayList;
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

  public Tally withBallot(List<Integer> choices) {
    return new Tally(adjusted(choices, 1), totalBallots + 1);
  }

  public Tally withoutBallot(List<Integer> choices) {
    return new Tally(adjusted(choices, -1), totalBallots - 1);
  }

  public Tally withChangedBallot(List<Integer> previous, List<Integer> choices) {
    return withoutBallot(previous).withBallot(choices);
  }

  private List<Long> adjusted(List<Integer> choices, long delta) {
    List<Long> next = new ArrayList<>(counts);
    for (int option : choices) {
      next.set(option, next.get(option) + delta);
    }
    return next;
  }
}
