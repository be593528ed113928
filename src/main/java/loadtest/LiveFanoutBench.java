package loadtest;

import auth.Tokens;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.http.javadsl.ConnectionContext;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.ws.Message;
import org.apache.pekko.http.javadsl.model.ws.WebSocketRequest;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgradeResponse;
import org.apache.pekko.http.javadsl.settings.ClientConnectionSettings;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/** Fan-out benchmark of live sockets on a running server: from a ballot's REST acknowledgement to every watcher. */
public final class LiveFanoutBench {
  private static final int BALLOTS_IN_FLIGHT = 64;
  private static final long OPEN_TIMEOUT_SECONDS = 30;
  private static final long SETTLE_SECONDS = 30;
  private static final Pattern HEAP_USED = Pattern.compile("total \\d+K, used (\\d+)K");

  private LiveFanoutBench() {}

  /** A ballot's acknowledgement: the poll's seq after it, when its 200 arrived (System.nanoTime), if measured. */
  private record Ack(long seq, long at, boolean measured) {}

  /** A poll's final state, over REST. */
  private record Final(long totalBallots, long seq) {}

  /** One watcher socket; its tally frames are (seq, arrival nanoTime) pairs in one growing long array. */
  private static final class Subscriber {
    final int poll;
    final CompletableFuture<Void> snapshot = new CompletableFuture<>();
    final CompletableFuture<Void> closed = new CompletableFuture<>();
    /** Completing it ends the socket's outgoing side, which closes the socket. */
    CompletableFuture<Optional<Message>> out;
    volatile long lastSeq = -1;
    volatile long lastTotal = -1;
    private long[] frames = new long[64];
    private int length;
    private long outOfOrder;

    Subscriber(int poll) {
      this.poll = poll;
    }

    synchronized void onFrame(String json, long now) {
      long seq = BenchSupport.field(json, "seq");
      outOfOrder += seq <= lastSeq ? 1 : 0;
      if (json.startsWith("{\"type\":\"tally\"")) {
        if (length == frames.length) {
          frames = Arrays.copyOf(frames, length * 2);
        }
        frames[length++] = seq;
        frames[length++] = now;
      }
      lastTotal = BenchSupport.field(json, "totalBallots");
      lastSeq = seq;
      snapshot.complete(null);
    }

    synchronized long[] frames() {
      return Arrays.copyOf(frames, length);
    }

