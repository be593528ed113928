package auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The HMAC key that signs every token: {@code LIVEPOLL_AUTH_SECRET} when set, else a random key generated once and
 * kept in the data directory, so tokens survive restarts and {@code ./livepoll token} signs with the server's key.
 */
public final class AuthSecret {
  /** HS256 needs a key of at least 256 bits. */
  public static final int MIN_BYTES = 32;
  private static final String FILE = "auth-secret";

  private AuthSecret() {}

  public static byte[] load(String configured, Path dataDir) {
    if (!configured.isEmpty()) {
      byte[] secret = configured.getBytes(StandardCharsets.UTF_8);
      if (secret.length < MIN_BYTES) {
        throw new IllegalArgumentException("livepoll.auth.secret must be at least " + MIN_BYTES + " bytes");
      }
      return secret;
    }
    Path file = dataDir.resolve(FILE);
    try {
      Files.createDirectories(dataDir);
      if (!Files.exists(file)) {
        createOnce(file);
      }
      byte[] secret = Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).strip());
      if (secret.length < MIN_BYTES) {
        throw new IllegalStateException(file + " holds a key shorter than " + MIN_BYTES + " bytes");
      }
      return secret;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read or create the auth secret " + file, e);
    }
  }

  /** The key appears whole or not at all: written aside, then linked into place unless another process won. */
  private static void createOnce(Path file) throws IOException {
    byte[] secret = new byte[MIN_BYTES * 2];
    new SecureRandom().nextBytes(secret);
    Path aside = Files.createTempFile(file.getParent(), FILE, ".tmp",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    try {
      Files.writeString(aside, Base64.getEncoder().encodeToString(secret) + "\n", StandardCharsets.US_ASCII);
      Files.createLink(file, aside);
    } catch (FileAlreadyExistsException raced) {
      // another process created it first; use theirs
    } finally {
      Files.deleteIfExists(aside);
    }
  }
}
