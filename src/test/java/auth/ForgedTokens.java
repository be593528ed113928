package auth;

import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Tokens as an attacker (or a buggy client) could build them: any header algorithm, any key, any claims. The
 * signature is computed by hand with {@link Mac}, so keys shorter than nimbus allows for HS384/HS512 still work: what
 * matters is that the token is correctly signed with the server's own key, only under another algorithm.
 */
public final class ForgedTokens {
  private ForgedTokens() {}

  /** Claims as the server writes them: issuer livepoll, this subject and kind, valid for an hour from now. */
  public static JWTClaimsSet.Builder claims(String subject, String kind) {
    Instant now = Instant.now();
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
        .issuer("livepoll")
        .subject(subject)
        .issueTime(Date.from(now))
        .expirationTime(Date.from(now.plus(Duration.ofHours(1))));
    return kind == null ? claims : claims.claim("kind", kind);
  }

  /** A compact JWS with header {@code {"alg":alg,"typ":"JWT"}}, signed with HMAC-SHA256/384/512 as alg says. */
  public static String hmac(String alg, byte[] key, JWTClaimsSet claims) {
    return hmac(alg, key, claims.toString());
  }

  /** The same with any payload at all, JSON or not. */
  public static String hmac(String alg, byte[] key, String payload) {
    return hmac(alg, "{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}", key, payload);
  }

  /** The same with any header at all, signed with HMAC-SHA256/384/512 as {@code alg} says. */
  public static String hmac(String alg, String header, byte[] key, String payload) {
    String signingInput = encode(header) + "." + encode(payload);
    String javaName = switch (alg) {
      case "HS256" -> "HmacSHA256";
      case "HS384" -> "HmacSHA384";
      case "HS512" -> "HmacSHA512";
      default -> throw new IllegalArgumentException("not an HMAC algorithm: " + alg);
    };
    try {
      Mac mac = Mac.getInstance(javaName);
      mac.init(new SecretKeySpec(key, javaName));
      byte[] signature = mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
      return signingInput + "." + Base64URL.encode(signature);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An unsecured JWT: header {@code {"alg":"none"}}, the claims, and an empty signature. */
  public static String unsigned(JWTClaimsSet claims) {
    return encode("{\"alg\":\"none\"}") + "." + encode(claims.toString()) + ".";
  }

  /** {@code token} with the claims part replaced, the original signature kept. */
  public static String withClaims(String token, JWTClaimsSet claims) {
    String[] parts = token.split("\\.");
    return parts[0] + "." + encode(claims.toString()) + "." + parts[2];
  }

  private static String encode(String json) {
    return Base64URL.encode(json.getBytes(StandardCharsets.UTF_8)).toString();
  }
}
