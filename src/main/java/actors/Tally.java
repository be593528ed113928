package actors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * The counts of a poll's current round, one shape per kind. Immutable: every change returns a new tally. Built by
 * replaying ballots, so a tally never checks a rule: the poll decided them before they were written.
 */
public sealed interface Tally permits Tally.Choices, Tally.Ranking, Tally.Rating, Tally.Words {

  /** Ballots counted now (retracted ones no more). */
  long totalBallots();

  /** The tally after these ballot changes, in one copy however many there are. */
  Tally with(List<Poll.BallotChange> changes);

  /** Nothing counted yet, for a poll of this definition. */
  static Tally empty(PollDefinition definition) {
    return switch (definition.kind()) {
      case SINGLE, MULTIPLE -> Choices.empty(definition.options().size());
      case RANKING -> Ranking.empty(definition.options().size());
      case RATING -> Rating.empty(definition.scale());
      case WORDCLOUD -> new Words(WordCounts.EMPTY, 0);
    };
  }

  /** Votes per option of a single- or multiple-choice poll. */
  record Choices(List<Long> counts, long totalBallots) implements Tally {
    public Choices {
      counts = List.copyOf(counts);
    }

    public static Choices empty(int options) {
      return new Choices(Collections.nCopies(options, 0L), 0);
    }

    @Override
    public Choices with(List<Poll.BallotChange> changes) {
      long[] next = toArray(counts);
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
      return new Choices(toList(next), total);
    }
  }

  /**
   * A ranking poll: per option, the ballots that ranked it, its points (with n options first place earns n, second
   * n - 1, ...) and the sum of the places it was given (1 = first), for its average place.
   */
  record Ranking(List<Long> counts, List<Long> points, List<Long> placeSums, long totalBallots) implements Tally {
    public Ranking {
      counts = List.copyOf(counts);
      points = List.copyOf(points);
      placeSums = List.copyOf(placeSums);
    }

    static Ranking empty(int options) {
      List<Long> zeros = Collections.nCopies(options, 0L);
      return new Ranking(zeros, zeros, zeros, 0);
    }

    @Override
    public Ranking with(List<Poll.BallotChange> changes) {
      long[] ranked = toArray(counts);
      long[] earned = toArray(points);
      long[] places = toArray(placeSums);
      long total = totalBallots;
      for (Poll.BallotChange change : changes) {
        if (change.previous() != null) {
          count(change.previous(), -1, ranked, earned, places);
          total--;
        }
        if (change.choices() != null) {
          count(change.choices(), 1, ranked, earned, places);
          total++;
        }
      }
      return new Ranking(toList(ranked), toList(earned), toList(places), total);
    }

    private static void count(List<Integer> ranking, int sign, long[] ranked, long[] earned, long[] places) {
      for (int place = 1; place <= ranking.size(); place++) {
        int option = ranking.get(place - 1);
        ranked[option] += sign;
        earned[option] += sign * (long) (ranked.length - place + 1);
        places[option] += sign * (long) place;
      }
    }

    /** The option's average place among the ballots that ranked it; null if none did. */
    Double averagePlace(int option) {
      return counts.get(option) == 0 ? null : (double) placeSums.get(option) / counts.get(option);
    }
  }

  /** A rating poll: ballots per point of the scale, from its minimum up. */
  record Rating(int min, List<Long> distribution, long totalBallots) implements Tally {
    public Rating {
      distribution = List.copyOf(distribution);
    }

    static Rating empty(RatingScale scale) {
      return new Rating(scale.min(), Collections.nCopies(scale.max() - scale.min() + 1, 0L), 0);
    }

    @Override
    public Rating with(List<Poll.BallotChange> changes) {
      long[] next = toArray(distribution);
      long total = totalBallots;
      for (Poll.BallotChange change : changes) {
        if (change.previous() != null) {
          next[change.previous().get(0) - min]--;
          total--;
        }
        if (change.choices() != null) {
          next[change.choices().get(0) - min]++;
          total++;
        }
      }
      return new Rating(min, toList(next), total);
    }

    /** Ballots, their average rating (null without ballots) and ballots per point. */
    PollView.RatingResult result() {
      long sum = 0;
      for (int i = 0; i < distribution.size(); i++) {
        sum += (min + i) * distribution.get(i);
      }
      return new PollView.RatingResult(totalBallots, totalBallots == 0 ? null : (double) sum / totalBallots,
          distribution);
    }
  }

  /** A word cloud: ballots per word (case-insensitively), bounded by the poll's cap on distinct words. */
  record Words(WordCounts words, long totalBallots) implements Tally {
    @Override
    public Words with(List<Poll.BallotChange> changes) {
      WordCounts next = words;
      long total = totalBallots;
      for (Poll.BallotChange change : changes) {
        if (change.previousWords() != null) {
          next = next.minus(change.previousWords());
          total--;
        }
        if (change.words() != null) {
          next = next.plus(change.words());
          total++;
        }
      }
      return new Words(next, total);
    }

    /** The {@code limit} most frequent words whose keys {@code leaveOut} does not hold, most frequent first. */
    List<PollView.WordCount> top(int limit, Set<String> leaveOut) {
      Comparator<PollView.WordCount> order = Comparator.comparingLong(PollView.WordCount::count).reversed()
          .thenComparing(PollView.WordCount::text);
      PriorityQueue<PollView.WordCount> best = new PriorityQueue<>(limit + 1, order.reversed());
      words.forEach((key, shown, count) -> {
        if (!leaveOut.contains(key)) {
          best.add(new PollView.WordCount(shown, count));
          if (best.size() > limit) {
            best.poll();
          }
        }
      });
      List<PollView.WordCount> top = new ArrayList<>(best);
      top.sort(order);
      return top;
    }
  }

  private static long[] toArray(List<Long> counts) {
    long[] array = new long[counts.size()];
    for (int i = 0; i < array.length; i++) {
      array[i] = counts.get(i);
    }
    return array;
  }

  private static List<Long> toList(long[] counts) {
    return Arrays.stream(counts).boxed().toList();
  }
}
