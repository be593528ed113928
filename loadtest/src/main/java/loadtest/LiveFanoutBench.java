package loadtest;

import auth.Tokens;
import java.net.InetAddress;
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

/** Fan-out benchmark of live sockets on a running server: from a ballot's REST acknowledgement to every watcher. */
public final class LiveFanoutBench {
  private static final int BALLOTS_IN_FLIGHT = 64;
  private static final long OPEN_TIMEOUT_SECONDS = 30;
  private static final long SETTLE_SECONDS = 30;
  private static final Pattern HISTOGRAM_ROW = Pattern.compile("(?m)^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");
  private static final Pattern HEAP_USED = Pattern.compile("total \\d+K, used (\\d+)K");

  private LiveFanoutBench() {}

  /** A ballot's acknowledgement: the poll's seq after it, when its 200 arrived (System.nanoTime), if measured. */
  private record Ack(long seq, long at, boolean measured) {}

  /** A poll's final state, over REST. */
  private record Final(long totalBallots, long seq) {}

  /** One watcher socket; its tally frames are (seq, arrival nanoTime) pairs in one growing long array. */
  private static final class Subscriber implements WatcherSockets.Listener {
    final int poll;
    final CompletableFuture<Void> snapshot = new CompletableFuture<>();
    final CompletableFuture<Void> closed = new CompletableFuture<>();
    WatcherSockets.Socket socket;
    volatile long lastSeq = -1;
    volatile long lastTotal = -1;
    private long[] frames = new long[16];
    private int length;
    private long outOfOrder;
    private long keepAlives;

    Subscriber(int poll) {
      this.poll = poll;
    }