    synchronized long outOfOrder() {
      return outOfOrder;
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = BenchSupport.parse(args);
    String url = options.getOrDefault("url", "http://127.0.0.1:8080");
    int pollCount = Integer.parseInt(options.getOrDefault("polls", "1"));
    int subscriberCount = Integer.parseInt(options.getOrDefault("subscribers", "10000"));
    int openRate = Integer.parseInt(options.getOrDefault("open-rate", "500"));
    int openConcurrency = Integer.parseInt(options.getOrDefault("open-concurrency", "64"));
    int rate = Integer.parseInt(options.getOrDefault("rate", "200"));
    int seconds = Integer.parseInt(options.getOrDefault("seconds", "30"));
    int warmupSeconds = Integer.parseInt(options.getOrDefault("warmup", "5"));
    // sockets per source address: Linux's ephemeral ports 32768-60999 (~28k per address), with room to spare
    int perAddress = Integer.parseInt(options.getOrDefault("per-address", "25000"));
    int addresses = (subscriberCount + perAddress - 1) / perAddress;
    String pid = options.get("server-pid");

    Tokens tokens = BenchSupport.tokens();
    HttpClient client = BenchSupport.httpClient();
    String organizerToken = tokens.organizer("bench", false);
    List<String> polls = new ArrayList<>();
    for (int i = 0; i < pollCount; i++) {
      polls.add(BenchSupport.createPoll(client, url, organizerToken, i, false, false));
    }
    System.out.printf("bench-live: %d watchers over %d polls from %d source address(es), ballots at %d/s for %d s "
        + "(+%d s warm-up) against %s%n", subscriberCount, pollCount, addresses, rate, seconds, warmupSeconds, url);

    ActorSystem system = BenchSupport.clientSystem("bench-live");
    List<ClientConnectionSettings> sources = new ArrayList<>();
    for (int a = 0; a < addresses; a++) {
      // Linux routes all of 127/8 to loopback, and each source address has its own ephemeral ports
      sources.add(ClientConnectionSettings.create(system).withLocalAddress(addresses == 1
          ? Optional.empty() : Optional.of(new InetSocketAddress("127.0.0." + (1 + a), 0))));
    }

    long heapBefore = pid == null ? 0 : heapAfterFullGc(pid);
    String memoryBefore = pid == null ? "" : BenchSupport.memory(pid);
    List<Subscriber> subscribers = openAll(system, url, polls, sources, subscriberCount, openRate, openConcurrency);
    int held = subscribers.size();
    if (pid != null) {
      long heapWith = heapAfterFullGc(pid);
      System.out.printf("server heap after a full GC: %.1f MB before the sockets, %.1f MB with %d open  =>  "
          + "%.1f kB per connection%n", heapBefore / 1e6, heapWith / 1e6, held, (heapWith - heapBefore) / 1e3 / held);
      System.out.println("server memory before the sockets: " + memoryBefore);
      System.out.println("server memory with the sockets:   " + BenchSupport.memory(pid));
    }

    long start = System.nanoTime();
    long measureFrom = start + TimeUnit.SECONDS.toNanos(warmupSeconds);
    long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
    List<List<Ack>> acks = castBallots(client, url, polls, tokens, rate, start, measureFrom, end);
    long ballotsEnded = System.nanoTime();

    // each poll's final state over REST; then the last conflated tally (or a resync) needs a moment to arrive
    List<Final> finals = new ArrayList<>();
    for (String poll : polls) {
      String view = client.send(HttpRequest.newBuilder(URI.create(url + "/api/polls/" + poll)).build(),
          HttpResponse.BodyHandlers.ofString()).body();
      Final last = new Final(BenchSupport.field(view, "totalBallots"), BenchSupport.field(view, "version"));
      finals.add(last);
      System.out.printf("poll %s final state over REST: totalBallots %d, seq %d%n", poll, last.totalBallots(),
          last.seq());
    }
    long settleBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(SETTLE_SECONDS);
    while (System.nanoTime() < settleBy && subscribers.stream().anyMatch(s -> s.lastSeq < finals.get(s.poll).seq())) {
      Thread.sleep(50);
    }
    System.out.printf("%s %.1f s after the last ballot's ack%n",
        subscribers.stream().allMatch(s -> s.lastSeq >= finals.get(s.poll).seq())
            ? "every watcher had its poll's final seq" : "gave up waiting for the final seq",
        (System.nanoTime() - ballotsEnded) / 1e9);
    boolean ok = report(subscribers, acks, finals, measureFrom, end) && held == subscriberCount;

    long closeStart = System.nanoTime();
    subscribers.forEach(subscriber -> subscriber.out.complete(Optional.empty()));
    CompletableFuture.allOf(subscribers.stream().map(s -> s.closed).toArray(CompletableFuture[]::new))
        .get(60, TimeUnit.SECONDS);
    System.out.printf("closed %d sockets in %.1f s%n", held, (System.nanoTime() - closeStart) / 1e9);
    system.terminate();
    System.exit(ok ? 0 : 1);
  }

  /** Opens the watchers at a bounded rate and concurrency; returns those that got their snapshot. */
  private static List<Subscriber> openAll(ActorSystem system, String url, List<String> polls,
      List<ClientConnectionSettings> sources, int count, int perSecond, int concurrency) throws InterruptedException {
    Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
    List<Subscriber> subscribers = new ArrayList<>();
    Semaphore opening = new Semaphore(concurrency);
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      BenchSupport.pace(start, i, perSecond);
      opening.acquire();
      Subscriber subscriber = open(system, url, polls, i % polls.size(), sources.get(i % sources.size()));
      subscriber.snapshot.orTimeout(OPEN_TIMEOUT_SECONDS, TimeUnit.SECONDS).whenComplete((ok, failure) -> {
        if (failure != null) {
          failures.computeIfAbsent(describe(failure), f -> new AtomicLong()).incrementAndGet();
          subscriber.out.complete(Optional.empty());
        }
        opening.release();
      });
      subscribers.add(subscriber);
      if ((i + 1) % Math.max(1, count / 10) == 0) {
        System.out.printf("  %d sockets asked for after %.1f s%n", i + 1, (System.nanoTime() - start) / 1e9);
      }
    }
    opening.acquire(concurrency);
    double took = (System.nanoTime() - start) / 1e9;
    subscribers.removeIf(subscriber -> subscriber.snapshot.isCompletedExceptionally());
    System.out.printf("connections held (snapshot received): %d of %d, opened in %.1f s (%.0f/s); failed: %s%n",
        subscribers.size(), count, took, subscribers.size() / took, new TreeMap<>(failures));
    return subscribers;
  }

