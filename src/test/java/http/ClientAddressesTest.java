package http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClientAddressesTest {
  private static final ClientAddresses BEHIND_PROXIES = ClientAddresses.parse("10.0.0.0/8, 192.0.2.7, fd00::/8");

  private static InetAddress ip(String literal) {
    return ClientAddresses.literal(literal).orElseThrow();
  }

  private static String client(ClientAddresses addresses, String peer, String forwardedFor) {
    return addresses.of(ip(peer), Optional.ofNullable(forwardedFor)).getHostAddress();
  }

  @Test
  void withoutTrustedProxiesTheHeaderIsIgnored() {
    assertEquals("198.51.100.9", client(ClientAddresses.PEERS_ONLY, "198.51.100.9", "203.0.113.1"));
  }

  @Test
  void aHeaderFromAnUntrustedPeerIsIgnored() {
    assertEquals("198.51.100.9", client(BEHIND_PROXIES, "198.51.100.9", "203.0.113.1"));
  }

  @Test
  void aTrustedProxyNamesTheClient() {
    assertEquals("203.0.113.1", client(BEHIND_PROXIES, "10.1.2.3", "203.0.113.1"));
    assertEquals("203.0.113.1", client(BEHIND_PROXIES, "192.0.2.7", " 203.0.113.1 "));
    assertEquals("2001:db8:0:0:0:0:0:1", client(BEHIND_PROXIES, "fd12::1", "2001:db8::1"));
  }

  @Test
  void onlyTheHopsOfTrustedProxiesAreBelieved() {
    // the client wrote "1.1.1.1" itself; its own address is what the first trusted proxy saw
    assertEquals("203.0.113.1", client(BEHIND_PROXIES, "10.0.0.1", "1.1.1.1, 203.0.113.1, 10.9.9.9"));
    // every hop trusted: the leftmost is the client
    assertEquals("10.3.3.3", client(BEHIND_PROXIES, "10.0.0.1", "10.3.3.3, 10.2.2.2"));
    // garbage where the nearest proxy's entry should be: the proxy itself is all we know
    assertEquals("10.0.0.1", client(BEHIND_PROXIES, "10.0.0.1", "203.0.113.1, not-an-ip"));
  }

  @Test
  void headerValuesAreNeverLookedUpAsHostNames() {
    assertEquals(Optional.empty(), ClientAddresses.literal("localhost"));
    assertEquals(Optional.empty(), ClientAddresses.literal("example.org"));
    assertEquals(Optional.empty(), ClientAddresses.literal("300.1.1.1"));
    assertEquals(Optional.empty(), ClientAddresses.literal(""));
    assertTrue(ClientAddresses.literal("[::1]").isPresent());
  }

  @Test
  void rangesMatchByPrefix() {
    ClientAddresses.Cidr range = ClientAddresses.Cidr.parse("172.16.0.0/12");
    assertTrue(range.contains(ip("172.31.255.255")));
    assertFalse(range.contains(ip("172.32.0.0")));
    assertFalse(range.contains(ip("::1")), "another family never matches");
    assertTrue(ClientAddresses.Cidr.parse("0.0.0.0/0").contains(ip("8.8.8.8")));
    assertThrows(IllegalArgumentException.class, () -> ClientAddresses.parse("10.0.0.0/33"));
    assertThrows(IllegalArgumentException.class, () -> ClientAddresses.parse("proxy.example.org"));
  }
}
