package auth;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/** A token issued before its subject's not-before is refused; later ones, and other subjects', hold. */
class TokensRevocationTest {
  private static final byte[] SECRET = "a-test-secret-of-at-least-32-bytes!!".getBytes(StandardCharsets.UTF_8);
  private static final Tokens.Lifetimes LIFETIMES =
      new Tokens.Lifetimes(Duration.ofHours(12), Duration.ofHours(24), Duration.ofDays(7));
  private static final Instant T0 = Instant.parse("2026-11-30T08:00:00Z");

  private final Map<String, Instant> notBefore = new ConcurrentHashMap<>();

  private Tokens at(Instant now) {
    return new Tokens(SECRET, LIFETIMES, Clock.fixed(now, ZoneOffset.UTC), notBefore::get);
  }

  @Test
  void tokensIssuedBeforeTheirSubjectsNotBeforeAreRevoked() {
    String old = at(T0).organizer("alice", false);
    String admin = at(T0).organizer("alice", true);
    String bob = at(T0).organizer("bob", false);
    Tokens.VoterToken voter = at(T0).newVoter();

    notBefore.put("alice", T0.plusSeconds(60));
    notBefore.put(voter.voterId(), T0.plusSeconds(60));

    Tokens later = at(T0.plusSeconds(61));
    assertEquals("the token was revoked", assertThrows(Tokens.InvalidToken.class, () -> later.verify(old))
        .getMessage());
    assertThrows(Tokens.InvalidToken.class, () -> later.verify(admin), "an admin token of the subject too");
    assertThrows(Tokens.InvalidToken.class, () -> later.verify(voter.token()), "a voter's token too");
    assertDoesNotThrow(() -> later.verify(bob), "another subject's token holds");
    assertDoesNotThrow(() -> later.verify(later.organizer("alice", false)), "a token minted afterwards holds");
  }

  @Test
  void verifyingFullyTellsWhenATokenWasIssuedAndExpires() throws Exception {
    Tokens.Verified verified = at(T0).verifyFully(at(T0).newVoter().token());
    assertEquals(T0, verified.issuedAt());
    assertEquals(T0.plus(Duration.ofHours(24)), verified.expiresAt());
  }

  /** What a live socket re-checks: the expiry and the revocation list, the same rules as a full verification. */
  @Test
  void aVerifiedTokenStillHoldsUntilItExpiresOrItsSubjectIsRevoked() throws Exception {
    Tokens.Verified voter = at(T0).verifyFully(at(T0).newVoter().token());
    Tokens.Verified organizer = at(T0).verifyFully(at(T0).organizer("carol", false));
    assertDoesNotThrow(() -> at(T0.plusSeconds(60)).stillHolds(voter));

    assertEquals("the token has expired", assertThrows(Tokens.InvalidToken.class,
        () -> at(T0.plus(Duration.ofHours(24))).stillHolds(voter)).getMessage());
    assertDoesNotThrow(() -> at(T0.plus(Duration.ofHours(24)).minusMillis(1)).stillHolds(voter));

    notBefore.put("carol", T0.plusSeconds(60));
    assertEquals("the token was revoked", assertThrows(Tokens.InvalidToken.class,
        () -> at(T0.plusSeconds(61)).stillHolds(organizer)).getMessage());
    assertDoesNotThrow(() -> at(T0.plusSeconds(61)).stillHolds(voter), "another subject's token holds");
  }

  @Test
  void organizerTokensLiveTwelveHoursByDefault() {
    assertEquals(Duration.ofHours(12), com.typesafe.config.ConfigFactory.load()
        .getDuration("livepoll.auth.organizer-token-ttl"));
  }
}
