package auth;

/** Who a verified token speaks for. */
public sealed interface Identity {

  /** An organizer (or an admin, who may manage every poll). */
  record Organizer(String name, boolean admin) implements Identity {}

  /** A voter; {@code invitedTo} is the poll an invite token is bound to, or null for a public voter token. */
  record Voter(String voterId, String invitedTo) implements Identity {}
}
