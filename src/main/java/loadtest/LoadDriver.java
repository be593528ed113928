package loadtest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import auth.Tokens;
import com.typesafe.config.ConfigFactory;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import server.Settings;

/**
 * Load driver for a running server: C concurrent HTTP voters over P polls for T seconds. Prints ballots/s and
 * latency percentiles, then checks that every acknowledged ballot is in the final counts. Figures, not a test.
 *
 * <p>{@code ./livepoll bench --url http://127.0.0.1:8080 --concurrency 64 --polls 8 --seconds 30 [--server-pid N]}
 * (with the server's pid on this machine it also prints the server's resident and peak memory).
 */
public final class LoadDriver {
  /** Options of every bench poll: a, b, c, d. */
  static final int OPTIONS = 4;
  private static final Pattern VOTES = Pattern.compile("\"votes\":(\\d+)");

  private LoadDriver() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = parse(args);
    String url = options.getOrDefault("url", "http://127.0.0.1:8080");
    int concurrency = Integer.parseInt(options.getOrDefault("concurrency", "64"));
    int pollCount = Integer.parseInt(options.getOrDefault("polls", "8"));
    int seconds = Integer.parseInt(options.getOrDefault("seconds", "30"));
    int warmupSeconds = Integer.parseInt(options.getOrDefault("warmup", "5"));

    Tokens tokens = tokens();
    String organizerToken = tokens.organizer("bench", false);
    HttpClient client = httpClient();
    List<String> polls = new ArrayList<>();
    for (int i = 0; i < pollCount; i++) {
      polls.add(createPoll(client, url, organizerToken, i));
    }
    System.out.printf("bench: %d voters over %d polls for %d s (+%d s warm-up) against %s%n",
        concurrency, pollCount, seconds, warmupSeconds, url);

    AtomicLongArray acked = new AtomicLongArray(pollCount * OPTIONS);
    Map<Integer, AtomicLong> failures = new ConcurrentHashMap<>();
    AtomicLong measuredBallots = new AtomicLong();
    Recorder latencies = new Recorder(3);
    long start = System.nanoTime();
    long measureFrom = start + Duration.ofSeconds(warmupSeconds).toNanos();
    long end = measureFrom + Duration.ofSeconds(seconds).toNanos();

    List<Thread> voters = new ArrayList<>();
    for (int w = 0; w < concurrency; w++) {
      int worker = w;
      Thread voter = new Thread(() -> {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (long n = 0; System.nanoTime() < end; n++) {
          int poll = (int) ((worker + n) % pollCount);
          int choice = random.nextInt(OPTIONS);
          HttpRequest request = ballot(url, polls.get(poll), tokens, choice);
          long sent = System.nanoTime();
          int status;
          try {
            status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
          } catch (Exception e) {
            status = -1;
          }
          long done = System.nanoTime();
          if (status == 200) {
            acked.incrementAndGet(poll * OPTIONS + choice);
            if (sent >= measureFrom) {
              latencies.recordValue((done - sent) / 1_000);
              measuredBallots.incrementAndGet();
            }
          } else {
            failures.computeIfAbsent(status, s -> new AtomicLong()).incrementAndGet();
          }
        }
      }, "voter-" + w);
      voter.start();
      voters.add(voter);
    }
    for (Thread voter : voters) {
      voter.join();
    }

    long measured = measuredBallots.get();
    System.out.printf("ballots acknowledged in the measured %d s: %d  =>  %.0f ballots/s%n",
        seconds, measured, measured / (double) seconds);
    printLatency("latency", latencies.getIntervalHistogram());
    System.out.println("failed requests by status (-1 = no answer): " + new TreeMap<>(failures));
    if (options.containsKey("server-pid")) {
      System.out.println("server memory: " + memory(options.get("server-pid")));
    }

    long totalAcked = 0;
    long missing = 0;
    for (int p = 0; p < pollCount; p++) {
      long[] counted = counts(client, url, polls.get(p));
      for (int o = 0; o < OPTIONS; o++) {
        long expected = acked.get(p * OPTIONS + o);
        totalAcked += expected;
        if (counted[o] < expected) {
          missing += expected - counted[o];
        }
        if (counted[o] != expected) {
          System.out.printf("poll %s option %d: acknowledged %d, counted %d%n", polls.get(p), o, expected, counted[o]);
        }
      }
    }
    System.out.printf("acknowledged ballots in all (warm-up included): %d; missing from final counts: %d  =>  %s%n",
        totalAcked, missing, missing == 0 ? "every acknowledged ballot is counted" : "LOST BALLOTS");
    if (missing > 0) {
      System.exit(1);
    }
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

  /** One ballot for {@code choice}, from a new voter with a fresh token. */
  static HttpRequest ballot(String url, String pollId, Tokens tokens, int choice) {
    return HttpRequest.newBuilder(URI.create(url + "/api/polls/" + pollId + "/ballots"))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + tokens.newVoter().token())
        .POST(HttpRequest.BodyPublishers.ofString("{\"choices\":[" + choice + "]}"))
        .build();
  }

  /** Percentiles of a histogram of microseconds, printed in milliseconds. */
  static void printLatency(String label, Histogram histogram) {
    System.out.printf("%s (ms): p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f%n", label,
        histogram.getValueAtPercentile(50) / 1000.0,
        histogram.getValueAtPercentile(90) / 1000.0,
        histogram.getValueAtPercentile(99) / 1000.0,
        histogram.getValueAtPercentile(99.9) / 1000.0,
        histogram.getMaxValue() / 1000.0);
  }

  /** Resident and peak resident memory of the server process, from Linux's /proc. */
  static String memory(String pid) throws java.io.IOException {
    List<String> status = java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc", pid, "status"));
    String rss = status.stream().filter(line -> line.startsWith("VmRSS")).findFirst().orElse("VmRSS: ?");
    String peak = status.stream().filter(line -> line.startsWith("VmHWM")).findFirst().orElse("VmHWM: ?");
    return "resident " + rss.replaceAll("\\D+", " ").strip() + " kB, peak " + peak.replaceAll("\\D+", " ").strip()
        + " kB";
  }

  static String createPoll(HttpClient client, String url, String token, int index) throws Exception {
    String body = "{\"question\":\"Bench poll " + index + "\",\"options\":[\"a\",\"b\",\"c\",\"d\"]}";
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

  private static long[] counts(HttpClient client, String url, String pollId) throws Exception {
    String body = client.send(HttpRequest.newBuilder(URI.create(url + "/api/polls/" + pollId)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    long[] counts = new long[OPTIONS];
    Matcher matcher = VOTES.matcher(body);
    for (int o = 0; o < OPTIONS && matcher.find(); o++) {
      counts[o] = Long.parseLong(matcher.group(1));
    }
    return counts;
  }

  /** {@code --name value} pairs. */
  static Map<String, String> parse(String[] args) {
    Map<String, String> options = new java.util.HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
      }
      options.put(args[i].substring(2), args[i + 1]);
    }
    return options;
  }
}
