package actors;

import java.util.List;

/**
 * A ballot as a voter sends it, not yet checked: the one field of its poll's kind is set ({@code choices} for single
 * and multiple choice, {@code rating}, {@code ranking}: option indexes in order of preference, {@code words}).
 * {@link PollDefinition#check} turns it into the form the poll records, or says what is wrong with it.
 */
public record Ballot(List<Integer> choices, Integer rating, List<Integer> ranking, List<String> words) {

  public static Ballot ofChoices(List<Integer> choices) {
    return new Ballot(choices, null, null, null);
  }

  public static Ballot ofRating(int rating) {
    return new Ballot(null, rating, null, null);
  }

  public static Ballot ofRanking(List<Integer> ranking) {
    return new Ballot(null, null, ranking, null);
  }

  public static Ballot ofWords(List<String> words) {
    return new Ballot(null, null, null, words);
  }
}
