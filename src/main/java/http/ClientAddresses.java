package http;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * Who a request comes from: the TCP peer, or, when the peer is one of the configured trusted proxies, the address
 * that proxy reports in {@code X-Forwarded-For}. Per-address rate limits and live-socket caps key on it. A header from
 * anyone else is ignored, so a client cannot pick the address it is limited as.
 */
public record ClientAddresses(List<Cidr> trustedProxies) {
  public ClientAddresses {
    trustedProxies = List.copyOf(trustedProxies);
  }

  /** No trusted proxies: every client is its TCP peer. */
  public static final ClientAddresses PEERS_ONLY = new ClientAddresses(List.of());

  /** Parses {@code livepoll.http.trusted-proxies}: comma-separated CIDR ranges or single addresses. */
  public static ClientAddresses parse(String ranges) {
    return new ClientAddresses(Arrays.stream(ranges.split(","))
        .map(String::strip)
        .filter(range -> !range.isEmpty())
        .map(Cidr::parse)
        .toList());
  }

  /** Whether a connection from {@code peer} is one of the trusted proxies. */
  public boolean isTrustedProxy(InetAddress peer) {
    return trustedProxies.stream().anyMatch(range -> range.contains(peer));
  }

  /** The client of {@code request}, as a normalised address text ({@code "unknown"} if the peer is unknown). */
  String of(HttpRequest request) {
    Optional<InetAddress> peer = request.getAttribute(AttributeKeys.remoteAddress).flatMap(r -> r.getAddress());
    if (peer.isEmpty()) {
      return "unknown";
    }
    return of(peer.get(), request.getHeader("X-Forwarded-For").map(h -> h.value())).getHostAddress();
  }

  /**
   * The client behind {@code peer}: walking {@code X-Forwarded-For} from its right end (the hop nearest to us), the
   * first address that is not a trusted proxy; the peer itself when the peer is not trusted or the header has none.
   * Only the proxies' own entries are believed: anything left of the first untrusted hop is the client's to forge.
   */
  InetAddress of(InetAddress peer, Optional<String> forwardedFor) {
    if (!isTrustedProxy(peer) || forwardedFor.isEmpty()) {
      return peer;
    }
    InetAddress client = peer;
    List<String> hops = Arrays.asList(forwardedFor.get().split(","));
    for (int i = hops.size() - 1; i >= 0; i--) {
      Optional<InetAddress> hop = literal(hops.get(i).strip());
      if (hop.isEmpty()) {
        // garbage where a proxy should have written an address: the last good hop is all we know
        return client;
      }
      client = hop.get();
      if (!isTrustedProxy(client)) {
        return client;
      }
    }
    return client;
  }

  /** An IP address literal, never a host name (no DNS lookup from a header a client wrote). */
  static Optional<InetAddress> literal(String text) {
    String bare = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    boolean ipv4 = bare.matches("\\d{1,3}(\\.\\d{1,3}){3}");
    boolean ipv6 = bare.contains(":") && bare.matches("[0-9a-fA-F:.]{2,45}");
    if (!ipv4 && !ipv6) {
      return Optional.empty();
    }
    if (ipv4 && Arrays.stream(bare.split("\\.")).anyMatch(octet -> Integer.parseInt(octet) > 255)) {
      return Optional.empty();
    }
    try {
      // a literal: InetAddress parses it without any lookup
      return Optional.of(InetAddress.getByName(bare));
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  /** An address range: {@code 10.0.0.0/8}, {@code fd00::/8}, or one address ({@code 192.0.2.7}). */
  public record Cidr(byte[] network, int prefixBits) {
    public static Cidr parse(String text) {
      int slash = text.indexOf('/');
      String address = slash < 0 ? text : text.substring(0, slash);
      InetAddress network = literal(address).orElseThrow(() -> new IllegalArgumentException(
          "livepoll.http.trusted-proxies (LIVEPOLL_TRUSTED_PROXIES): '" + text + "' is not an address or CIDR range"));
      int bits = network.getAddress().length * 8;
      int prefix;
      try {
        prefix = slash < 0 ? bits : Integer.parseInt(text.substring(slash + 1));
      } catch (NumberFormatException e) {
        prefix = -1;
      }
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException("livepoll.http.trusted-proxies (LIVEPOLL_TRUSTED_PROXIES): '" + text
            + "' has a bad prefix length");
      }
      return new Cidr(network.getAddress(), prefix);
    }

    public boolean contains(InetAddress address) {
      byte[] bytes = address.getAddress();
      if (bytes.length != network.length) {
        return false;
      }
      int full = prefixBits / 8;
      for (int i = 0; i < full; i++) {
        if (bytes[i] != network[i]) {
          return false;
        }
      }
      int rest = prefixBits % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (bytes[full] & mask) == (network[full] & mask);
    }
  }
}
