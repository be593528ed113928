package auth;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Minting and verifying tokens: round trips of every kind, and every reason a token is refused. */
class TokensTest {
  /** 64 bytes: long enough that nimbus itself would accept HS384 and HS512 with it, so only Tokens can refuse them. */
  private static final byte[] SECRET =
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] OTHER_KEY =
      "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210".getBytes(StandardCharsets.US_ASCII);
  /** Whole seconds, as JWT times are. */
  private static final Instant NOW = Instant.parse("2030-06-01T12:00:00Z");
  private static final Tokens.Lifetimes LIFETIMES =
      new Tokens.Lifetimes(Duration.ofHours(1), Duration.ofHours(2), Duration.ofHours(3));
  private static final String POLL_ID = "abcdefabcdef";

  private static Tokens at(Instant instant) {
    return new Tokens(SECRET, LIFETIMES, Clock.fixed(instant, ZoneOffset.UTC));
  }

  private static final Tokens TOKENS = at(NOW);

  // ---------------------------------------------------------------------------------------------------- round trips

  @Test
  void organizerTokenRoundTrips() throws Exception {
    assertEquals(new Identity.Organizer("alice", false), TOKENS.verify(TOKENS.organizer("alice", false)));
  }

  @Test
  void adminTokenRoundTrips() throws Exception {
    assertEquals(new Identity.Organizer("root@example.org", true),
        TOKENS.verify(TOKENS.organizer("root@example.org", true)));
  }

  @Test
  void voterTokenRoundTripsWithAFreshVoterId() throws Exception {
    Tokens.VoterToken voter = TOKENS.newVoter();
    assertTrue(voter.voterId().matches("[A-Za-z0-9._:-]{1,128}"), "voterId: " + voter.voterId());
    assertEquals(new Identity.Voter(voter.voterId(), null), TOKENS.verify(voter.token()));
    assertNotEquals(voter.voterId(), TOKENS.newVoter().voterId(), "every new voter is another voter");
  }

  @Test
  void inviteTokenRoundTripsBoundToItsPoll() throws Exception {
    Tokens.VoterToken invitee = TOKENS.newInvitee(POLL_ID);
    assertTrue(invitee.voterId().matches("[A-Za-z0-9._:-]{1,128}"), "voterId: " + invitee.voterId());
    assertEquals(new Identity.Voter(invitee.voterId(), POLL_ID), TOKENS.verify(invitee.token()));
    Tokens.VoterToken another = TOKENS.newInvitee(POLL_ID);
    assertNotEquals(invitee.voterId(), another.voterId(), "every invite is another voter");
    assertNotEquals(TOKENS.newVoter().voterId(), invitee.voterId());
  }

  @Test
  void mintedTokensAreHs256FromLivepollWithTheirKind() throws Exception {
    for (String token : List.of(TOKENS.organizer("alice", false), TOKENS.organizer("root", true),
        TOKENS.newVoter().token(), TOKENS.newInvitee(POLL_ID).token())) {
      SignedJWT jwt = SignedJWT.parse(token);
      assertEquals(JWSAlgorithm.HS256, jwt.getHeader().getAlgorithm());
      assertEquals("livepoll", jwt.getJWTClaimsSet().getIssuer());
    }
    assertEquals("organizer", SignedJWT.parse(TOKENS.organizer("a", false)).getJWTClaimsSet().getClaim("kind"));
    assertEquals("admin", SignedJWT.parse(TOKENS.organizer("a", true)).getJWTClaimsSet().getClaim("kind"));
    assertEquals("voter", SignedJWT.parse(TOKENS.newVoter().token()).getJWTClaimsSet().getClaim("kind"));
    assertEquals("invite", SignedJWT.parse(TOKENS.newInvitee(POLL_ID).token()).getJWTClaimsSet().getClaim("kind"));
  }

  @Test
  void anotherTokensWithTheSameSecretVerifiesTheTokens() throws Exception {
    Tokens elsewhere = new Tokens(SECRET.clone(), LIFETIMES, Clock.fixed(NOW, ZoneOffset.UTC));
    assertEquals(new Identity.Organizer("alice", false), elsewhere.verify(TOKENS.organizer("alice", false)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"a", "Alice.Smith_1@example-org", "0123456789012345678901234567890123456789012345678901234567890123"})
  void validOrganizerNamesAreMinted(String name) throws Exception {
    assertEquals(new Identity.Organizer(name, false), TOKENS.verify(TOKENS.organizer(name, false)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "has space", "a/b", "\u00e9", "line\nbreak",
      "01234567890123456789012345678901234567890123456789012345678901234"})
  void invalidOrganizerNamesAreNotMinted(String name) {
    assertThrows(IllegalArgumentException.class, () -> TOKENS.organizer(name, false));
    assertThrows(IllegalArgumentException.class, () -> TOKENS.organizer(name, true));
  }

  @Test
  void nullOrganizerNameIsNotMinted() {
    assertThrows(IllegalArgumentException.class, () -> TOKENS.organizer(null, false));
  }

  @Test
  void secretShorterThan256BitsIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> new Tokens(new byte[31], LIFETIMES, Clock.fixed(NOW, ZoneOffset.UTC)));
  }

  // ------------------------------------------------------------------------------------------------------ expiry

  /** Each kind lives as long as its own lifetime says: valid a second before, expired at the instant. */
  @Test
  void eachKindExpiresAfterItsOwnLifetime() throws Exception {
    String organizer = TOKENS.organizer("alice", false);
    String admin = TOKENS.organizer("root", true);
    String voter = TOKENS.newVoter().token();
    String invite = TOKENS.newInvitee(POLL_ID).token();
    assertValidUntil(organizer, NOW.plus(LIFETIMES.organizer()));
    assertValidUntil(admin, NOW.plus(LIFETIMES.organizer()));
    assertValidUntil(voter, NOW.plus(LIFETIMES.voter()));
    assertValidUntil(invite, NOW.plus(LIFETIMES.invite()));
  }

  private static void assertValidUntil(String token, Instant expiry) throws Exception {
    at(expiry.minusSeconds(1)).verify(token);
    assertRefused(at(expiry), token, "expired");
    assertRefused(at(expiry.plus(Duration.ofDays(365))), token, "expired");
  }

  @Test
  void tokenMintedTwoDaysAgoWithAnHourToLiveIsRefused() {
    Tokens twoDaysAgo = at(NOW.minus(Duration.ofDays(2)));
    assertRefused(TOKENS, twoDaysAgo.organizer("alice", false), "expired");
    assertRefused(TOKENS, twoDaysAgo.organizer("root", true), "expired");
    assertRefused(TOKENS, twoDaysAgo.newVoter().token(), "expired");
    assertRefused(TOKENS, twoDaysAgo.newInvitee(POLL_ID).token(), "expired");
  }

  @Test
  void tokenWithoutExpiryIsRefused() {
    assertRefused(TOKENS, hs256(claims("alice", "organizer").expirationTime(null).build()), "expired");
  }

  // --------------------------------------------------------------------------------------------------- rejections

  @ParameterizedTest
  @ValueSource(strings = {"", "not-a-jwt", "a.b.c", "a.b", "...", "eyJ.eyJ.eyJ", "Bearer x", "\u00e9.\u00e9.\u00e9"})
  void somethingThatIsNotAJwtIsRefused(String token) {
    assertRefused(TOKENS, token, null);
  }

  @Test
  void unsignedJwtWithoutSignaturePartIsRefused() {
    String unsigned = ForgedTokens.unsigned(claims("alice", "admin").build());
    assertRefused(TOKENS, unsigned, null);
    assertRefused(TOKENS, unsigned.substring(0, unsigned.length() - 1), null);
  }

  @Test
  void tokenSignedWithAnotherKeyIsRefused() {
    assertRefused(TOKENS, ForgedTokens.hmac("HS256", OTHER_KEY, claims("alice", "organizer").build()), "signature");
    assertRefused(at(NOW), new Tokens(OTHER_KEY, LIFETIMES, Clock.fixed(NOW, ZoneOffset.UTC)).newVoter().token(),
        "signature");
  }

  @Test
  void tokenWithAlteredClaimsIsRefused() {
    String organizer = TOKENS.organizer("bob", false);
    assertRefused(TOKENS, ForgedTokens.withClaims(organizer, claims("bob", "admin").build()), "signature");
  }

  @Test
  void tokenWithAnEmptySignatureIsRefused() {
    String token = TOKENS.organizer("alice", false);
    assertRefused(TOKENS, token.substring(0, token.lastIndexOf('.') + 1), null);
  }

  /** Signed with nimbus's own signer and the right 64-byte secret, so only the algorithm is wrong. */
  @ParameterizedTest
  @ValueSource(strings = {"HS384", "HS512"})
  void tokenSignedWithTheRightSecretButAnotherAlgorithmIsRefused(String alg) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.parse(alg)), claims("alice", "admin").build());
    jwt.sign(new MACSigner(SECRET));
    assertRefused(TOKENS, jwt.serialize(), "algorithm");
    // The same, computed by hand, for good measure.
    assertRefused(TOKENS, ForgedTokens.hmac(alg, SECRET, claims("alice", "admin").build()), "algorithm");
  }

  /** A header naming extensions the verifier must understand (RFC 7515, 4.1.11), correctly signed: refused. */
  @Test
  void tokenWithCriticalHeaderParametersIsRefused() {
    String claims = claims("alice", "admin").build().toString();
    assertRefused(TOKENS, ForgedTokens.hmac("HS256", "{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}",
        SECRET, claims), "critical");
    // the same claims under a plain header of the same algorithm pass: only the header was refused
    assertEquals(new Identity.Organizer("alice", true),
        assertDoesNotThrow(() -> TOKENS.verify(ForgedTokens.hmac("HS256", "{\"alg\":\"HS256\"}", SECRET, claims))));
  }

  @Test
  void tokenFromAnotherIssuerIsRefused() {
    assertRefused(TOKENS, hs256(claims("alice", "organizer").issuer("elsewhere").build()), "issued");
    assertRefused(TOKENS, hs256(claims("alice", "organizer").issuer("Livepoll").build()), "issued");
    assertRefused(TOKENS, hs256(claims("alice", "organizer").issuer(null).build()), "issued");
  }

  @Test
  void tokenWithoutKindIsRefused() {
    assertRefused(TOKENS, hs256(claims("alice", null).build()), "kind");
  }

  @ParameterizedTest
  @ValueSource(strings = {"superuser", "ADMIN", "Organizer", "", " voter", "invite "})
  void tokenWithUnknownKindIsRefused(String kind) {
    assertRefused(TOKENS, hs256(claims("alice", kind).build()), "kind");
  }

  @Test
  void tokenWithNonStringKindIsRefused() {
    assertRefused(TOKENS, hs256(claims("alice", null).claim("kind", 3).build()), "kind");
    assertRefused(TOKENS, hs256(claims("alice", null).claim("kind", List.of("admin")).build()), "kind");
  }

  @Test
  void tokenWithoutSubjectIsRefused() {
    assertRefused(TOKENS, hs256(claims(null, "organizer").build()), "subject");
    assertRefused(TOKENS, hs256(claims("", "voter").build()), "subject");
  }

  @Test
  void inviteWithoutPollIsRefused() {
    assertRefused(TOKENS, hs256(claims("i1", "invite").build()), "poll");
    assertRefused(TOKENS, hs256(claims("i1", "invite").claim("poll", 7).build()), "poll");
  }

  /** Correctly signed, but the payload is no claims set the server would write: refused, never an exception. */
  @ParameterizedTest
  @ValueSource(strings = {
      "", "null", "[]", "42", "\"text\"", "not json", "{", "{\"iss\":\"livepoll\"",
      "{\"iss\":\"livepoll\",\"sub\":\"v1\",\"kind\":\"voter\",\"exp\":\"tomorrow\"}",
      "{\"iss\":[\"livepoll\"],\"sub\":\"v1\",\"kind\":\"voter\",\"exp\":$exp}",
      "{\"iss\":\"livepoll\",\"sub\":[\"v1\"],\"kind\":\"voter\",\"exp\":$exp}",
      "{\"iss\":\"livepoll\",\"sub\":\"v1\",\"kind\":null,\"exp\":$exp}",
      "{\"iss\":\"livepoll\",\"sub\":\"v1\",\"kind\":{},\"exp\":$exp}",
      "{\"iss\":\"livepoll\",\"sub\":\"i1\",\"kind\":\"invite\",\"poll\":{},\"exp\":$exp}",
      "{\"iss\":\"livepoll\",\"sub\":\"i1\",\"kind\":\"invite\",\"poll\":null,\"exp\":$exp}",
      "{\"iss\":\"livepoll\",\"sub\":\"v1\",\"kind\":\"voter\",\"exp\":-1}",
      "{\"iss\":\"livepoll\",\"sub\":\"v1\",\"kind\":\"voter\",\"exp\":1e300}",
      "{\"iss\":\"livepoll\",\"sub\":\"v1\",\"kind\":\"voter\",\"exp\":99999999999999999999999}",
      "{\"iss\":\"livepoll\",\"sub\":\"v1\",\"kind\":\"voter\",\"exp\":true}"})
  void signedTokenWithUnreadableOrIllTypedClaimsIsRefused(String payload) {
    String exp = String.valueOf(NOW.plus(Duration.ofHours(1)).getEpochSecond());
    assertRefused(TOKENS, ForgedTokens.hmac("HS256", SECRET, payload.replace("$exp", exp)), null);
  }

  /** The forger is sound: with the right key, algorithm and claims its tokens are accepted. */
  @Test
  void handMadeTokenWithEverythingRightIsAccepted() throws Exception {
    assertEquals(new Identity.Organizer("alice", true), TOKENS.verify(hs256(claims("alice", "admin").build())));
    assertEquals(new Identity.Voter("i1", POLL_ID),
        TOKENS.verify(hs256(claims("i1", "invite").claim("poll", POLL_ID).build())));
  }

  // ---------------------------------------------------------------------------------------------------- helpers

  /** Valid claims as of {@link #NOW}; {@code kind} null leaves the claim out. */
  private static JWTClaimsSet.Builder claims(String subject, String kind) {
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
        .issuer("livepoll")
        .subject(subject)
        .issueTime(Date.from(NOW))
        .expirationTime(Date.from(NOW.plus(Duration.ofHours(1))));
    return kind == null ? claims : claims.claim("kind", kind);
  }

  private static String hs256(JWTClaimsSet claims) {
    return ForgedTokens.hmac("HS256", SECRET, claims);
  }

  /** {@code token} is refused with a reason that mentions {@code reason} (any reason when null). */
  private static void assertRefused(Tokens tokens, String token, String reason) {
    Tokens.InvalidToken refused = assertThrows(Tokens.InvalidToken.class, () -> tokens.verify(token),
        () -> "accepted: " + token);
    String message = refused.getMessage();
    assertTrue(message != null && !message.isBlank(), "a refusal says why");
    if (reason != null) {
      assertTrue(message.toLowerCase(Locale.ROOT).contains(reason), () -> "reason: " + message);
    }
  }
}
