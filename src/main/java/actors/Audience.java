package actors;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Who may vote: anyone with a voter token, only voters invited to this poll by its owner, or only voters who signed
 * up through this poll's join code (or were invited).
 */
public enum Audience {
  PUBLIC,
  INVITED,
  JOINED;

  /** Whether ballots need a token bound to the poll (an invite, or a sign-up through its join code). */
  public boolean admitsByName() {
    return this != PUBLIC;
  }

  @JsonValue
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