  /** A watcher (no token) on a poll's live socket, recording every frame it receives. */
  private static Subscriber open(ActorSystem system, String url, List<String> polls, int poll,
      ClientConnectionSettings source) {
    Materializer materializer = Materializer.matFromSystem(system);
    Subscriber subscriber = new Subscriber(poll);
    Sink<Message, CompletionStage<Done>> in = Flow.<Message>create()
        .filter(Message::isText) // the server sends only text frames
        .mapAsync(1, message -> message.asTextMessage().toStrict(5_000, materializer))
        .toMat(Sink.foreach(message -> subscriber.onFrame(message.getStrictText(), System.nanoTime())), Keep.right());
    Pair<CompletionStage<WebSocketUpgradeResponse>, Pair<CompletionStage<Done>, CompletableFuture<Optional<Message>>>>
        socket = Http.get(system).singleWebSocketRequest(
            WebSocketRequest.create(url.replaceFirst("^http", "ws") + "/api/polls/" + polls.get(poll) + "/live"),
            Flow.fromSinkAndSourceCoupledMat(in, Source.<Message>maybe(), Keep.both()),
            ConnectionContext.noEncryption(), source.getLocalAddress(), source, system.log(), materializer);
    subscriber.out = socket.second().second();
    // Pekko's futures run even plain callbacks asynchronously, on a new thread each where the common pool has one
    // thread (as on 2 cores): they run on Pekko's dispatcher instead
    socket.first().whenCompleteAsync((upgrade, failure) -> {
      if (failure != null) {
        subscriber.snapshot.completeExceptionally(failure);
      } else if (!upgrade.isValid()) {
        subscriber.snapshot.completeExceptionally(
            new IllegalStateException("HTTP " + upgrade.response().status().intValue()));
      }
    }, system.dispatcher());
    socket.second().first().whenCompleteAsync((done, failure) -> subscriber.closed.complete(null), system.dispatcher());
    subscriber.closed.thenRun(() -> subscriber.snapshot.completeExceptionally(
        new IllegalStateException("closed before the snapshot")));
    return subscriber;
  }