    @Override
    public synchronized void onText(String json, long now) {
      if (json.startsWith("{\"type\":\"keep-alive\"")) {
        keepAlives++;
        return;
      }
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

    @Override
    public void onClosed(String reason) {
      snapshot.completeExceptionally(new IllegalStateException(reason));
      closed.complete(null);
    }

    synchronized long[] frames() {
      return Arrays.copyOf(frames, length);
    }

    synchronized long outOfOrder() {
      return outOfOrder;
    }

    synchronized long keepAlives() {
      return keepAlives;
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> options = BenchSupport.parse(args);
    List<String> urls = List.of(options.getOrDefault("url", "http://127.0.0.1:8080").split(","));
    int pollCount = Integer.parseInt(options.getOrDefault("polls", "1"));
    int subscriberCount = Integer.parseInt(options.getOrDefault("subscribers", "10000"));
    int openRate = Integer.parseInt(options.getOrDefault("open-rate", "1000"));
    int openConcurrency = Integer.parseInt(options.getOrDefault("open-concurrency", "256"));
    int rate = Integer.parseInt(options.getOrDefault("rate", "200"));
    int seconds = Integer.parseInt(options.getOrDefault("seconds", "30"));
    int warmupSeconds = Integer.parseInt(options.getOrDefault("warmup", "10"));
    int idleSeconds = Integer.parseInt(options.getOrDefault("idle-seconds", "20"));
    boolean histogram = Boolean.parseBoolean(options.getOrDefault("histogram", "false"));
    // each watcher opens its socket with a voter token of its own, as the voter page on a phone does
    boolean watcherTokens = Boolean.parseBoolean(options.getOrDefault("watcher-tokens", "false"));
    // sockets per source address: Linux's ephemeral ports 32768-60999 (~28k per address), with room to spare
    int perAddress = Integer.parseInt(options.getOrDefault("per-address", "900"));
    int addresses = (subscriberCount + perAddress - 1) / perAddress;
    List<String> pids = options.containsKey("server-pid")
        ? List.of(options.get("server-pid").split(",")) : List.of();

    Tokens tokens = BenchSupport.tokens();
    HttpClient client = BenchSupport.httpClient();
    String organizerToken = tokens.organizer("bench", false);
    List<String> polls = new ArrayList<>();
    for (int i = 0; i < pollCount; i++) {
      polls.add(BenchSupport.createPoll(client, urls.get(0), organizerToken, i, false, false));
    }
    System.out.printf("bench-live: %d watchers over %d polls on %d node(s) from %d source address(es), ballots at "
        + "%d/s for %d s (+%d s warm-up) against %s%n", subscriberCount, pollCount, urls.size(), addresses, rate,
        seconds, warmupSeconds, String.join(", ", urls));

    List<InetAddress> sources = new ArrayList<>();
    for (int a = 0; a < addresses; a++) {
      // Linux routes all of 127/8 to loopback, and each source address has its own ephemeral ports
      sources.add(addresses == 1 ? null : InetAddress.getByName("127.0.0." + (1 + a)));
    }

    long heapBefore = 0;
    Map<String, long[]> classesBefore = Map.of();
    for (String pid : pids) {
      heapBefore += heapAfterFullGc(pid);
      System.out.println("server " + pid + " memory before the sockets: " + BenchSupport.memory(pid));
    }
    if (histogram && !pids.isEmpty()) {
      classesBefore = classHistogram(pids.get(0));
    }
    double idleWithout = idleCost(pids, 0, idleSeconds);
    try (WatcherSockets sockets = new WatcherSockets()) {
      List<Subscriber> subscribers =
          openAll(sockets, urls, polls, sources, subscriberCount, openRate, openConcurrency,
              watcherTokens ? tokens : null);
      int held = subscribers.size();
      if (!pids.isEmpty()) {
        long heapWith = 0;
        for (String pid : pids) {
          heapWith += heapAfterFullGc(pid);
          System.out.println("server " + pid + " memory with the sockets:   " + BenchSupport.memory(pid));
        }
        System.out.printf("server heap after a full GC: %.1f MB before the sockets, %.1f MB with %d open  =>  "
            + "%.1f kB per connection%n", heapBefore / 1e6, heapWith / 1e6, held,
            (heapWith - heapBefore) / 1e3 / held);
        if (histogram) {
          printHistogramDelta(classesBefore, classHistogram(pids.get(0)), held / pids.size());
        }
        double idleWith = idleCost(pids, held, idleSeconds);
        System.out.printf("holding the sockets costs %.1f%% of a core  =>  %.1f%% per 10,000 sockets%n",
            idleWith - idleWithout, (idleWith - idleWithout) * 10_000 / Math.max(1, held));
        System.out.printf("keep-alive frames received by the idle sockets: %d%n",
            subscribers.stream().mapToLong(Subscriber::keepAlives).sum());
      }

      long start = System.nanoTime();
      long measureFrom = start + TimeUnit.SECONDS.toNanos(warmupSeconds);
      long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
      CpuWindow cpu = new CpuWindow(pids, measureFrom, end);
      List<List<Ack>> acks = castBallots(client, urls, polls, tokens, rate, start, measureFrom, end, cpu);
      long ballotsEnded = System.nanoTime();

      // each poll's final state over REST; then the last conflated tally (or a resync) needs a moment to arrive
      List<Final> finals = new ArrayList<>();
      for (String poll : polls) {
        String view = client.send(HttpRequest.newBuilder(URI.create(urls.get(0) + "/api/polls/" + poll)).build(),
            HttpResponse.BodyHandlers.ofString()).body();
        finals.add(new Final(BenchSupport.field(view, "totalBallots"), BenchSupport.field(view, "version")));
      }
      if (polls.size() <= 10) {
        for (int p = 0; p < polls.size(); p++) {
          System.out.printf("poll %s final state over REST: totalBallots %d, seq %d%n", polls.get(p),
              finals.get(p).totalBallots(), finals.get(p).seq());
        }
      }
      long settleBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(SETTLE_SECONDS);
      while (System.nanoTime() < settleBy
          && subscribers.stream().anyMatch(s -> s.lastSeq < finals.get(s.poll).seq())) {
        Thread.sleep(50);
      }
      System.out.printf("%s %.1f s after the last ballot's ack%n",
          subscribers.stream().allMatch(s -> s.lastSeq >= finals.get(s.poll).seq())
              ? "every watcher had its poll's final seq" : "gave up waiting for the final seq",
          (System.nanoTime() - ballotsEnded) / 1e9);
      boolean ok = report(subscribers, acks, finals, measureFrom, end, cpu) && held == subscriberCount;

      long closeStart = System.nanoTime();
      subscribers.forEach(subscriber -> subscriber.socket.close());
      CompletableFuture.allOf(subscribers.stream().map(s -> s.closed).toArray(CompletableFuture[]::new))
          .get(60, TimeUnit.SECONDS);
      System.out.printf("closed %d sockets in %.1f s%n", held, (System.nanoTime() - closeStart) / 1e9);
      System.exit(ok ? 0 : 1);
    }
  }

  /** The servers' CPU over the measured window, read when the ballots reach its start and its end. */
  private static final class CpuWindow {
    private final List<String> pids;
    private final long from;
    private final long to;
    private List<Optional<ProcessCpu>> atStart;
    private long nanos = -1;

    CpuWindow(List<String> pids, long from, long to) {
      this.pids = pids;
      this.from = from;
      this.to = to;
    }

    /** Called before each ballot is sent, at time {@code now}. */
    void tick(long now) {
      if (atStart == null && now >= from) {
        atStart = read();
      } else if (atStart != null && nanos < 0 && now >= to) {
        nanos = total(atStart, read());
      }
    }

    void finish() {
      if (atStart != null && nanos < 0) {
        nanos = total(atStart, read());
      }
    }

    private List<Optional<ProcessCpu>> read() {
      return pids.stream().map(pid -> ProcessCpu.of(Long.parseLong(pid))).toList();
    }

    private static long total(List<Optional<ProcessCpu>> before, List<Optional<ProcessCpu>> after) {
      long sum = 0;
      for (int i = 0; i < before.size(); i++) {
        if (before.get(i).isEmpty() || after.get(i).isEmpty()) {
          return -1;
        }
        sum += after.get(i).get().since(before.get(i).get()).totalNanos();
      }
      return sum;
    }
  }

  /** The servers' CPU (% of a core) while {@code held} sockets are open and nothing happens. */
  private static double idleCost(List<String> pids, int held, int seconds) throws InterruptedException {
    if (seconds <= 0 || pids.isEmpty()) {
      return 0;
    }
    Thread.sleep(10_000); // let the openings' aftermath (compilation, the full GCs of the heap figures) settle
    List<Optional<ProcessCpu>> before = pids.stream().map(pid -> ProcessCpu.of(Long.parseLong(pid))).toList();
    long start = System.nanoTime();
    Thread.sleep(seconds * 1000L);
    List<Optional<ProcessCpu>> after = pids.stream().map(pid -> ProcessCpu.of(Long.parseLong(pid))).toList();
    long nanos = CpuWindow.total(before, after);
    double percent = 100.0 * nanos / (System.nanoTime() - start);
    System.out.printf("server CPU with %d idle sockets over %d s: %.1f%% of a core (all nodes together)%n",
        held, seconds, percent);
    return percent;
  }

  /** Opens the watchers at a bounded rate and concurrency; returns those that got their snapshot. */
  private static List<Subscriber> openAll(WatcherSockets sockets, List<String> urls, List<String> polls,
      List<InetAddress> sources, int count, int perSecond, int concurrency, Tokens voterTokens)
      throws InterruptedException {
    Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
    List<Subscriber> subscribers = new ArrayList<>();
    Semaphore opening = new Semaphore(concurrency);
    long start = System.nanoTime();
    for (int i = 0; i < count; i++) {
      BenchSupport.pace(start, i, perSecond);
      opening.acquire();
      int poll = i % polls.size();
      Subscriber subscriber = new Subscriber(poll);
      URI uri = URI.create(urls.get(i % urls.size()).replaceFirst("^http", "ws") + "/api/polls/" + polls.get(poll)
          + "/live" + (voterTokens == null ? "" : "?token=" + voterTokens.newVoter().token()));
      subscriber.socket = sockets.open(uri, sources.get(i % sources.size()), subscriber);
      subscriber.snapshot.orTimeout(OPEN_TIMEOUT_SECONDS, TimeUnit.SECONDS).whenComplete((ok, failure) -> {
        if (failure != null) {
          failures.computeIfAbsent(describe(failure), f -> new AtomicLong()).incrementAndGet();
          subscriber.socket.close();
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
    System.out.printf("connections held (snapshot received): %d of %d, opened in %.1f s  =>  %.0f sockets "
        + "accepted/s; failed: %s%n", subscribers.size(), count, took, subscribers.size() / took,
        new TreeMap<>(failures));
    return subscribers;
  }

  /**
   * Ballots over REST, each from a new voter, at {@code rate} per second (open loop, at most 64 in flight); returns
   * each poll's acknowledgements. Blocking sends on a pool, because {@code sendAsync} would start a thread per
   * response where the common pool has one thread.
   */
  private static List<List<Ack>> castBallots(HttpClient client, List<String> urls, List<String> polls,
      Tokens tokens, int rate, long start, long measureFrom, long end, CpuWindow cpu) throws InterruptedException {
    List<List<Ack>> acks = polls.stream().map(poll -> Collections.synchronizedList(new ArrayList<Ack>())).toList();
    Map<Integer, AtomicLong> failures = new ConcurrentHashMap<>();
    Semaphore inFlight = new Semaphore(BALLOTS_IN_FLIGHT);
    ExecutorService senders = Executors.newFixedThreadPool(BALLOTS_IN_FLIGHT);
    for (long i = 0; start + i * 1_000_000_000L / rate < end; i++) {
      BenchSupport.pace(start, i, rate);
      cpu.tick(System.nanoTime());
      inFlight.acquire();
      int poll = (int) (i % polls.size());
      String url = urls.get((int) (i % urls.size()));
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
    cpu.finish();
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
      long measureFrom, long end, CpuWindow cpu) {
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
    System.out.printf("tally frames delivered in the measured %.0f s: %d  =>  %.0f frames/s to %d sockets; "
        + "server CPU %s per 1,000 frames (%.0f%% of a core)%n", seconds, framesInWindow, framesInWindow / seconds,
        subscribers.size(), cpu.nanos < 0 ? "?" : String.format("%.2f ms", cpu.nanos / 1e6 / framesInWindow * 1000),
        cpu.nanos < 0 ? 0 : 100.0 * cpu.nanos / (end - measureFrom));
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

  /** Instances and bytes per class, from {@code jcmd GC.class_histogram} (which runs a full GC first). */
  private static Map<String, long[]> classHistogram(String pid) throws Exception {
    Map<String, long[]> classes = new java.util.HashMap<>();
    Matcher row = HISTOGRAM_ROW.matcher(jcmd(pid, "GC.class_histogram"));
    while (row.find()) {
      classes.put(row.group(3), new long[] {Long.parseLong(row.group(1)), Long.parseLong(row.group(2))});
    }
    return classes;
  }

  /** The classes whose bytes grew most between two histograms, per socket. */
  private static void printHistogramDelta(Map<String, long[]> before, Map<String, long[]> after, int sockets) {
    record Growth(String name, long instances, long bytes) {}
    List<Growth> growth = new ArrayList<>();
    long total = 0;
    for (var entry : after.entrySet()) {
      long[] was = before.getOrDefault(entry.getKey(), new long[2]);
      Growth grown = new Growth(entry.getKey(), entry.getValue()[0] - was[0], entry.getValue()[1] - was[1]);
      growth.add(grown);
      total += grown.bytes();
    }
    growth.sort(Comparator.comparingLong(Growth::bytes).reversed());
    System.out.printf("heap per socket by class (class histogram, first node, %d sockets): %.1f kB in all%n",
        sockets, total / 1e3 / sockets);
    for (Growth grown : growth.subList(0, Math.min(25, growth.size()))) {
      System.out.printf("  %8.0f B  %6.2f per socket  %s%n", (double) grown.bytes() / sockets,
          (double) grown.instances() / sockets, grown.name());
    }
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
