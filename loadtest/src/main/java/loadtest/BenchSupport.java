package loadtest;

import auth.Tokens;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.apache.pekko.actor.ActorSystem;
import server.Settings;

/** What the benchmarks share: options, tokens, HTTP, polls, pacing, latency figures and the CPU of processes. */
final class BenchSupport {
  /** Options of every bench poll: a, b, c, d. */
  static final int OPTIONS = 4;

  private BenchSupport() {}

  /** {@code --name value} pairs. */
  static Map<String, String> parse(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
      }
      options.put(args[i].substring(2), args[i + 1]);
    }
    if (args.length % 2 != 0) {
      throw new IllegalArgumentException("expected --name value pairs, got a lone " + args[args.length - 1]);
    }
    return options;
  }

  /**
   * Tokens signed like the server's: same environment (LIVEPOLL_AUTH_SECRET or LIVEPOLL_DATA_DIR), same key. A bench
   * mints its own organizer and voter tokens, so the measured requests are ballots alone, each with a token the
   * server must check.
   */
  static Tokens tokens() {
    return Settings.from(ConfigFactory.load()).tokens(java.time.Clock.systemUTC());
  }

  static HttpClient httpClient() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  /**
   * A client actor system for live sockets, from reference.conf alone: the server's application.conf would make it
   * a cluster node on the server's ports. Daemon threads, so that a failure in main ends the JVM.
   */
  static ActorSystem clientSystem(String name) {
    return ActorSystem.create(name, ConfigFactory.parseString(
            "pekko { daemonic = on, use-slf4j = off, loglevel = WARNING, log-dead-letters = off }")
        .withFallback(ConfigFactory.defaultReference()));
  }

  /** A poll with options a, b, c, d owned by the bench organizer; {@code invited}: ballots need invite tokens. */
  static String createPoll(HttpClient client, String url, String token, int index, boolean invited,
      boolean allowVoteChange) throws Exception {
    String body = "{\"question\":\"Bench poll " + index + "\",\"options\":[\"a\",\"b\",\"c\",\"d\"]"
        + (invited ? ",\"audience\":\"invited\"" : "") + (allowVoteChange ? ",\"allowVoteChange\":true" : "") + "}";
    HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url + "/api/polls"))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 201) {
      throw new IllegalStateException("could not create a poll: " + response.statusCode() + " " + response.body());
    }
    return response.headers().firstValue("Location").orElseThrow().replaceFirst(".*/", "");
  }

  /** A poll's state over REST: votes per option, total ballots and version. */
  record PollState(long[] votes, long totalBallots, long version) {}

  /** The poll as {@code ownerToken}'s holder reads it: an invited poll exists only for its owner and invitees. */
  static PollState pollState(HttpClient client, String url, String pollId, String ownerToken) throws Exception {
    String view = client.send(HttpRequest.newBuilder(URI.create(url + "/api/polls/" + pollId))
        .header("Authorization", "Bearer " + ownerToken).build(), HttpResponse.BodyHandlers.ofString()).body();
    long[] votes = new long[OPTIONS];
    int at = 0;
    for (int o = 0; o < OPTIONS; o++) {
      at = view.indexOf("\"votes\":", at) + "\"votes\":".length();
      votes[o] = number(view, at);
    }
    return new PollState(votes, field(view, "totalBallots"), field(view, "version"));
  }

  /** The first number named {@code name} in a JSON text; our frames and views hold each of these fields once. */
  static long field(String json, String name) {
    int at = json.indexOf("\"" + name + "\":");
    return at < 0 ? -1 : number(json, at + name.length() + 3);
  }

  /** The first string named {@code name} in a JSON text, or null. */
  static String stringField(String json, String name) {
    int at = json.indexOf("\"" + name + "\":\"");
    if (at < 0) {
      return null;
    }
    int from = at + name.length() + 4;
    return json.substring(from, json.indexOf('"', from));
  }

  private static long number(String json, int from) {
    int to = from;
    while (to < json.length() && Character.isDigit(json.charAt(to))) {
      to++;
    }
    return Long.parseLong(json, from, to, 10);
  }

  /** Waits until the {@code index}th event of a steady {@code perSecond} stream that began at {@code start}. */
  static void pace(long start, long index, double perSecond) {
    long due = start + (long) (index * 1e9 / perSecond);
    for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
      LockSupport.parkNanos(wait);
    }
  }

  /** Percentiles of a histogram of microseconds, printed in milliseconds. */
  static void printLatency(String label, Histogram histogram) {
    System.out.printf("%s (ms): p50 %.2f  p90 %.2f  p95 %.2f  p99 %.2f  p99.9 %.2f  max %.2f%n", label,
        histogram.getValueAtPercentile(50) / 1000.0,
        histogram.getValueAtPercentile(90) / 1000.0,
        histogram.getValueAtPercentile(95) / 1000.0,
        histogram.getValueAtPercentile(99) / 1000.0,
        histogram.getValueAtPercentile(99.9) / 1000.0,
        histogram.getMaxValue() / 1000.0);
  }

  /** Resident and peak resident memory of a process, from Linux's /proc. */
  static String memory(String pid) throws IOException {
    List<String> status = Files.readAllLines(Path.of("/proc", pid, "status"));
    String rss = status.stream().filter(line -> line.startsWith("VmRSS")).findFirst().orElse("VmRSS: ?");
    String peak = status.stream().filter(line -> line.startsWith("VmHWM")).findFirst().orElse("VmHWM: ?");
    return "resident " + rss.replaceAll("\\D+", " ").strip() + " kB, peak " + peak.replaceAll("\\D+", " ").strip()
        + " kB";
  }
}
