package cassandranode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.cassandra.service.CassandraDaemon;
import sun.misc.Signal;

/**
 * Entry point of the local Cassandra child JVM: Cassandra itself, tied to the lifetime of the server that started it.
 *
 * <p>The parent keeps this process's standard input open as a pipe. When the parent dies for any reason, even
 * {@code kill -9}, the pipe closes and this node shuts down cleanly, so no orphaned database is left running.
 * Ctrl-C in a terminal reaches the whole process group: the node ignores SIGINT so that its parent decides when
 * it stops, after the server has written its last events.
 *
 * <p>With {@value #TIMER_SLACK} set (nanoseconds), the node's threads sleep with that much timer slack: see
 * {@link #applyTimerSlack}.
 */
public final class CassandraNode {
  static final String TIMER_SLACK = "livepoll.timer-slack-ns";

  private CassandraNode() {}

  public static void main(String[] args) {
    applyTimerSlack(Long.getLong(TIMER_SLACK, 0));
    Signal.handle(new Signal("INT"), signal -> {});
    Thread parentWatch = new Thread(CassandraNode::exitWhenParentGoes, "parent-watch");
    parentWatch.setDaemon(true);
    parentWatch.start();
    CassandraDaemon.main(args);
  }

  /**
   * Lets Linux end this thread's timed sleeps up to {@code nanos} late (its timer slack; 50 µs by default), before
   * Cassandra starts: every thread started from here on, and every thread those start, inherits it. Cassandra's
   * request threads, when idle, poll for work in sleeps of 10 µs and more ({@code SEPWorker}), so under a steady
   * trickle of writes some of them wake tens of thousands of times a second; on a machine of few cores that was the
   * most of the node's CPU (docs/benchmarks.md). A larger slack lets the kernel group those wake-ups. Waits that end
   * by a signal (a request's answer, the commit log's sync) are not delayed. Nothing happens where Linux has no
   * {@code /proc/<tid>/timerslack_ns}; a thread may always set its own.
   */
  static void applyTimerSlack(long nanos) {
    if (nanos <= 0) {
      return;
    }
    try {
      // /proc/thread-self is <pid>/task/<tid>; the writable file is /proc/<tid>/timerslack_ns
      String tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
      Files.writeString(Path.of("/proc", tid, "timerslack_ns"), Long.toString(nanos));
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      System.err.println("timer slack left as it was: " + e);
    }
  }

  private static void exitWhenParentGoes() {
    try {
      while (System.in.read() != -1) {
        // the parent never writes; reading only waits for end of stream
      }
    } catch (IOException ignored) {
      // a broken pipe means the same as end of stream
    }
    System.exit(0);
  }
}
