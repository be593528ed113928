package actors;

import com.fasterxml.jackson.annotation.JsonValue;

/** Who may vote: anyone with a voter token, or only voters invited to this poll by its owner. */
public enum Audience {
  PUBLIC,
  INVITED;

  @JsonValue
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