  /**
   * Ballots over REST, each from a new voter, at {@code rate} per second (open loop, at most 64 in flight); returns
   * each poll's acknowledgements. Blocking sends on a pool, because {@code sendAsync} would start a thread per
   * response where the common pool has one thread.
   */
  private static List<List<Ack>> castBallots(HttpClient client, String url, List<String> polls, Tokens tokens,
      int rate, long start, long measureFrom, long end) throws InterruptedException {
    List<List<Ack>> acks = polls.stream().map(poll -> Collections.synchronizedList(new ArrayList<Ack>())).toList();
    Map<Integer, AtomicLong> failures = new ConcurrentHashMap<>();
    Semaphore inFlight = new Semaphore(BALLOTS_IN_FLIGHT);
    ExecutorService senders = Executors.newFixedThreadPool(BALLOTS_IN_FLIGHT);
    for (long i = 0; start + i * 1_000_000_000L / rate < end; i++) {
      BenchSupport.pace(start, i, rate);
      inFlight.acquire();
      int poll = (int) (i % polls.size());
      senders.execute(() -> {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/api/polls/" + polls.get(poll) + "/ballots"))
            .timeout(java.time.Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer " + tokens.newVoter().token())
            .POST(HttpRequest.BodyPublishers.ofString(
                "{\"choices\":[" + ThreadLocalRandom.current().nextInt(BenchSupport.OPTIONS) + "]}"))
            .build();
        long sent = System.nanoTime();
        try {
          HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
          if (response.statusCode() == 200) {
            // the 200's body is the poll view; its version is the seq of the first state that holds this ballot
            acks.get(poll).add(new Ack(BenchSupport.field(response.body(), "version"), System.nanoTime(), sent >= measureFrom));
          } else {
            failures.computeIfAbsent(response.statusCode(), s -> new AtomicLong()).incrementAndGet();
          }
        } catch (Exception e) {
          failures.computeIfAbsent(-1, s -> new AtomicLong()).incrementAndGet();
        } finally {
          inFlight.release();
        }
      });
    }
    senders.shutdown();
    senders.awaitTermination(1, TimeUnit.MINUTES);
    long measured = acks.stream().flatMap(List::stream).filter(Ack::measured).count();
    System.out.printf("ballots acknowledged: %d (warm-up included), %d in the measured %.0f s  =>  %.0f/s; "
            + "failed by status (-1 = no answer): %s%n", acks.stream().mapToLong(List::size).sum(), measured,
        (end - measureFrom) / 1e9, measured / ((end - measureFrom) / 1e9), new TreeMap<>(failures));
    return acks;
  }

  /** Prints frames/s, ack-to-frame latency of every (watcher, measured ballot) pair, and the final states. */
  private static boolean report(List<Subscriber> subscribers, List<List<Ack>> acks, List<Final> finals,
      long measureFrom, long end) {
    List<List<Ack>> measured = acks.stream().map(pollAcks -> {
      synchronized (pollAcks) {
        return pollAcks.stream().filter(Ack::measured).sorted(Comparator.comparingLong(Ack::seq)).toList();
      }
    }).toList();
    Histogram latencies = new Histogram(3);
    long framesInWindow = 0;
    long early = 0;
    long missing = 0;
    long outOfOrder = 0;
    long notFinal = 0;
    for (Subscriber subscriber : subscribers) {
      long[] frames = subscriber.frames();
      for (int f = 1; f < frames.length; f += 2) {
        framesInWindow += frames[f] >= measureFrom && frames[f] < end ? 1 : 0;
      }
      // acks and frames both ascend by seq: one merge pass finds each ballot's first frame with seq >= its seq
      int f = 0;
      for (Ack ack : measured.get(subscriber.poll)) {
        while (f < frames.length && frames[f] < ack.seq()) {
          f += 2;
        }
        if (f == frames.length) {
          missing++;
          continue;
        }
        long latency = frames[f + 1] - ack.at();
        early += latency < 0 ? 1 : 0;
        latencies.recordValue(Math.max(0, latency) / 1_000);
      }
      outOfOrder += subscriber.outOfOrder();
      Final last = finals.get(subscriber.poll);
      notFinal += subscriber.lastTotal == last.totalBallots() && subscriber.lastSeq == last.seq() ? 0 : 1;
    }
    double seconds = (end - measureFrom) / 1e9;
    System.out.printf("tally frames delivered in the measured %.0f s: %d  =>  %.0f frames/s to %d sockets%n",
        seconds, framesInWindow, framesInWindow / seconds, subscribers.size());
    BenchSupport.printLatency("ack to frame over " + latencies.getTotalCount() + " (watcher, ballot) pairs", latencies);
    System.out.printf("pairs whose frame came before the ack (counted as 0): %d; pairs that never got a frame: %d; "
        + "frames out of order: %d%n", early, missing, outOfOrder);
    System.out.printf("watchers ending on their poll's final state: %d of %d  =>  %s%n",
        subscribers.size() - notFinal, subscribers.size(),
        notFinal == 0 ? "every watcher got the final tally" : "WATCHERS MISSED THE FINAL STATE");
    return notFinal == 0 && missing == 0;
  }

  /** Bytes of heap the server uses right after a full GC ({@code jcmd GC.run}, then {@code GC.heap_info}). */
  private static long heapAfterFullGc(String pid) throws Exception {
    jcmd(pid, "GC.run");
    String info = jcmd(pid, "GC.heap_info");
    // G1 prints one "total ..K, used ..K" line for the heap; the serial and parallel collectors one per generation
    Matcher used = HEAP_USED.matcher(info);
    long bytes = 0;
    while (used.find()) {
      bytes += Long.parseLong(used.group(1)) * 1024;
    }
    if (bytes == 0) {
      throw new IllegalStateException("no heap usage in jcmd GC.heap_info:\n" + info);
    }
    return bytes;
  }

  private static String jcmd(String pid, String command) throws Exception {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    Process process = new ProcessBuilder(Files.exists(jcmd) ? jcmd.toString() : "jcmd", pid, command)
        .redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (process.waitFor() != 0) {
      throw new IllegalStateException("jcmd " + pid + " " + command + " failed:\n" + output);
    }
    return output;
  }

  private static String describe(Throwable failure) {
    Throwable cause = failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    String message = String.valueOf(cause.getMessage());
    return cause.getClass().getSimpleName() + ": " + (message.length() > 80 ? message.substring(0, 80) : message);
  }
}
