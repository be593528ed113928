package auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import actors.RandomId;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.regex.Pattern;

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
  private final MACVerifier verifier;
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
    try {
      this.verifier = new MACVerifier(this.secret);
    } catch (JOSEException e) {
      throw new IllegalArgumentException("the auth secret is not a valid HS256 key", e);
    }
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
    SignedJWT jwt;
    try {
      jwt = SignedJWT.parse(token);
    } catch (ParseException e) {
      throw new InvalidToken("the token is not a signed JWT");
    }
    if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())) {
      throw new InvalidToken("the token's algorithm is not accepted");
    }
    try {
      if (!jwt.verify(verifier)) {
        throw new InvalidToken("the token's signature is invalid");
      }
    } catch (JOSEException e) {
      throw new InvalidToken("the token's signature cannot be checked");
    }
    JWTClaimsSet claims;
    try {
      claims = jwt.getJWTClaimsSet();
    } catch (ParseException e) {
      throw new InvalidToken("the token's claims are unreadable");
    }
    if (!ISSUER.equals(claims.getIssuer())) {
      throw new InvalidToken("the token was not issued by Livepoll");
    }
    Date expires = claims.getExpirationTime();
    if (expires == null) {
      throw new InvalidToken("the token has expired");
    }
    String subject = claims.getSubject();
    Kind kind = kindOf(claims).orElseThrow(() -> new InvalidToken("the token has no valid kind"));
    if (subject == null || subject.isEmpty()) {
      throw new InvalidToken("the token has no subject");
    }
    Instant issued = claims.getIssueTime() == null ? Instant.EPOCH : claims.getIssueTime().toInstant();
    Verified verified = new Verified(identity(kind, subject, claims), subject, issued, expires.toInstant());
    stillHolds(verified);
    return verified;
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

  private static Identity identity(Kind kind, String subject, JWTClaimsSet claims) throws InvalidToken {
    return switch (kind) {
      case ORGANIZER -> new Identity.Organizer(subject, false);
      case ADMIN -> new Identity.Organizer(subject, true);
      case VOTER -> new Identity.Voter(subject, null);
      case INVITE -> new Identity.Voter(subject, stringClaim(claims, POLL)
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

  private static Optional<Kind> kindOf(JWTClaimsSet claims) {
    return stringClaim(claims, KIND).flatMap(claim -> {
      for (Kind kind : Kind.values()) {
        if (kind.claim().equals(claim)) {
          return Optional.of(kind);
        }
      }
      return Optional.empty();
    });
  }

  private static Optional<String> stringClaim(JWTClaimsSet claims, String name) {
    Object value = claims.getClaim(name);
    return value instanceof String text ? Optional.of(text) : Optional.empty();
  }
}
