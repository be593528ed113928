package auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import actors.RandomId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.text.ParseException;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Mints and checks the signed tokens (JWT, HS256) of organizers, admins and voters.
 *
 * <p>Verification accepts exactly the configured algorithm with a valid signature, issuer, kind and unexpired
 * expiry; everything else (alg none, other algorithms, forged or expired tokens) is refused with the reason.
 */
public final class Tokens {
  private static final String ISSUER = "livepoll";
  private static final String KIND = "kind";
  private static final String POLL = "poll";
  private static final Pattern ORGANIZER_NAME = Pattern.compile("[A-Za-z0-9._@-]{1,64}");
  /** The header of every token Livepoll mints, as it appears in the token. */
  private static final String MINTED_HEADER = new JWSHeader(JWSAlgorithm.HS256).toBase64URL().toString();
  private static final String UNREADABLE_CLAIMS = "the token's claims are unreadable";
  /** HS256 keys have at least 256 bits (RFC 7518, section 3.2). */
  private static final int MIN_SECRET_BYTES = 32;
  private static final ObjectReader CLAIMS_READER = new ObjectMapper().reader();

  /** The kinds of token, as written in the {@code kind} claim. */
  public enum Kind {
    ORGANIZER, ADMIN, VOTER, INVITE;

    String claim() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A voter id minted together with the token that proves it. */
  public record VoterToken(String voterId, String token) {}

  /** Lifetimes of each kind of token. */
  public record Lifetimes(Duration organizer, Duration voter, Duration invite) {}

  /** A verified token: who it speaks for, and when it was issued and expires. */
  public record Verified(Identity identity, String subject, Instant issuedAt, Instant expiresAt) {}

  /**
   * When each subject's tokens start to count again: a token issued before its subject's {@code notBefore} is
   * revoked. Null: none of the subject's tokens is revoked.
   */
  @FunctionalInterface
  public interface Revocations {
    Revocations NONE = subject -> null;

    Instant notBefore(String subject);
  }

  /** A token that does not hold: the reason is safe to show to the client. */
  public static final class InvalidToken extends Exception {
    InvalidToken(String reason) {
      super(reason, null, false, false);
    }
  }

  private final byte[] secret;
  private final Lifetimes lifetimes;
  private final Clock clock;
  /** HMAC-SHA256 under the secret, one instance per thread (a {@link Mac} is not thread-safe, and cheap to reuse). */
  private final ThreadLocal<Mac> hmac;
  private final Revocations revocations;

  public Tokens(byte[] secret, Lifetimes lifetimes, Clock clock) {
    this(secret, lifetimes, clock, Revocations.NONE);
  }

  /** Tokens whose subject was revoked after they were issued are refused as {@code revocations} says. */
  public Tokens(byte[] secret, Lifetimes lifetimes, Clock clock, Revocations revocations) {
    this.revocations = revocations;
    this.secret = secret.clone();
    this.lifetimes = lifetimes;
    this.clock = clock;
    if (this.secret.length < MIN_SECRET_BYTES) {
      throw new IllegalArgumentException("the auth secret is not a valid HS256 key: it must have at least 256 bits");
    }
    SecretKeySpec key = new SecretKeySpec(this.secret, "HmacSHA256");
    this.hmac = ThreadLocal.withInitial(() -> {
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(key);
        return mac;
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HMAC-SHA256 is not available", e);
      }
    });
  }

  public static boolean isValidOrganizerName(String name) {
    return name != null && ORGANIZER_NAME.matcher(name).matches();
  }

  public String organizer(String name, boolean admin) {
    if (!isValidOrganizerName(name)) {
      throw new IllegalArgumentException("an organizer name is 1 to 64 characters of [A-Za-z0-9._@-]");
    }
    return sign(name, admin ? Kind.ADMIN : Kind.ORGANIZER, null, lifetimes.organizer());
  }

