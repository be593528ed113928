package http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BrowserPolicyTest {
  private final BrowserPolicy policy = new BrowserPolicy(List.of("https://slides.example.org", "http://kiosk:8443/"),
      "https://vote.example.org", new Problems(new Json(4)));

  private boolean allows(String origin, String host) {
    return policy.allows(Optional.ofNullable(origin), Optional.ofNullable(host));
  }

  @Test
  void clientsWithoutAnOriginAreAllowed() {
    assertTrue(allows(null, "127.0.0.1:8080"));
  }

  @Test
  void theServersOwnOriginIsAllowed() {
    assertTrue(allows("http://127.0.0.1:8080", "127.0.0.1:8080"));
    assertTrue(allows("https://live.example.org", "live.example.org"));
    assertTrue(allows("HTTPS://Live.Example.org:443", "live.example.org"));
  }

  @Test
  void configuredOriginsAndThePublicUrlAreAllowed() {
    assertTrue(allows("https://slides.example.org", "10.0.0.5:8080"));
    assertTrue(allows("http://kiosk:8443", "10.0.0.5:8080"));
    assertTrue(allows("https://vote.example.org", "10.0.0.5:8080"));
  }

  @Test
  void otherSitesAreRefused() {
    assertFalse(allows("https://evil.example", "127.0.0.1:8080"));
    assertFalse(allows("http://127.0.0.1:9999", "127.0.0.1:8080"), "another port is another origin");
    assertFalse(allows("https://slides.example.org.evil.example", "127.0.0.1:8080"));
    assertFalse(allows("null", "127.0.0.1:8080"), "sandboxed frames and files");
    assertFalse(allows("javascript:alert(1)", "127.0.0.1:8080"));
  }

  @Test
  void originsAreNormalised() {
    assertEquals(Optional.of("https://a.example"), BrowserPolicy.origin("https://A.example:443/"));
    assertEquals(Optional.of("http://a.example:8080"), BrowserPolicy.origin("http://a.example:8080"));
    assertEquals(Optional.empty(), BrowserPolicy.origin("ftp://a.example"));
  }
}
