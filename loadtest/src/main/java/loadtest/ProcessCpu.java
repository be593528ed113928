package loadtest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * CPU time a Linux process has used (user + system, from {@code /proc/<pid>/stat}), and the part of it its JIT
 * compiler threads used: a benchmark reads it at the start and the end of its steady state and divides by the work.
 */
record ProcessCpu(long pid, long totalNanos, long jitNanos) {
  private static final long NANOS_PER_TICK = 1_000_000_000L / clockTicks();

  /** Now, or empty if the process is gone or this is not Linux. */
  static Optional<ProcessCpu> of(long pid) {
    try {
      long total = ticks(Path.of("/proc", Long.toString(pid), "stat"));
      long jit = 0;
      for (Path thread : threads(pid)) {
        try {
          String name = Files.readString(thread.resolve("comm")).strip();
          if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
            jit += ticks(thread.resolve("stat"));
          }
        } catch (IOException ended) {
          // a thread that ended meanwhile
        }
      }
      return Optional.of(new ProcessCpu(pid, total * NANOS_PER_TICK, jit * NANOS_PER_TICK));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** The local Cassandra that a server started as its child, if it did. */
  static Optional<Long> cassandraChildOf(long serverPid) {
    try {
      // a child is listed under the thread that started it
      for (Path thread : threads(serverPid)) {
        String children = Files.readString(thread.resolve("children")).strip();
        for (String child : children.isEmpty() ? new String[0] : children.split("\\s+")) {
          String command = Files.readString(Path.of("/proc", child, "cmdline")).replace('\0', ' ');
          if (command.contains("CassandraNode")) {
            return Optional.of(Long.parseLong(child));
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or no such process: no Cassandra figures
    }
    return Optional.empty();
  }

  private static List<Path> threads(long pid) throws IOException {
    try (Stream<Path> threads = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      return threads.toList();
    }
  }

  /** CPU used between {@code earlier} and this reading. */
  ProcessCpu since(ProcessCpu earlier) {
    return new ProcessCpu(pid, totalNanos - earlier.totalNanos, jitNanos - earlier.jitNanos);
  }

  /** Milliseconds of CPU per {@code units} units of work, e.g. per 1,000 ballots. */
  String perUnits(long work, long units) {
    double ms = totalNanos / 1e6 / work * units;
    double jit = jitNanos / 1e6 / work * units;
    return String.format("%.1f ms%s", ms, jit >= ms * 0.05 ? String.format(" (of which JIT compiling %.1f)", jit) : "");
  }

  private static long ticks(Path stat) throws IOException {
    String line = Files.readString(stat);
    // the command name (field 2) is in parentheses and may hold spaces: count fields after its closing one
    String[] fields = line.substring(line.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  private static long clockTicks() {
    try {
      Process getconf = new ProcessBuilder("getconf", "CLK_TCK").start();
      String ticks = new String(getconf.getInputStream().readAllBytes()).strip();
      return getconf.waitFor() == 0 ? Long.parseLong(ticks) : 100;
    } catch (IOException | InterruptedException | NumberFormatException e) {
      return 100;
    }
  }
}