  /** A new public voter: a fresh voter id and its token. */
  public VoterToken newVoter() {
    String voterId = "v" + RandomId.of(20);
    return new VoterToken(voterId, sign(voterId, Kind.VOTER, null, lifetimes.voter()));
  }

  /** A new voter invited to one poll: a fresh voter id and a token valid for that poll only. */
  public VoterToken newInvitee(String pollId) {
    return invitee(newInviteeId(), pollId);
  }

  /** A fresh id for a voter invited to one poll, to record before its token is minted. */
  public static String newInviteeId() {
    return "i" + RandomId.of(20);
  }

  /** A fresh id for a voter signing up through a poll's join code. */
  public static String newJoinerId() {
    return "j" + RandomId.of(20);
  }

  /** The token of voter {@code voterId}, valid for poll {@code pollId} only (an invite or a sign-up). */
  public VoterToken invitee(String voterId, String pollId) {
    return new VoterToken(voterId, sign(voterId, Kind.INVITE, pollId, lifetimes.invite()));
  }

  public Identity verify(String token) throws InvalidToken {
    return verifyFully(token).identity();
  }

  /** Verifies {@code token} as {@link #verify} does, and tells when it was issued and expires. */
  public Verified verifyFully(String token) throws InvalidToken {
    int headerEnd = token.indexOf('.');
    int payloadEnd = headerEnd < 0 ? -1 : token.indexOf('.', headerEnd + 1);
    if (headerEnd <= 0 || payloadEnd < 0 || token.indexOf('.', payloadEnd + 1) >= 0) {
      throw new InvalidToken("the token is not a signed JWT");
    }
    checkAlgorithm(token.substring(0, headerEnd));
    byte[] signature = decode(token.substring(payloadEnd + 1), "the token's signature is invalid");
    byte[] expected = hmac.get().doFinal(token.substring(0, payloadEnd).getBytes(StandardCharsets.US_ASCII));
    if (!MessageDigest.isEqual(expected, signature)) {
      throw new InvalidToken("the token's signature is invalid");
    }
    Claims claims = Claims.read(decode(token.substring(headerEnd + 1, payloadEnd), UNREADABLE_CLAIMS));
    if (!ISSUER.equals(claims.issuer())) {
      throw new InvalidToken("the token was not issued by Livepoll");
    }
    if (claims.expiresAt() == null) {
      throw new InvalidToken("the token has expired");
    }
    Kind kind = kindOf(claims.kind()).orElseThrow(() -> new InvalidToken("the token has no valid kind"));
    String subject = claims.subject();
    if (subject == null || subject.isEmpty()) {
      throw new InvalidToken("the token has no subject");
    }
    Instant issued = claims.issuedAt() == null ? Instant.EPOCH : claims.issuedAt();
    Verified verified = new Verified(identity(kind, subject, claims.poll()), subject, issued, claims.expiresAt());
    stillHolds(verified);
    return verified;
  }

  /**
   * The header must name HS256. Livepoll's own header (every token it mints carries the same one) is known without
   * parsing it; any other is parsed.
   */
  private static void checkAlgorithm(String header) throws InvalidToken {
    if (header.equals(MINTED_HEADER)) {
      return;
    }
    JWSHeader parsed;
    try {
      parsed = JWSHeader.parse(new Base64URL(header));
    } catch (ParseException | RuntimeException e) {
      throw new InvalidToken("the token is not a signed JWT");
    }
    if (!JWSAlgorithm.HS256.equals(parsed.getAlgorithm())) {
      throw new InvalidToken("the token's algorithm is not accepted");
    }
    // RFC 7515, 4.1.11: a header naming extensions that must be understood is refused, none being understood here
    if (parsed.getCriticalParams() != null && !parsed.getCriticalParams().isEmpty()) {
      throw new InvalidToken("the token's header has critical parameters");
    }
  }

  private static byte[] decode(String base64Url, String reasonIfNot) throws InvalidToken {
    try {
      return Base64.getUrlDecoder().decode(base64Url);
    } catch (IllegalArgumentException e) {
      throw new InvalidToken(reasonIfNot);
    }
  }

