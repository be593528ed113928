package loadtest;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * How far the read models are behind the acknowledged ballots, seen from outside: during the measured window it
 * reads, for each poll (the last ten created, at most), its results model ({@code GET /api/polls/{id}/stats}, its
 * ballots cast) and its catalogue entry ({@code GET /api/polls}, its total ballots) at a steady pace. A model that
 * counts c ballots of a poll whose (c+1)-th ballot was acknowledged at time t is behind by (answer's arrival - t); a
 * model that counts every acknowledged ballot is behind by 0. Every ballot of a bench poll is a new voter's first,
 * so the counts compare.
 */
final class ReadModelLag extends Thread {
  /** Polls read at most (the last created), so that the reads stay a few dozen a second however many polls vote. */
  private static final int SAMPLED_POLLS = 10;
  private final HttpClient client;
  private final String url;
  private final List<String> polls;
  private final String ownerToken;
  private final Acks acks;
  private final long from;
  private final long until;
  private final long everyNanos;
  private final Histogram results = new Histogram(3);
  private final Histogram catalogue = new Histogram(3);
  private long unreadable;

  ReadModelLag(HttpClient client, String url, List<String> polls, String ownerToken, Acks acks, long from,
      long until, Duration every) {
    super("read-model-lag");
    setDaemon(true);
    this.client = client;
    this.url = url;
    this.polls = polls;
    this.ownerToken = ownerToken;
    this.acks = acks;
    this.from = from;
    this.until = until;
    this.everyNanos = every.toNanos();
  }

  @Override
  public void run() {
    // the newest polls, which the catalogue lists first
    int first = Math.max(0, polls.size() - SAMPLED_POLLS);
    for (long tick = 0; from + tick * everyNanos < until; tick++) {
      BenchSupport.pace(from, tick, 1e9 / everyNanos);
      for (int p = first; p < polls.size(); p++) {
        String stats = get("/api/polls/" + polls.get(p) + "/stats");
        record(results, p, stats == null ? -1 : BenchSupport.field(stats, "ballotsCast"));
      }
      String listing = get("/api/polls?limit=" + SAMPLED_POLLS);
      for (int p = first; p < polls.size(); p++) {
        int item = listing == null ? -1 : listing.indexOf("\"id\":\"" + polls.get(p) + "\"");
        record(catalogue, p, item < 0 ? -1 : BenchSupport.field(listing.substring(item), "totalBallots"));
      }
    }
  }

  private synchronized void record(Histogram model, int poll, long counted) {
    if (counted < 0) {
      unreadable++;
      return;
    }
    long now = System.nanoTime();
    long firstMissing = acks.acknowledgedAt(poll, counted + 1);
    model.recordValue(firstMissing < 0 ? 0 : Math.max(0, now - firstMissing) / 1_000);
  }

  private String get(String path) {
    try {
      HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(url + path))
          .timeout(Duration.ofSeconds(10))
          .header("Authorization", "Bearer " + ownerToken).build(), HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 ? response.body() : null;
    } catch (Exception e) {
      return null;
    }
  }

  /** Prints each model's lag; call after the window. */
  synchronized void report() {
    if (results.getTotalCount() == 0 && catalogue.getTotalCount() == 0) {
      System.out.println("read models: none answered (" + unreadable + " reads; is the read side on?)");
      return;
    }
    System.out.printf("read models behind the acknowledged ballots (each poll read every %d ms in the window):%n",
        TimeUnit.NANOSECONDS.toMillis(everyNanos));
    BenchSupport.printLatency("  results (stats)", results);
    BenchSupport.printLatency("  catalogue", catalogue);
    if (unreadable > 0) {
      System.out.println("  reads that got no model: " + unreadable);
    }
  }
}
