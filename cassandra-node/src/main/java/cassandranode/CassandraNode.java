package cassandranode;

import java.io.IOException;
import org.apache.cassandra.service.CassandraDaemon;
import sun.misc.Signal;

/**
 * Entry point of the local Cassandra child JVM: Cassandra itself, tied to the lifetime of the server that started it.
 *
 * <p>The parent keeps this process's standard input open as a pipe. When the parent dies for any reason, even
 * {@code kill -9}, the pipe closes and this node shuts down cleanly, so no orphaned database is left running.
 * Ctrl-C in a terminal reaches the whole process group: the node ignores SIGINT so that its parent decides when
 * it stops, after the server has written its last events.
 */
public final class CassandraNode {
  private CassandraNode() {}

  public static void main(String[] args) {
    Signal.handle(new Signal("INT"), signal -> {});
    Thread parentWatch = new Thread(CassandraNode::exitWhenParentGoes, "parent-watch");
    parentWatch.setDaemon(true);
    parentWatch.start();
    CassandraDaemon.main(args);
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
