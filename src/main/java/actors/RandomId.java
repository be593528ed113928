package actors;

import java.security.SecureRandom;

/** Unguessable identifiers of [a-z0-9], safe in URLs, persistence ids and voter ids. */
public final class RandomId {
  private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
  private static final SecureRandom RANDOM = new SecureRandom();

  private RandomId() {}

  public static String of(int length) {
    StringBuilder id = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      id.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return id.toString();
  }
}
