package actors;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A read-only picture of one poll as its entity sees it now: what every reply carries. The entity's view is its
 * owner's: {@link #seenBy} gives everyone else theirs, without hidden words, and without counts while hidden results
 * are not revealed. Fields of one kind only are left out of the others' views. {@code joinCode} is null for a poll
 * created before join codes existed.
 */
public record PollView(
    String id,
    String question,
    Kind kind,
    @JsonInclude(JsonInclude.Include.NON_NULL) Integer maxChoices,
    boolean allowVoteChange,
    Audience audience,
    @JsonInclude(JsonInclude.Include.NON_NULL) String owner,
    String status,
    Instant createdAt,
    Instant closesAt,
    Instant closedAt,
    List<OptionView> options,
    long totalBallots,
    long version,
    ResultsVisibility resultsVisibility,
    @JsonInclude(JsonInclude.Include.NON_NULL) Instant revealedAt,
    int round,
    /** True in a view whose counts are withheld from its reader; absent otherwise. */
    @JsonInclude(JsonInclude.Include.NON_NULL) Boolean resultsWithheld,
    @JsonInclude(JsonInclude.Include.NON_NULL) RatingScale scale,
    @JsonInclude(JsonInclude.Include.NON_NULL) Integer maxRanked,
    @JsonInclude(JsonInclude.Include.NON_NULL) Integer maxWords,
    @JsonInclude(JsonInclude.Include.NON_NULL) RatingResult rating,
    @JsonInclude(JsonInclude.Include.NON_NULL) List<WordCount> words,
    @JsonInclude(JsonInclude.Include.NON_NULL) List<WordCount> hiddenWords,
    // absent, not null, for a poll older than join codes: such a poll answers exactly as it always did
    @JsonInclude(JsonInclude.Include.NON_NULL) String joinCode,
    // the owner's view only: voters invited, and voters who signed up through the join code
    @JsonInclude(JsonInclude.Include.NON_NULL) Integer invited,
    @JsonInclude(JsonInclude.Include.NON_NULL) Integer votersJoined)
    implements CborSerializable {

  public static final String OPEN = "open";
  public static final String CLOSED = "closed";

  public PollView {
    options = List.copyOf(options);
  }

  /**
   * One option: its votes (single, multiple: ballots that chose it; ranking: ballots that ranked it), and for a
   * ranking its points and average place (1 = first, absent until a ballot ranks it).
   */
  public record OptionView(
      int index,
      String label,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long votes,
      @JsonInclude(JsonInclude.Include.NON_NULL) Long points,
      @JsonInclude(JsonInclude.Include.NON_NULL) Double averagePosition)
      implements CborSerializable {

    public OptionView(int index, String label, long votes) {
      this(index, label, votes, null, null);
    }

    OptionView withoutCounts() {
      return new OptionView(index, label, null, null, null);
    }
  }

  /** A rating poll's results: ballots, their average (null without ballots), ballots per point from min to max. */
  public record RatingResult(long count, Double average, List<Long> distribution) implements CborSerializable {
    public RatingResult {
      distribution = List.copyOf(distribution);
    }
  }

  /** A word of a word cloud as shown (its most frequent spelling) and the ballots that hold it. */
  public record WordCount(String text, long count) implements CborSerializable {}

  /** {@code version} is the poll's number of events so far: a later view of a poll has a higher one. */
  static PollView of(Poll.Created poll) {
    PollDefinition definition = poll.definition();
    Results results = Results.of(definition, poll.tally(), poll.hiddenWords());
    return new PollView(
        poll.pollId(),
        definition.question(),
        definition.kind(),
        definition.kind() == Kind.SINGLE || definition.kind() == Kind.MULTIPLE ? definition.maxChoices() : null,
        definition.allowVoteChange(),
        definition.audience(),
        definition.owner(),
        poll.closed() ? CLOSED : OPEN,
        definition.createdAt(),
        definition.closesAt(),
        poll.closedAt(),
        results.options(),
        poll.tally().totalBallots(),
        poll.version(),
        definition.visibility(),
        poll.revealedAt(),
        poll.round(),
        null,
        definition.scale(),
        definition.kind() == Kind.RANKING ? definition.maxRanked() : null,
        definition.kind() == Kind.WORDCLOUD ? definition.maxWords() : null,
        results.rating(),
        results.words(),
        results.hiddenWords(),
        definition.joinCode(),
        poll.admissions().invited(),
        poll.admissions().joined());
  }

  /** What one round's tally shows, in the shape of a view: options, a rating, words (visible and hidden apart). */
  record Results(List<OptionView> options, RatingResult rating, List<WordCount> words, List<WordCount> hiddenWords) {
    static Results of(PollDefinition definition, Tally tally, Map<String, String> hidden) {
      List<OptionView> options = new ArrayList<>(definition.options().size());
      for (int i = 0; i < definition.options().size(); i++) {
        String label = definition.options().get(i);
        if (tally instanceof Tally.Ranking ranking) {
          options.add(new OptionView(i, label, ranking.counts().get(i), ranking.points().get(i),
              ranking.averagePlace(i)));
        } else if (tally instanceof Tally.Choices choices) {
          options.add(new OptionView(i, label, choices.counts().get(i)));
        }
      }
      RatingResult rating = tally instanceof Tally.Rating scale ? scale.result() : null;
      List<WordCount> words = null;
      List<WordCount> hiddenWords = null;
      if (tally instanceof Tally.Words cloud) {
        words = cloud.top(WordCloud.SHOWN_WORDS, hidden.keySet());
        hiddenWords = hidden.entrySet().stream()
            .map(word -> new WordCount(word.getValue(), cloud.words().count(word.getKey())))
            .sorted(java.util.Comparator.comparing(WordCount::text))
            .toList();
      }
      return new Results(options, rating, words, hiddenWords);
    }
  }

  /** Whether a reader who is not the owner (nor an admin) sees no counts now. */
  public boolean withholdsResults() {
    return resultsVisibility == ResultsVisibility.HIDDEN && revealedAt == null;
  }

  /** The view {@code reader} may see: this one for the owner or an admin, {@link #forPublic} for anyone else. */
  public PollView seenBy(Requester reader) {
    return reader != null && reader.mayManage(owner) ? this : forPublic();
  }

  /**
   * The view of a reader who does not manage the poll: no owner's account name, no admission counts, no hidden
   * words, no counts until hidden results are revealed.
   */
  public PollView forPublic() {
    boolean withhold = withholdsResults();
    return new PollView(id, question, kind, maxChoices, allowVoteChange, audience, null, status, createdAt,
        closesAt, closedAt, withhold ? options.stream().map(OptionView::withoutCounts).toList() : options,
        totalBallots, version, resultsVisibility, revealedAt, round, withhold ? Boolean.TRUE : null, scale,
        maxRanked, maxWords, withhold ? null : rating, withhold ? null : words, null, joinCode, null, null);
  }

  /** Whether some reader sees less than the owner: then a live feed renders two frames. */
  public boolean hasPrivateParts() {
    return withholdsResults() || hiddenWords != null;
  }

  /**
   * A finished round's final results: its options (single, multiple, ranking), rating or words (the 100 most
   * frequent visible ones, and the hidden ones apart for the owner), as the owner sees them.
   */
  public record RoundView(
      int round,
      Instant endedAt,
      long totalBallots,
      List<OptionView> options,
      @JsonInclude(JsonInclude.Include.NON_NULL) Boolean resultsWithheld,
      @JsonInclude(JsonInclude.Include.NON_NULL) RatingResult rating,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<WordCount> words,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<WordCount> hiddenWords)
      implements CborSerializable {

    public RoundView {
      options = List.copyOf(options);
    }

    static RoundView of(int round, Instant endedAt, PollDefinition definition, Tally tally,
        Map<String, String> hidden) {
      Results results = Results.of(definition, tally, hidden);
      return new RoundView(round, endedAt, tally.totalBallots(), results.options(), null, results.rating(),
          results.words(), results.hiddenWords());
    }

    /**
     * The same round with its words split again by the words hidden now: a word hidden since the round ended leaves
     * the visible ones, a word shown again joins them (with the count it had when the round ended).
     */
    RoundView regrouped(Map<String, String> hidden) {
      if (words == null) {
        return this;
      }
      List<WordCount> all = new ArrayList<>(words);
      all.addAll(hiddenWords);
      java.util.Comparator<WordCount> order = java.util.Comparator.comparingLong(WordCount::count).reversed()
          .thenComparing(WordCount::text);
      List<WordCount> visible = all.stream().filter(word -> !hidden.containsKey(WordCloud.key(word.text())))
          .sorted(order).limit(WordCloud.SHOWN_WORDS).toList();
      List<WordCount> stillHidden = all.stream().filter(word -> hidden.containsKey(WordCloud.key(word.text())))
          .sorted(java.util.Comparator.comparing(WordCount::text)).toList();
      return new RoundView(round, endedAt, totalBallots, options, resultsWithheld, rating, visible, stillHidden);
    }

    /** The round as a reader who does not manage the poll sees it: no hidden words, no counts if withheld. */
    RoundView forPublic(boolean withhold) {
      return new RoundView(round, endedAt, totalBallots,
          withhold ? options.stream().map(OptionView::withoutCounts).toList() : options, withhold ? Boolean.TRUE : null,
          withhold ? null : rating, withhold ? null : words, null);
    }
  }
}
