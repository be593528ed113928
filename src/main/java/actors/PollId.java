package actors;

import java.util.regex.Pattern;

/** Poll identifiers: 12 random characters of [a-z0-9], about 62 bits, safe in URLs and persistence ids. */
public final class PollId {
  private static final int LENGTH = 12;
  private static final Pattern FORMAT = Pattern.compile("[a-z0-9]{" + LENGTH + "}");

  private PollId() {}

  public static String newId() {
    return RandomId.of(LENGTH);
  }

  /** Only well-formed ids ever reach the sharded entities, so garbage never wakes an actor. */
  public static boolean isWellFormed(String id) {
    return id != null && FORMAT.matcher(id).matches();
  }
}
