package auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the signing key comes from: configured, or generated once into the data directory and kept there. */
class AuthSecretTest {
  private static final String FILE = "auth-secret";
  private static final Tokens.Lifetimes LIFETIMES =
      new Tokens.Lifetimes(Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1));

  @TempDir
  Path dataDir;

  @Test
  void unconfiguredSecretIsGeneratedIntoTheDataDirReadableByTheOwnerOnly() throws Exception {
    byte[] secret = AuthSecret.load("", dataDir);
    assertTrue(secret.length >= AuthSecret.MIN_BYTES, "key of " + secret.length + " bytes");
    assertFalse(Arrays.equals(new byte[secret.length], secret), "the key is not all zeros");

    Path file = dataDir.resolve(FILE);
    assertTrue(Files.isRegularFile(file), "no " + file);
    assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE),
        Files.getPosixFilePermissions(file), () -> "permissions: " + permissions(file));
    assertArrayEquals(secret, Base64.getDecoder().decode(Files.readString(file, StandardCharsets.US_ASCII).strip()),
        "the file holds the key that was returned");
  }

  @Test
  void theSameKeyIsLoadedNextTime() throws Exception {
    byte[] first = AuthSecret.load("", dataDir);
    String stored = Files.readString(dataDir.resolve(FILE));
    byte[] second = AuthSecret.load("", dataDir);
    assertArrayEquals(first, second);
    assertEquals(stored, Files.readString(dataDir.resolve(FILE)), "loading again does not rewrite the file");

    // So a token minted before a restart still holds after it.
    String token = new Tokens(first, LIFETIMES, Clock.systemUTC()).organizer("alice", false);
    assertEquals(new Identity.Organizer("alice", false),
        new Tokens(AuthSecret.load("", dataDir), LIFETIMES, Clock.systemUTC()).verify(token));
  }

  /**
   * Two loaders on a fresh data dir at once (a node starting while {@code ./livepoll token} runs, or nodes sharing a
   * data dir): the one that loses the race to create the file must use the winner's key, not fail or make another.
   */
  @Test
  void concurrentFirstLoadsAllGetTheSameKey() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 100; round++) {
        Path dir = dataDir.resolve("round-" + round);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<byte[]>> loads = new ArrayList<>();
        for (int loader = 0; loader < 8; loader++) {
          loads.add(pool.submit(() -> {
            go.await();
            return AuthSecret.load("", dir);
          }));
        }
        go.countDown();
        Set<String> keys = new HashSet<>();
        for (Future<byte[]> load : loads) {
          try {
            keys.add(Base64.getEncoder().encodeToString(load.get(10, TimeUnit.SECONDS)));
          } catch (ExecutionException failed) {
            throw new AssertionError("round " + round + ": a concurrent first load failed: " + failed.getCause(),
                failed.getCause());
          }
        }
        assertEquals(1, keys.size(), "round " + round + ": concurrent loads got different keys");
        assertEquals(keys.iterator().next(), Base64.getEncoder().encodeToString(AuthSecret.load("", dir)));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void everyDataDirGetsItsOwnRandomKey() {
    byte[] here = AuthSecret.load("", dataDir.resolve("one"));
    byte[] there = AuthSecret.load("", dataDir.resolve("two"));
    assertFalse(Arrays.equals(here, there), "two generated keys are equal");
  }

  @Test
  void aMissingDataDirIsCreated() {
    Path nested = dataDir.resolve("not/yet/there");
    byte[] secret = AuthSecret.load("", nested);
    assertTrue(Files.isRegularFile(nested.resolve(FILE)));
    assertArrayEquals(secret, AuthSecret.load("", nested));
  }

  @Test
  void aKeyAlreadyInTheDataDirIsUsedAsIs() throws Exception {
    byte[] shared = new byte[40];
    Arrays.fill(shared, (byte) 7);
    Files.writeString(dataDir.resolve(FILE), Base64.getEncoder().encodeToString(shared) + "\n");
    assertArrayEquals(shared, AuthSecret.load("", dataDir));
  }

  @Test
  void aStoredKeyShorterThan32BytesIsRefused() throws Exception {
    Files.writeString(dataDir.resolve(FILE), Base64.getEncoder().encodeToString(new byte[31]));
    assertThrows(IllegalStateException.class, () -> AuthSecret.load("", dataDir));
  }

  @Test
  void configuredSecretShorterThan32BytesIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> AuthSecret.load("x".repeat(31), dataDir));
    assertThrows(IllegalArgumentException.class, () -> AuthSecret.load("short", dataDir));
    assertFalse(Files.exists(dataDir.resolve(FILE)), "a refused secret does not fall back to a generated one");
  }

  @Test
  void configuredSecretIsUsedAsIsAndNothingIsWritten() throws Exception {
    String configured = "x".repeat(32);
    assertArrayEquals(configured.getBytes(StandardCharsets.UTF_8), AuthSecret.load(configured, dataDir));
    String longer = "test-secret-for-livepoll-tests-only-0123456789";
    assertArrayEquals(longer.getBytes(StandardCharsets.UTF_8), AuthSecret.load(longer, dataDir));
    assertFalse(Files.exists(dataDir.resolve(FILE)), "a configured secret leaves the data dir alone");
  }

  /** The limit is in bytes of UTF-8, not in characters. */
  @Test
  void configuredSecretIsMeasuredInUtf8Bytes() {
    String sixteenChars = "\u00e9".repeat(16);
    assertArrayEquals(sixteenChars.getBytes(StandardCharsets.UTF_8), AuthSecret.load(sixteenChars, dataDir));
    assertThrows(IllegalArgumentException.class, () -> AuthSecret.load("\u00e9".repeat(15) + "x", dataDir));
  }

  @Test
  void aConfiguredSecretWinsOverAStoredOne() {
    byte[] stored = AuthSecret.load("", dataDir);
    String configured = "y".repeat(40);
    byte[] used = AuthSecret.load(configured, dataDir);
    assertArrayEquals(configured.getBytes(StandardCharsets.UTF_8), used);
    assertFalse(Arrays.equals(stored, used));
  }

  private static String permissions(Path file) {
    try {
      return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
