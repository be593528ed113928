package cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace of this test's own, joined to this machine's namespace by two veth links, each a /30 of its
 * own in a 10.x.y.0/24 that no interface here uses yet: a cluster link (Pekko remoting) and a service link (HTTP,
 * management, and the database through a relay). Cutting the cluster link partitions a node in the namespace from
 * the nodes outside while both sides keep their database and their clients: the case where two writers of one poll
 * could exist if the minority did not stop writing in time. Needs root (CAP_NET_ADMIN) and the {@code ip} tool.
 */
final class NetworkNamespace implements AutoCloseable {
  final String name;
  final String hostClusterAddress;
  final String namespaceClusterAddress;
  final String hostServiceAddress;
  final String namespaceServiceAddress;
  private final String clusterLink;
  private final String serviceLink;

  private NetworkNamespace(String name, String prefix) {
    this.name = name;
    this.clusterLink = name + "c";
    this.serviceLink = name + "s";
    this.hostClusterAddress = prefix + ".1";
    this.namespaceClusterAddress = prefix + ".2";
    this.hostServiceAddress = prefix + ".5";
    this.namespaceServiceAddress = prefix + ".6";
  }

  /** Creates the namespace and its links; throws with the {@code ip} tool's words when this machine cannot. */
  static NetworkNamespace create() {
    String prefix = freePrefix();
    // interface names have at most 15 characters: "lp" + pid digits + a suffix
    NetworkNamespace namespace = new NetworkNamespace("lp" + (ProcessHandle.current().pid() % 1_000_000), prefix);
    try {
      namespace.setUp();
    } catch (RuntimeException e) {
      namespace.close();
      throw e;
    }
    return namespace;
  }

  private void setUp() {
    ip("netns", "add", name);
    ip("netns", "exec", name, "ip", "link", "set", "lo", "up");
    link(clusterLink, hostClusterAddress, namespaceClusterAddress);
    link(serviceLink, hostServiceAddress, namespaceServiceAddress);
  }

  private void link(String link, String hostAddress, String namespaceAddress) {
    ip("link", "add", link + "h", "type", "veth", "peer", "name", link + "n");
    ip("link", "set", link + "n", "netns", name);
    ip("addr", "add", hostAddress + "/30", "dev", link + "h");
    ip("link", "set", link + "h", "up");
    ip("netns", "exec", name, "ip", "addr", "add", namespaceAddress + "/30", "dev", link + "n");
    ip("netns", "exec", name, "ip", "link", "set", link + "n", "up");
  }

  /** The command prefix that runs a program inside the namespace. */
  List<String> exec() {
    return List.of("ip", "netns", "exec", name);
  }

  /** Takes the cluster link down: no packet crosses it any more, in either direction. */
  void cutClusterLink() {
    ip("link", "set", clusterLink + "h", "down");
  }

  @Override
  public void close() {
    // deleting one end of a veth pair deletes both; the namespace goes last
    quietly("link", "del", clusterLink + "h");
    quietly("link", "del", serviceLink + "h");
    quietly("netns", "del", name);
  }

  /** The first three bytes of a 10.x.y.0/24 that no interface of this machine has an address in. */
  private static String freePrefix() {
    String addresses = run(List.of("ip", "-o", "-4", "addr", "show")).output();
    for (int attempt = 0; attempt < 100; attempt++) {
      String prefix = "10." + ThreadLocalRandom.current().nextInt(64, 128) + "."
          + ThreadLocalRandom.current().nextInt(0, 256);
      if (!addresses.contains(" " + prefix + ".")) {
        return prefix;
      }
    }
    throw new IllegalStateException("no free 10.x.y.0/24 for the test's links");
  }

  private record Result(int exitCode, String output) {}

  private static void ip(String... args) {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(List.of(args));
    Result result = run(command);
    if (result.exitCode() != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed (" + result.exitCode() + "): "
          + result.output().strip());
    }
  }

  private static void quietly(String... args) {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(List.of(args));
    run(command);
  }

  private static Result run(List<String> command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return new Result(-1, "timed out: " + output);
      }
      return new Result(process.exitValue(), output);
    } catch (IOException e) {
      return new Result(-1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Result(-1, e.toString());
    }
  }
}
