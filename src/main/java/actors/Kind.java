package actors;

import com.fasterxml.jackson.annotation.JsonValue;

/** Whether a voter picks exactly one option or up to {@code maxChoices} of them. */
public enum Kind {
  SINGLE,
  MULTIPLE;

  @JsonValue
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
