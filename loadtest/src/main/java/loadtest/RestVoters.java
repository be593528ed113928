package loadtest;

import auth.Tokens;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Voters over REST: every ballot a new voter with a fresh token (an invite token for invited polls), one
 * {@code POST /api/polls/{id}/ballots} each. Either {@code concurrency} voters in a closed loop (each sends its next
 * ballot when the last is answered), or ballots at a fixed {@code rate} with at most {@code concurrency} in flight.
 * Blocking sends on threads of our own: {@code sendAsync} would start a thread per response where the JDK's common
 * pool has one thread (as on 2 cores).
 */
final class RestVoters {
  private final HttpClient client;
  private final String url;
  private final List<String> polls;
  private final Tokens tokens;
  private final boolean invited;

  RestVoters(HttpClient client, String url, List<String> polls, Tokens tokens, boolean invited) {
    this.client = client;
    this.url = url;
    this.polls = polls;
    this.tokens = tokens;
    this.invited = invited;
  }

  /** Votes from {@code start} until {@code end} (nanoTime); {@code rate} 0 means a closed loop. */
  void run(int concurrency, double rate, long start, long end, Acks acks) throws InterruptedException {
    if (rate > 0) {
      runAtRate(concurrency, rate, start, end, acks);
      return;
    }
    AtomicLong next = new AtomicLong();
    List<Thread> voters = new ArrayList<>();
    for (int w = 0; w < concurrency; w++) {
      Thread voter = new Thread(() -> {
        while (System.nanoTime() < end) {
          vote((int) (next.getAndIncrement() % polls.size()), acks);
        }
      }, "voter-" + w);
      voter.start();
      voters.add(voter);
    }
    for (Thread voter : voters) {
      voter.join();
    }
  }

  private void runAtRate(int concurrency, double rate, long start, long end, Acks acks) throws InterruptedException {
    Semaphore inFlight = new Semaphore(concurrency);
    ExecutorService senders = Executors.newFixedThreadPool(concurrency);
    for (long i = 0; start + (long) (i * 1e9 / rate) < end; i++) {
      BenchSupport.pace(start, i, rate);
      if (!inFlight.tryAcquire()) {
        // the server is behind: the ballot is not sent, and counts as such
        acks.failed("not sent: " + concurrency + " in flight", System.nanoTime());
        continue;
      }
      int poll = (int) (i % polls.size());
      senders.execute(() -> {
        try {
          vote(poll, acks);
        } finally {
          inFlight.release();
        }
      });
    }
    senders.shutdown();
    senders.awaitTermination(1, TimeUnit.MINUTES);
  }

  private void vote(int poll, Acks acks) {
    int option = ThreadLocalRandom.current().nextInt(BenchSupport.OPTIONS);
    String pollId = polls.get(poll);
    String token = invited ? tokens.newInvitee(pollId).token() : tokens.newVoter().token();
    HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/api/polls/" + pollId + "/ballots"))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + token)
        .POST(HttpRequest.BodyPublishers.ofString("{\"choices\":[" + option + "]}"))
        .build();
    long sent = System.nanoTime();
    try {
      int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
      if (status == 200) {
        acks.acknowledged(poll, option, sent);
      } else {
        acks.failed("HTTP " + status, sent);
      }
    } catch (Exception e) {
      acks.failed("no answer: " + e.getClass().getSimpleName(), sent);
    }
  }
}
