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
 * poll and a valid ballot look like lives here, once. {@code joinCode} is the code the poll was created with, null
 * in journals written before join codes existed (Jackson leaves an absent field null).
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

  public PollDefinition {
    options = List.copyOf(options);
  }

  /** A definition without a join code, as every poll created before join codes existed. */
  public PollDefinition(String question, List<String> options, Kind kind, int maxChoices, boolean allowVoteChange,
      Instant createdAt, Instant closesAt, Audience audience, String owner) {
    this(question, options, kind, maxChoices, allowVoteChange, createdAt, closesAt, audience, owner, null);
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
    Kind effectiveKind = draft.kind() == null ? Kind.SINGLE : draft.kind();
    int effectiveMax;
    if (effectiveKind == Kind.SINGLE) {
      if (maxChoices != null && maxChoices != 1) {
        return Validated.invalid("maxChoices must be 1 (or absent) for a single-choice poll");
      }
      effectiveMax = 1;
    } else {
      effectiveMax = maxChoices == null ? labels.size() : maxChoices;
      if (effectiveMax < 1 || effectiveMax > labels.size()) {
        return Validated.invalid("maxChoices must be between 1 and the number of options (" + labels.size() + ")");
      }
    }
    if (closesAt != null && !closesAt.isAfter(now)) {
      return Validated.invalid("closesAt must be in the future");
    }
    if (draft.owner() == null || draft.owner().isBlank()) {
      return Validated.invalid("a poll needs an owner");
    }
    Audience audience = draft.audience() == null ? Audience.PUBLIC : draft.audience();
    return Validated.valid(new PollDefinition(trimmedQuestion, labels, effectiveKind, effectiveMax,
        draft.allowVoteChange(), now, closesAt, audience, draft.owner(), draft.joinCode()));
  }

  public static boolean isValidVoterId(String voterId) {
    return voterId != null && VOTER_ID.matcher(voterId).matches();
  }

  public static String voterIdRule() {
    return "voterId must be 1 to " + MAX_VOTER_ID_CHARS + " characters of [A-Za-z0-9._:-]";
  }

  /** Says what is wrong with a ballot's choices, if anything. */
  public Optional<String> problemWithChoices(List<Integer> choices) {
    if (choices == null || choices.isEmpty()) {
      return Optional.of("choices must name at least one option");
    }
    if (kind == Kind.SINGLE && choices.size() != 1) {
      return Optional.of("this poll takes exactly one choice");
    }
    if (choices.size() > maxChoices) {
      return Optional.of("this poll takes at most " + maxChoices + " choices");
    }
    Set<Integer> seen = new HashSet<>();
    for (Integer choice : choices) {
      if (choice == null || choice < 0 || choice >= options.size()) {
        return Optional.of("choices must be option indexes from 0 to " + (options.size() - 1));
      }
      if (!seen.add(choice)) {
        return Optional.of("choices must be distinct");
      }
    }
    return Optional.empty();
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
    static <T> Validated<T> valid(T value) {
      return new Validated<>(value, null);
    }

    static <T> Validated<T> invalid(String problem) {
      return new Validated<>(null, problem);
    }

    public boolean ok() {
      return problem == null;
    }
  }
}