  /**
   * Whether a token verified earlier ({@code verified}) still holds now: it has not expired and its subject has not
   * been revoked since it was issued. Its signature is not checked again: what a live socket re-checks while it
   * runs, at the cost of a clock read and a map lookup.
   */
  public void stillHolds(Verified verified) throws InvalidToken {
    if (!verified.expiresAt().isAfter(clock.instant())) {
      throw new InvalidToken("the token has expired");
    }
    Instant notBefore = revocations.notBefore(verified.subject());
    if (notBefore != null && verified.issuedAt().isBefore(notBefore)) {
      throw new InvalidToken("the token was revoked");
    }
  }

  private static Identity identity(Kind kind, String subject, String poll) throws InvalidToken {
    return switch (kind) {
      case ORGANIZER -> new Identity.Organizer(subject, false);
      case ADMIN -> new Identity.Organizer(subject, true);
      case VOTER -> new Identity.Voter(subject, null);
      case INVITE -> new Identity.Voter(subject, Optional.ofNullable(poll)
          .orElseThrow(() -> new InvalidToken("the invite names no poll")));
    };
  }

  private String sign(String subject, Kind kind, String pollId, Duration lifetime) {
    Instant now = clock.instant();
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .subject(subject)
        .claim(KIND, kind.claim())
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(lifetime)));
    if (pollId != null) {
      claims.claim(POLL, pollId);
    }
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
    try {
      jwt.sign(new MACSigner(secret));
    } catch (JOSEException e) {
      throw new IllegalStateException("could not sign a token", e);
    }
    return jwt.serialize();
  }

  private static Optional<Kind> kindOf(String claim) {
    for (Kind kind : Kind.values()) {
      if (kind.claim().equals(claim)) {
        return Optional.of(kind);
      }
    }
    return Optional.empty();
  }

  /**
   * The claims of a token whose signature holds, read as Livepoll writes them. A registered claim of the wrong type
   * ({@code iss} or {@code sub} not a string, {@code exp} or {@code iat} not a whole number of seconds) makes the
   * claims unreadable; a private claim of the wrong type ({@code kind}, {@code poll}) reads as absent.
   */
  private record Claims(String issuer, String subject, String kind, String poll, Instant issuedAt,
      Instant expiresAt) {
    static Claims read(byte[] json) throws InvalidToken {
      JsonNode root;
      try {
        root = CLAIMS_READER.readTree(json);
      } catch (IOException e) {
        throw new InvalidToken(UNREADABLE_CLAIMS);
      }
      if (root == null || !root.isObject()) {
        throw new InvalidToken(UNREADABLE_CLAIMS);
      }
      return new Claims(registeredText(root, "iss"), registeredText(root, "sub"), privateText(root, KIND),
          privateText(root, POLL), seconds(root, "iat"), seconds(root, "exp"));
    }

    private static String registeredText(JsonNode root, String name) throws InvalidToken {
      JsonNode value = root.get(name);
      if (value == null || value.isNull()) {
        return null;
      }
      if (!value.isTextual()) {
        throw new InvalidToken(UNREADABLE_CLAIMS);
      }
      return value.textValue();
    }

    private static String privateText(JsonNode root, String name) {
      JsonNode value = root.get(name);
      return value != null && value.isTextual() ? value.textValue() : null;
    }

    private static Instant seconds(JsonNode root, String name) throws InvalidToken {
      JsonNode value = root.get(name);
      if (value == null || value.isNull()) {
        return null;
      }
      if (!value.isIntegralNumber() || !value.canConvertToLong()) {
        throw new InvalidToken(UNREADABLE_CLAIMS);
      }
      try {
        return Instant.ofEpochSecond(value.longValue());
      } catch (DateTimeException e) {
        throw new InvalidToken(UNREADABLE_CLAIMS);
      }
    }
  }
}
