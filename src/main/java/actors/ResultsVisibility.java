package actors;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Who sees a poll's counts: everyone as they change ({@code live}), or only its owner and admins until the owner
 * reveals them ({@code hidden}); everyone else sees the question and the number of ballots.
 */
public enum ResultsVisibility {
  LIVE,
  HIDDEN;

  @JsonValue
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
