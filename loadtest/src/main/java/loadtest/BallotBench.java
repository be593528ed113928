package loadtest;

import auth.Tokens;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;

/**
 * Load driver for a running server: ballots over REST or relay live sockets, over P polls, in a closed loop of C
 * voters or at a fixed rate, optionally with live watchers. After a warm-up (the JIT compilers of the server and of
 * Cassandra take a minute or more to settle) it measures a steady window and prints durable ballots/s, the ack
 * latency, the CPU per 1,000 acknowledged ballots of the server, of its Cassandra and of this driver, each read
 * from /proc, and how far the read models stay behind the acknowledged ballots ({@link ReadModelLag}: each poll's
 * models read every {@code --read-every} ms, 0 for none). Then it checks that every acknowledged ballot is in the
 * final counts (exit status 1 if not). Figures, not a test.
 *
 * <pre>
 * ./livepoll bench [--url http://127.0.0.1:8080] [--polls 10] [--concurrency 32] [--rate 0] [--seconds 30]
 *                  [--warmup 60] [--audience public|invited] [--transport rest|ws] [--sockets 8] [--watchers 0]
 *                  [--server-pid N] [--cassandra-pid N] [--read-every 250]
 * </pre>
 */
public final class BallotBench {
  private BallotBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = BenchSupport.parse(args);
    String url = options.getOrDefault("url", "http://127.0.0.1:8080");
    int pollCount = Integer.parseInt(options.getOrDefault("polls", "10"));
    int concurrency = Integer.parseInt(options.getOrDefault("concurrency", "32"));
    double rate = Double.parseDouble(options.getOrDefault("rate", "0"));
    int seconds = Integer.parseInt(options.getOrDefault("seconds", "30"));
    int warmup = Integer.parseInt(options.getOrDefault("warmup", "60"));
    boolean invited = "invited".equals(options.getOrDefault("audience", "public"));
    boolean overSockets = "ws".equals(options.getOrDefault("transport", "rest"));
    int sockets = Integer.parseInt(options.getOrDefault("sockets", "8"));
    int watcherCount = Integer.parseInt(options.getOrDefault("watchers", "0"));
    int readEvery = Integer.parseInt(options.getOrDefault("read-every", "250"));
    Optional<Long> serverPid = Optional.ofNullable(options.get("server-pid")).map(Long::parseLong);
    Optional<Long> cassandraPid = Optional.ofNullable(options.get("cassandra-pid")).map(Long::parseLong)
        .or(() -> serverPid.flatMap(ProcessCpu::cassandraChildOf));

    Tokens tokens = BenchSupport.tokens();
    HttpClient client = BenchSupport.httpClient();
    String ownerToken = tokens.organizer("bench", false);
    List<String> polls = new ArrayList<>();
    for (int i = 0; i < pollCount; i++) {
      polls.add(BenchSupport.createPoll(client, url, ownerToken, i, invited, false));
    }
    System.out.printf("bench: %s ballots over %d %s polls, %s, %d watchers; %d s measured after %d s of warm-up; "
            + "against %s%n", overSockets ? "relay-socket (" + sockets + " sockets)" : "REST", pollCount,
        invited ? "invited" : "public",
        rate > 0 ? String.format("%.0f/s offered, at most %d in flight", rate, concurrency)
            : concurrency + " in flight (closed loop)", watcherCount, seconds, warmup, url);

    ActorSystem system = BenchSupport.clientSystem("bench");
    Watchers watchers = new Watchers(system, url, polls, watcherCount, invited ? ownerToken : null);
    RelayVoters relays = overSockets
        ? new RelayVoters(system, url, polls, tokens, ownerToken, invited, sockets) : null;

    long start = System.nanoTime();
    long measureFrom = start + TimeUnit.SECONDS.toNanos(warmup);
    long end = measureFrom + TimeUnit.SECONDS.toNanos(seconds);
    Acks acks = new Acks(pollCount, measureFrom, end);
    Window window = new Window(measureFrom, end, serverPid, cassandraPid, watchers);
    window.start();
    Optional<ReadModelLag> readModels = readEvery > 0
        ? Optional.of(new ReadModelLag(client, url, polls, ownerToken, acks, measureFrom, end,
            Duration.ofMillis(readEvery)))
        : Optional.empty();
    readModels.ifPresent(Thread::start);
    if (relays != null) {
      relays.run(concurrency, rate, start, end, acks);
    } else {
      new RestVoters(client, url, polls, tokens, invited).run(concurrency, rate, start, end, acks);
    }
    window.join();
    if (readModels.isPresent()) {
      readModels.get().join();
    }

    long measured = acks.measured();
    System.out.printf("durable ballots acknowledged in the measured %d s: %d  =>  %.0f ballots/s%n",
        seconds, measured, measured / (double) seconds);
    BenchSupport.printLatency("ack latency", acks.latencies());
    System.out.println("failed or unsent ballots: " + acks.failures());
    window.report(measured, seconds);
    readModels.ifPresent(ReadModelLag::report);

