package server;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

/**
 * How this process logs, as logback.xml chose it from {@code LIVEPOLL_LOG_FORMAT}: lines for people, or JSON lines
 * for log collectors. In JSON every line of the output must be JSON, so the ready line goes through the log too.
 */
enum LogFormat {
  TEXT,
  JSON;

  /** The format logback was configured with; a value it has no appender for ends the process with a clear message. */
  static LogFormat current() {
    Logger root = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(Logger.ROOT_LOGGER_NAME);
    if (root.getAppender("json") != null) {
      return JSON;
    }
    if (root.getAppender("text") != null) {
      return TEXT;
    }
    System.err.println("LIVEPOLL_LOG_FORMAT must be text or json, not '" + System.getenv("LIVEPOLL_LOG_FORMAT") + "'");
    System.exit(2);
    throw new IllegalStateException("unreachable");
  }

  /** A line for whoever watches the output: printed as is in text, logged as one JSON line in JSON. */
  void announce(String line) {
    if (this == JSON) {
      LoggerFactory.getLogger(Main.class).info(line);
    } else {
      System.out.println(line);
    }
  }
}
