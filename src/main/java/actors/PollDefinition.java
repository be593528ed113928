package actors;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What an organizer asked for: the question, its options and the voting rules. Every rule about what a valid
 * poll and a valid ballot look like lives here, once.
 *
 * <p>{@code scale} (rating), {@code maxRanked} (ranking), {@code maxWords} (word cloud) and
 * {@code resultsVisibility} came after the first journals were written: they are null in the definitions of older
 * polls, which are all single or multiple choice with live results. Rating and word-cloud polls have no options.
 * {@code joinCode} is the code the poll was created with, null in journals written before join codes existed
 * (Jackson leaves an absent field null).
 */
public record PollDefinition(
    String question,
    List<String> options,
    Kind kind,
    int maxChoices,
    boolean allowVoteChange,
    Instant createdAt,
    Instant closesAt,
    Audience audience,
    String owner,
    RatingScale scale,
    Integer maxRanked,
    Integer maxWords,
    ResultsVisibility resultsVisibility,
    String joinCode)
    implements CborSerializable {

  public static final int MAX_QUESTION_CHARS = 500;
  public static final int MIN_OPTIONS = 2;
  public static final int MAX_OPTIONS = 32;
  public static final int MAX_OPTION_CHARS = 200;
  public static final int MAX_VOTER_ID_CHARS = 128;
  /** Invite tokens one request may ask for. */
  public static final int MAX_INVITES_PER_REQUEST = 1000;
  private static final Pattern VOTER_ID = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_VOTER_ID_CHARS + "}");

  public static final int MAX_SCALE_LABEL_CHARS = 200;

  public PollDefinition {
    options = List.copyOf(options);
  }

  /** A choice poll with live results, as every poll was before there were other kinds. */
  public PollDefinition(String question, List<String> options, Kind kind, int maxChoices, boolean allowVoteChange,
      Instant createdAt, Instant closesAt, Audience audience, String owner) {
    this(question, options, kind, maxChoices, allowVoteChange, createdAt, closesAt, audience, owner, null, null,
        null, ResultsVisibility.LIVE, null);
  }

  /** A definition without a join code, as every poll created before join codes existed. */
  public PollDefinition(String question, List<String> options, Kind kind, int maxChoices, boolean allowVoteChange,
      Instant createdAt, Instant closesAt, Audience audience, String owner, RatingScale scale, Integer maxRanked,
      Integer maxWords, ResultsVisibility resultsVisibility) {
    this(question, options, kind, maxChoices, allowVoteChange, createdAt, closesAt, audience, owner, scale, maxRanked,
        maxWords, resultsVisibility, null);
  }

  /** Who sees the counts; older polls have live results. */
  public ResultsVisibility visibility() {
    return resultsVisibility == null ? ResultsVisibility.LIVE : resultsVisibility;
  }

  /** Checks an organizer's draft and builds the definition, or says what is wrong with it. */
  public static Validated<PollDefinition> of(PollDraft draft, Instant now) {
    String question = draft.question();
    List<String> options = draft.options();
    Integer maxChoices = draft.maxChoices();
    Instant closesAt = draft.closesAt();
    if (question == null || question.isBlank()) {
      return Validated.invalid("question is required");
    }
    String trimmedQuestion = question.strip();
    if (charCount(trimmedQuestion) > MAX_QUESTION_CHARS) {
      return Validated.invalid("question must be at most " + MAX_QUESTION_CHARS + " characters");
    }
    if (!isPlainText(trimmedQuestion)) {
      return Validated.invalid("question must be valid Unicode text without control characters");
    }
    Kind effectiveKind = draft.kind() == null ? Kind.SINGLE : draft.kind();
    List<String> labels = new java.util.ArrayList<>();
    if (effectiveKind.hasOptions()) {
      Validated<List<String>> checked = labels(options);
      if (!checked.ok()) {
        return Validated.invalid(checked.problem());
      }
      labels = checked.value();
    } else if (options != null && !options.isEmpty()) {
      return Validated.invalid("a " + effectiveKind.label() + " poll has no options; leave options out");
    }
    Validated<Kinded> kinded = kinded(effectiveKind, draft, labels.size());
    if (!kinded.ok()) {
      return Validated.invalid(kinded.problem());
    }
    if (closesAt != null && !closesAt.isAfter(now)) {
      return Validated.invalid("closesAt must be in the future");
    }
    if (draft.owner() == null || draft.owner().isBlank()) {
      return Validated.invalid("a poll needs an owner");
    }
    Audience audience = draft.audience() == null ? Audience.PUBLIC : draft.audience();
    ResultsVisibility visibility = draft.resultsVisibility() == null ? ResultsVisibility.LIVE
        : draft.resultsVisibility();
    Kinded k = kinded.value();
    return Validated.valid(new PollDefinition(trimmedQuestion, labels, effectiveKind, k.maxChoices(),
        draft.allowVoteChange(), now, closesAt, audience, draft.owner(), k.scale(), k.maxRanked(), k.maxWords(),
        visibility, draft.joinCode()));
  }

  /** Option labels: trimmed, plain text, distinct case-insensitively. */
  private static Validated<List<String>> labels(List<String> options) {
    if (options == null || options.size() < MIN_OPTIONS || options.size() > MAX_OPTIONS) {
      return Validated.invalid("options must hold " + MIN_OPTIONS + " to " + MAX_OPTIONS + " labels");
    }
    Set<String> seen = new HashSet<>();
    List<String> labels = new java.util.ArrayList<>(options.size());
    for (int i = 0; i < options.size(); i++) {
      String label = options.get(i);
      if (label == null || label.isBlank()) {
        return Validated.invalid("options[" + i + "] must not be empty");
      }
      String trimmed = label.strip();
      if (charCount(trimmed) > MAX_OPTION_CHARS) {
        return Validated.invalid("options[" + i + "] must be at most " + MAX_OPTION_CHARS + " characters");
      }
      if (!isPlainText(trimmed)) {
        return Validated.invalid("options[" + i + "] must be valid Unicode text without control characters");
      }
      if (!seen.add(trimmed.toLowerCase(Locale.ROOT))) {
        return Validated.invalid("options[" + i + "] repeats an earlier option: labels must be distinct");
      }
      labels.add(trimmed);
    }
    return Validated.valid(labels);
  }

  /** The settings of one kind: each kind takes its own and refuses the others'. */
  private record Kinded(int maxChoices, RatingScale scale, Integer maxRanked, Integer maxWords) {}

  private static Validated<Kinded> kinded(Kind kind, PollDraft draft, int options) {
    String name = "a " + kind.label() + " poll";
    if (draft.maxChoices() != null && kind != Kind.SINGLE && kind != Kind.MULTIPLE) {
      return Validated.invalid("maxChoices is for multiple-choice polls, not for " + name);
    }
    if (draft.scale() != null && kind != Kind.RATING) {
      return Validated.invalid("scale is for rating polls, not for " + name);
    }
    if (draft.maxRanked() != null && kind != Kind.RANKING) {
      return Validated.invalid("maxRanked is for ranking polls, not for " + name);
    }
    if (draft.maxWords() != null && kind != Kind.WORDCLOUD) {
      return Validated.invalid("maxWords is for word-cloud polls, not for " + name);
    }
    return switch (kind) {
      case SINGLE -> draft.maxChoices() != null && draft.maxChoices() != 1
          ? Validated.invalid("maxChoices must be 1 (or absent) for a single-choice poll")
          : Validated.valid(new Kinded(1, null, null, null));
      case MULTIPLE -> {
        int max = draft.maxChoices() == null ? options : draft.maxChoices();
        yield max < 1 || max > options
            ? Validated.invalid("maxChoices must be between 1 and the number of options (" + options + ")")
            : Validated.valid(new Kinded(max, null, null, null));
      }
      case RANKING -> {
        int max = draft.maxRanked() == null ? options : draft.maxRanked();
        yield max < 1 || max > options
            ? Validated.invalid("maxRanked must be between 1 and the number of options (" + options + ")")
            : Validated.valid(new Kinded(0, null, max, null));
      }
      case RATING -> {
        Validated<RatingScale> scale = scale(draft.scale());
        yield scale.ok() ? Validated.valid(new Kinded(0, scale.value(), null, null))
            : Validated.invalid(scale.problem());
      }
      case WORDCLOUD -> {
        int max = draft.maxWords() == null ? 1 : draft.maxWords();
        yield max < 1 || max > WordCloud.MAX_WORDS_PER_BALLOT
            ? Validated.invalid("maxWords must be between 1 and " + WordCloud.MAX_WORDS_PER_BALLOT)
            : Validated.valid(new Kinded(0, null, null, max));
      }
    };
  }

  private static Validated<RatingScale> scale(RatingScale scale) {
    if (scale == null) {
      return Validated.invalid("a rating poll needs a scale: {\"min\": 1, \"max\": 5}");
    }
    if (scale.min() < 0 || scale.min() >= scale.max() || scale.points() > RatingScale.MAX_POINTS) {
      return Validated.invalid("scale needs 0 <= min < max and at most " + RatingScale.MAX_POINTS + " points");
    }
    String[] labels = {scale.minLabel(), scale.maxLabel()};
    for (int i = 0; i < labels.length; i++) {
      String field = i == 0 ? "scale.minLabel" : "scale.maxLabel";
      if (labels[i] != null) {
        String trimmed = labels[i].strip();
        if (trimmed.isEmpty() || charCount(trimmed) > MAX_SCALE_LABEL_CHARS || !isPlainText(trimmed)) {
          return Validated.invalid(field + " must be 1 to " + MAX_SCALE_LABEL_CHARS
              + " characters of text without control characters (or absent)");
        }
        labels[i] = trimmed;
      }
    }
    return Validated.valid(new RatingScale(scale.min(), scale.max(), labels[0], labels[1]));
  }

  public static boolean isValidVoterId(String voterId) {
    return voterId != null && VOTER_ID.matcher(voterId).matches();
  }

  public static String voterIdRule() {
    return "voterId must be 1 to " + MAX_VOTER_ID_CHARS + " characters of [A-Za-z0-9._:-]";
  }

  /**
   * The ballot as this poll records it, or what is wrong with it: choices in ascending order, the rating as a list
   * of one, the ranking in order of preference, or the words normalized ({@link WordCloud#normalize}). Two ballots
   * are the same ballot exactly when these are equal.
   */
  public Validated<List<?>> check(Ballot ballot) {
    if (ballot == null) {
      return Validated.invalid(fieldOfKind());
    }
    boolean[] given = {ballot.choices() != null, ballot.rating() != null, ballot.ranking() != null,
        ballot.words() != null};
    if (!given[0] && !given[1] && !given[2] && !given[3] && (kind == Kind.SINGLE || kind == Kind.MULTIPLE)) {
      return Validated.invalid("choices must name at least one option");
    }
    int expected = switch (kind) {
      case SINGLE, MULTIPLE -> 0;
      case RATING -> 1;
      case RANKING -> 2;
      case WORDCLOUD -> 3;
    };
    for (int i = 0; i < given.length; i++) {
      if (given[i] != (i == expected)) {
        return Validated.invalid(fieldOfKind());
      }
    }
    return switch (kind) {
      case SINGLE, MULTIPLE -> checkChoices(ballot.choices());
      case RATING -> scale.holds(ballot.rating())
          ? Validated.valid(List.of(ballot.rating()))
          : Validated.invalid("rating must be a whole number from " + scale.min() + " to " + scale.max());
      case RANKING -> checkRanking(ballot.ranking());
      case WORDCLOUD -> checkWords(ballot.words());
    };
  }

  private String fieldOfKind() {
    return "this is a " + kind.label() + " poll: its ballot is " + switch (kind) {
      case SINGLE, MULTIPLE -> "{\"choices\": [option indexes]}";
      case RATING -> "{\"rating\": n}";
      case RANKING -> "{\"ranking\": [option indexes, most preferred first]}";
      case WORDCLOUD -> "{\"words\": [\"...\"]}";
    } + " and nothing else";
  }

  private Validated<List<?>> checkChoices(List<Integer> choices) {
    if (choices.isEmpty()) {
      return Validated.invalid("choices must name at least one option");
    }
    if (kind == Kind.SINGLE && choices.size() != 1) {
      return Validated.invalid("this poll takes exactly one choice");
    }
    if (choices.size() > maxChoices) {
      return Validated.invalid("this poll takes at most " + maxChoices + " choices");
    }
    Optional<String> problem = problemWithIndexes("choices", choices);
    return problem.isPresent() ? Validated.invalid(problem.get())
        : Validated.valid(choices.stream().sorted().toList());
  }

  private Validated<List<?>> checkRanking(List<Integer> ranking) {
    if (ranking.isEmpty() || ranking.size() > maxRanked) {
      return Validated.invalid("ranking must name 1 to " + maxRanked + " options, most preferred first");
    }
    Optional<String> problem = problemWithIndexes("ranking", ranking);
    return problem.isPresent() ? Validated.invalid(problem.get()) : Validated.valid(List.copyOf(ranking));
  }

  private Optional<String> problemWithIndexes(String field, List<Integer> indexes) {
    Set<Integer> seen = new HashSet<>();
    for (Integer index : indexes) {
      if (index == null || index < 0 || index >= options.size()) {
        return Optional.of(field + " must be option indexes from 0 to " + (options.size() - 1));
      }
      if (!seen.add(index)) {
        return Optional.of(field + " must be distinct");
      }
    }
    return Optional.empty();
  }

  private Validated<List<?>> checkWords(List<String> words) {
    if (words.isEmpty() || words.size() > maxWords) {
      return Validated.invalid("words must hold 1 to " + maxWords + (maxWords == 1 ? " entry" : " entries"));
    }
    List<String> normalized = new java.util.ArrayList<>(words.size());
    Set<String> keys = new HashSet<>();
    for (int i = 0; i < words.size(); i++) {
      Validated<String> word = WordCloud.normalize(words.get(i));
      if (!word.ok()) {
        return Validated.invalid("words[" + i + "]: " + word.problem());
      }
      if (!keys.add(WordCloud.key(word.value()))) {
        return Validated.invalid("words[" + i + "] repeats an earlier entry: words must be distinct (ignoring case)");
      }
      normalized.add(word.value());
    }
    return Validated.valid(List.copyOf(normalized));
  }

  private static int charCount(String text) {
    return text.codePointCount(0, text.length());
  }

  /** No control characters and no lone surrogates (which no encoder, Jackson's included, can write out). */
  private static boolean isPlainText(String text) {
    return text.codePoints().noneMatch(c -> Character.isISOControl(c) || (c >= Character.MIN_SURROGATE
        && c <= Character.MAX_SURROGATE));
  }

  /** A value, or why there is none. */
  public record Validated<T>(T value, String problem) {
    public static <T> Validated<T> valid(T value) {
      return new Validated<>(value, null);
    }

    public static <T> Validated<T> invalid(String problem) {
      return new Validated<>(null, problem);
    }

    public boolean ok() {
      return problem == null;
    }
  }
}
