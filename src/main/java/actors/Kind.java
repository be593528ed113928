package actors;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * What a voter answers: exactly one option, up to {@code maxChoices} options, a point on a rating scale, options in
 * order of preference, or a few words of their own.
 */
public enum Kind {
  SINGLE,
  MULTIPLE,
  RATING,
  RANKING,
  WORDCLOUD;

  @JsonValue
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Whether the poll has options to choose from. */
  public boolean hasOptions() {
    return this == SINGLE || this == MULTIPLE || this == RANKING;
  }
}
