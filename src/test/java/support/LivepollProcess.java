package support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * One {@code ./livepoll} command run the way a user runs it (the launcher script, the shaded jar) as a process of
 * its own, with its own environment. Its output goes to a log file, and the lines {@code echo} picks are also printed
 * with the process's name in front, so a test's output tells what the servers did.
 */
public final class LivepollProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> kept = java.util.Collections.synchronizedList(new ArrayList<>());
  private Thread reader;

  private LivepollProcess(String name, Process process) {
    this.name = name;
    this.process = process;
  }

  /**
   * Starts {@code command} (for instance {@code ./livepoll}, or {@code ip netns exec ns ./livepoll}) in the project's
   * root with {@code env} added to this JVM's environment; {@code log} receives every line of its output.
   */
  public static LivepollProcess start(String name, List<String> command, Map<String, String> env, Path log,
      Predicate<String> echo) {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    try {
      Files.createDirectories(log.getParent());
      LivepollProcess started = new LivepollProcess(name, builder.start());
      started.readOutput(log, echo);
      return started;
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + name + ": " + command, e);
    }
  }

  private void readOutput(Path log, Predicate<String> echo) throws IOException {
    PrintWriter file = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true);
    reader = new Thread(() -> {
      try (file; BufferedReader output = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = output.readLine(); line != null; line = output.readLine()) {
          file.println(line);
          if (echo.test(line)) {
            System.out.println("[" + name + "] " + line);
          }
          kept.add(line);
          lines.add(line);
        }
      } catch (IOException ignored) {
        // the process ended
      }
    }, name + "-output");
    reader.setDaemon(true);
    reader.start();
  }

  /** Waits for an output line starting with {@code prefix}; fails if the process exits or time runs out first. */
  public String awaitLine(String prefix, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (System.nanoTime() < deadline) {
        String line = lines.poll(200, TimeUnit.MILLISECONDS);
        if (line != null && line.startsWith(prefix)) {
          return line;
        }
        if (line == null && !process.isAlive() && lines.isEmpty()) {
          throw new AssertionError(name + " exited with " + process.exitValue() + " before printing '" + prefix
              + "'");
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    throw new AssertionError(name + " did not print '" + prefix + "' within " + timeout);
  }

  /** The process's last line of output, once it has exited and its output is read to the end. */
  public String lastLine() {
    try {
      reader.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (kept) {
      return kept.isEmpty() ? "" : kept.get(kept.size() - 1);
    }
  }

  /** The exit status of the process, which must have exited. */
  public int exitStatus() {
    return process.exitValue();
  }

  /** Whether any output line so far contains {@code text}. */
  public boolean printed(String text) {
    synchronized (kept) {
      return kept.stream().anyMatch(line -> line.contains(text));
    }
  }

  public String name() {
    return name;
  }

  public Process process() {
    return process;
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL to the process and every process it started: a crash, no shutdown of any kind. */
  public void kill() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.toHandle().destroyForcibly();
  }

  /** SIGTERM, as an orchestrator or Ctrl-C sends it: the server runs its coordinated shutdown. */
  public void terminate() {
    // through the handle: Process.destroy() also closes the pipes, and the shutdown's output would be lost
    process.toHandle().destroy();
  }

  /** Waits for the process to end; whether it did within {@code timeout}. */
  public boolean awaitExit(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Kills whatever is still running: for cleanup after a test, whether it passed or not. */
  @Override
  public void close() {
    if (process.isAlive() || process.descendants().findAny().isPresent()) {
      kill();
      awaitExit(Duration.ofSeconds(30));
    }
  }
}