    boolean ok = countsMatch(client, url, polls, ownerToken, acks, watchers);
    if (relays != null) {
      relays.close();
    }
    watchers.close();
    system.terminate();
    System.exit(ok ? 0 : 1);
  }

  /** Every acknowledged ballot must be in its poll's final counts; watchers must end on the final state. */
  private static boolean countsMatch(HttpClient client, String url, List<String> polls, String ownerToken, Acks acks,
      Watchers watchers) throws Exception {
    long acknowledged = 0;
    long missing = 0;
    List<BenchSupport.PollState> finals = new ArrayList<>();
    for (int p = 0; p < polls.size(); p++) {
      BenchSupport.PollState state = BenchSupport.pollState(client, url, polls.get(p), ownerToken);
      finals.add(state);
      for (int o = 0; o < BenchSupport.OPTIONS; o++) {
        long expected = acks.acknowledged(p, o);
        acknowledged += expected;
        missing += Math.max(0, expected - state.votes()[o]);
        if (state.votes()[o] != expected) {
          System.out.printf("poll %s option %d: acknowledged %d, counted %d%n", polls.get(p), o, expected,
              state.votes()[o]);
        }
      }
    }
    System.out.printf("acknowledged ballots in all (warm-up included): %d; missing from the final counts: %d  =>  %s%n",
        acknowledged, missing, missing == 0 ? "every acknowledged ballot is counted" : "LOST BALLOTS");
    long behind = watchers.notAt(finals, 10);
    if (watchers.size() > 0) {
      System.out.printf("watchers on their poll's final state: %d of %d%n", watchers.size() - behind,
          watchers.size());
    }
    return missing == 0 && behind == 0;
  }

  /** Reads the processes' CPU and the watchers' frames at the start and the end of the measured window. */
  private static final class Window extends Thread {
    private final long from;
    private final long until;
    private final Optional<Long> server;
    private final Optional<Long> cassandra;
    private final Watchers watchers;
    private final long driver = ProcessHandle.current().pid();
    private Optional<ProcessCpu> serverCpu = Optional.empty();
    private Optional<ProcessCpu> cassandraCpu = Optional.empty();
    private Optional<ProcessCpu> driverCpu = Optional.empty();
    private long frames;

    Window(long from, long until, Optional<Long> server, Optional<Long> cassandra, Watchers watchers) {
      super("measured-window");
      this.from = from;
      this.until = until;
      this.server = server;
      this.cassandra = cassandra;
      this.watchers = watchers;
    }

    @Override
    public void run() {
      sleepUntil(from);
      Optional<ProcessCpu> server0 = server.flatMap(ProcessCpu::of);
      Optional<ProcessCpu> cassandra0 = cassandra.flatMap(ProcessCpu::of);
      Optional<ProcessCpu> driver0 = ProcessCpu.of(driver);
      long frames0 = watchers.tallyFrames();
      sleepUntil(until);
      serverCpu = server.flatMap(ProcessCpu::of).flatMap(now -> server0.map(now::since));
      cassandraCpu = cassandra.flatMap(ProcessCpu::of).flatMap(now -> cassandra0.map(now::since));
      driverCpu = ProcessCpu.of(driver).flatMap(now -> driver0.map(now::since));
      frames = watchers.tallyFrames() - frames0;
    }

    void report(long ballots, int seconds) {
      if (ballots == 0) {
        return;
      }
      System.out.printf("CPU per 1,000 acknowledged ballots: server %s, Cassandra %s, this driver %s%n",
          serverCpu.map(cpu -> cpu.perUnits(ballots, 1000)).orElse("? (give --server-pid)"),
          cassandraCpu.map(cpu -> cpu.perUnits(ballots, 1000)).orElse("? (give --cassandra-pid)"),
          driverCpu.map(cpu -> cpu.perUnits(ballots, 1000)).orElse("?"));
      serverCpu.ifPresent(s -> cassandraCpu.ifPresent(c -> System.out.printf(
          "server + Cassandra: %.3f ms of CPU per ballot; %.0f%% + %.0f%% of a core%n",
          (s.totalNanos() + c.totalNanos()) / 1e6 / ballots,
          s.totalNanos() / 1e7 / seconds, c.totalNanos() / 1e7 / seconds)));
      if (watchers.size() > 0) {
        System.out.printf("tally frames delivered to %d watchers: %.0f/s%n", watchers.size(),
            frames / (double) seconds);
      }
    }

    private static void sleepUntil(long nanoTime) {
      for (long wait = nanoTime - System.nanoTime(); wait > 0; wait = nanoTime - System.nanoTime()) {
        try {
          Thread.sleep(Duration.ofNanos(wait).toMillis() + 1);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
