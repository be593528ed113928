package http;

import actors.Audience;
import actors.Kind;
import actors.RatingScale;
import actors.ResultsVisibility;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;

/** The JSON bodies the edge accepts. Only shape and types are checked here; the rules live in the poll entity. */
final class Requests {
  private Requests() {}

  record CreatePoll(
      String question,
      List<String> options,
      Kind kind,
      Integer maxChoices,
      Boolean allowVoteChange,
      String closesAt,
      Audience audience,
      Scale scale,
      Integer maxRanked,
      Integer maxWords,
      ResultsVisibility resultsVisibility) {

    /** The rating scale as asked for; null when the request has none. */
    RatingScale ratingScale() {
      if (scale == null) {
        return null;
      }
      if (scale.min() == null || scale.max() == null) {
        throw new Json.BadJson("scale needs min and max, whole numbers");
      }
      return new RatingScale(scale.min(), scale.max(), scale.minLabel(), scale.maxLabel());
    }

    /** {@code closesAt} must be an ISO-8601 string: a bare number would silently mean seconds since 1970. */
    Instant closingTime() {
      if (closesAt == null) {
        return null;
      }
      try {
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(closesAt, Instant::from);
      } catch (DateTimeParseException e) {
        throw new Json.BadJson("closesAt must be an ISO-8601 instant such as \"2030-01-01T12:00:00Z\"");
      }
    }
  }

  /** A rating poll's scale: {@code {"min": 1, "max": 5, "minLabel": "...", "maxLabel": "..."}}, labels optional. */
  record Scale(Integer min, Integer max, String minLabel, String maxLabel) {}

  /**
   * {@code voterId} is optional: the voter is the one in the token, and a different id here is refused. The ballot
   * is one of {@code choices}, {@code rating}, {@code ranking} or {@code words}, as the poll's kind asks.
   */
  record Ballot(String voterId, List<Integer> choices, Integer rating, List<Integer> ranking, List<String> words,
      Long seq) {
    actors.Ballot toBallot() {
      return new actors.Ballot(choices, rating, ranking, unicode("words", words));
    }
  }

  /** A word of a word cloud to hide or show again. */
  record HiddenWord(String text) {
    HiddenWord {
      unicode("text", text == null ? null : List.of(text));
    }
  }

  /**
   * {@code texts} as they came, if they are Unicode text. JSON may escape a lone surrogate ({@code "\\uD800"}), which
   * no encoder can write again: such a text could not even reach a poll on another node, so it is refused here.
   */
  static List<String> unicode(String field, List<String> texts) {
    if (texts != null) {
      for (String text : texts) {
        if (text != null && !text.codePoints().allMatch(c -> c < Character.MIN_SURROGATE
            || c > Character.MAX_SURROGATE)) {
          throw new Json.BadJson(field + " must be valid Unicode text: a lone surrogate cannot be written");
        }
      }
    }
    return texts;
  }

  record Invites(Integer count) {}

  /** {@code POST /api/tokens/revocations}: whose tokens to revoke (an organizer's name, a voter id). */
  record Revocation(String subject) {}

  /**
   * A frame a client sends on a live socket: {@code {"type":"ballot","choices":[0],"ref":"abc"}}, cast for the
   * socket's voter, or for the voter of {@code token} when the frame carries one (a client relaying many voters).
   */
  record SocketBallot(String type, List<Integer> choices, String ref, String token, Integer rating,
      List<Integer> ranking, List<String> words, Long seq) {
    actors.Ballot toBallot() {
      return new actors.Ballot(choices, rating, ranking, unicode("words", words));
    }
  }
}
