package actors;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.regex.Pattern;

/** Poll identifiers: 12 random characters of [a-z0-9], about 62 bits, safe in URLs and persistence ids. */
public final class PollId {
  private static final int LENGTH = 12;
  private static final Pattern FORMAT = Pattern.compile("[a-z0-9]{" + LENGTH + "}");
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
  private static final Pattern KEY_FORMAT = Pattern.compile("[\\x21-\\x7e]{16,255}");

  private PollId() {}

  public static String newId() {
    return RandomId.of(LENGTH);
  }

  /**
   * The id of the poll that {@code owner} creates with idempotency key {@code key}: the same on every node and after
   * every restart, so that creating twice with one key names one poll (which the poll's own journal keeps). As hard
   * to guess as the key is, hence {@link #isAcceptableKey}'s minimum length.
   */
  public static String forIdempotencyKey(String owner, String key) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(
          ("livepoll poll id\n" + owner + "\n" + key).getBytes(StandardCharsets.UTF_8));
      long bits = 0;
      for (int i = 0; i < Long.BYTES; i++) {
        bits = (bits << 8) | (hash[i] & 0xff);
      }
      StringBuilder id = new StringBuilder(LENGTH);
      for (int i = 0; i < LENGTH; i++) {
        id.append(ALPHABET.charAt((int) Long.remainderUnsigned(bits, ALPHABET.length())));
        bits = Long.divideUnsigned(bits, ALPHABET.length());
      }
      return id.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** An idempotency key: 16 to 255 printable ASCII characters (a random UUID, say). */
  public static boolean isAcceptableKey(String key) {
    return key != null && KEY_FORMAT.matcher(key).matches();
  }

  /** Only well-formed ids ever reach the sharded entities, so garbage never wakes an actor. */
  public static boolean isWellFormed(String id) {
    return id != null && FORMAT.matcher(id).matches();
  }
}
