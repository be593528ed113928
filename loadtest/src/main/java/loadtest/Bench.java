package loadtest;

import java.util.Arrays;

/**
 * Entry point of the load drivers, run by {@code ./livepoll bench|bench-live|bench-recovery [options]} with the
 * server's jar on the class path (see loadtest/pom.xml).
 */
public final class Bench {
  private Bench() {}

  public static void main(String[] args) throws Exception {
    String[] options = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
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
