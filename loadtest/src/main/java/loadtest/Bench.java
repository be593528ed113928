package loadtest;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Entry point of the load drivers, run by {@code ./livepoll bench|bench-live|bench-recovery [options]} with the
 * server's jar on the class path (see loadtest/pom.xml).
 */
public final class Bench {
  /** Each driver's options and their defaults, for {@code --help}; docs/benchmarks.md says what they measure. */
  private static final Map<String, String> USAGE = Map.of(
      "bench", "[--url http://127.0.0.1:8080] [--polls 10] [--concurrency 32] [--rate 0 (closed loop)] [--seconds 30]"
          + " [--warmup 60] [--audience public|invited] [--transport rest|ws] [--sockets 8] [--watchers 0]"
          + " [--server-pid N] [--cassandra-pid N]",
      "bench-live", "[--url http://127.0.0.1:8080] [--polls 1] [--subscribers 10000] [--open-rate 1000]"
          + " [--open-concurrency 256] [--per-address 900] [--rate 200] [--seconds 30] [--warmup 10]"
          + " [--idle-seconds 20] [--histogram false] [--watcher-tokens false] [--server-pid N]",
      "bench-recovery", "[--voters 1000000] [--in-flight 2000] [--max-batch 1000]");

  private Bench() {}

  public static void main(String[] args) throws Exception {
    String[] options = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
    if (args.length > 0 && USAGE.containsKey(args[0])
        && Arrays.stream(options).anyMatch(option -> List.of("--help", "-h").contains(option))) {
      System.out.println("usage: ./livepoll " + args[0] + " " + USAGE.get(args[0]) + "\n(see docs/benchmarks.md)");
      return;
    }
    switch (args.length == 0 ? "" : args[0]) {
      case "bench" -> BallotBench.main(options);
      case "bench-live" -> LiveFanoutBench.main(options);
      case "bench-recovery" -> RecoveryBench.main(options);
      default -> {
        System.err.println("usage: livepoll bench|bench-live|bench-recovery [options] (see docs/benchmarks.md)");
        System.exit(2);
      }
    }
  }
}
