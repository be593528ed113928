package actors;

/**
 * Who reads a poll: {@code manager} is the organizer or admin of an organizer token (null for anyone else);
 * {@code voterId} and {@code invitedTo} are the voter of a voter token and the poll its invite or sign-up is for
 * (null without one).
 */
public record Reader(Requester manager, String voterId, String invitedTo) implements CborSerializable {
  /** Someone without a token. */
  public static final Reader ANYONE = new Reader(null, null, null);

  /** Whether this reader's token admits them to {@code pollId} by name (an invite, or a sign-up through its code). */
  boolean admittedTo(String pollId) {
    return voterId != null && pollId.equals(invitedTo);
  }
}
