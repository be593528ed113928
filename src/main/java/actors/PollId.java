package actors;

import java.security.SecureRandom;
import java.util.regex.Pattern;

/** Poll identifiers: 12 random characters of [a-z0-9], about 62 bits, safe in URLs and persistence ids. */
public final class PollId {
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
  private static final int LENGTH = 12;
  private static final Pattern FORMAT = Pattern.compile("[a-z0-9]{" + LENGTH + "}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private PollId() {}

  public static String newId() {
    StringBuilder id = new StringBuilder(LENGTH);
    for (int i = 0; i < LENGTH; i++) {
      id.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return id.toString();
  }

  /** Only well-formed ids ever reach the sharded entities, so garbage never wakes an actor. */
  public static boolean isWellFormed(String id) {
    return id != null && FORMAT.matcher(id).matches();
  }
}
