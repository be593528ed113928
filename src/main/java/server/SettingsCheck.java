package server;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Settings that only make sense together, checked once when a node reads its configuration: a node with settings
 * that contradict each other refuses to start and says which and why, instead of misbehaving under load later. Each
 * rule names the settings as operators set them (their {@code LIVEPOLL_*} variable where there is one).
 */
final class SettingsCheck {
  private SettingsCheck() {}

  /** One rule: whether it holds for a configuration, and what to tell the operator when it does not. */
  private record Rule(Function<Config, Boolean> holds, Function<Config, String> problem) {}

  private static final String REQUEST_TIMEOUT = "pekko.http.server.request-timeout";
  private static final String IDLE_TIMEOUT = "pekko.http.server.idle-timeout";
  private static final String KEEP_ALIVE = "livepoll.live.keep-alive-every";
  private static final String TOKEN_CHECK = "livepoll.live.token-check-interval";
  private static final String SHARED_READS_FOR = "livepoll.read-side.shared-reads-for";
  private static final String FORGET_AGAIN = "livepoll.lifecycle.forget-again-after";

  private static final List<Rule> RULES = List.of(
      new Rule(c -> longest(c, "livepoll.http.retry-within", "livepoll.http.ask-timeout")
          .compareTo(duration(c, REQUEST_TIMEOUT)) < 0,
          c -> "the edge waits for a poll up to LIVEPOLL_HTTP_RETRY_WITHIN (" + text(c, "livepoll.http.retry-within")
              + ") or LIVEPOLL_HTTP_ASK_TIMEOUT (" + text(c, "livepoll.http.ask-timeout") + "), whichever is longer;"
              + " that must stay below " + REQUEST_TIMEOUT + " (" + text(c, REQUEST_TIMEOUT) + "), or Pekko HTTP"
              + " answers 503 while the ballot may still be written"),
      new Rule(c -> !infinite(c, KEEP_ALIVE),
          c -> "LIVEPOLL_LIVE_KEEP_ALIVE_EVERY is a duration, e.g. 30s; 0s, not infinite, turns keep-alive frames off"),
      new Rule(c -> infinite(c, IDLE_TIMEOUT) || infinite(c, KEEP_ALIVE) || (!duration(c, KEEP_ALIVE).isZero()
          && live.Fanout.longestSilence(duration(c, KEEP_ALIVE)).compareTo(duration(c, IDLE_TIMEOUT)) < 0),
          c -> "LIVEPOLL_HTTP_IDLE_TIMEOUT (" + text(c, IDLE_TIMEOUT) + ") must be longer than the longest a live"
              + " socket goes without a frame, " + live.Fanout.longestSilence(duration(c, KEEP_ALIVE))
              + " with LIVEPOLL_LIVE_KEEP_ALIVE_EVERY (" + text(c, KEEP_ALIVE) + ") and the keep-alive sweep, or a"
              + " watcher who only listens is disconnected before the server sends it a keep-alive frame"),
      new Rule(c -> !infinite(c, TOKEN_CHECK) && duration(c, TOKEN_CHECK).compareTo(Duration.ZERO) > 0,
          c -> "LIVEPOLL_LIVE_TOKEN_CHECK_INTERVAL (" + text(c, TOKEN_CHECK) + ") must be a positive duration: a live"
              + " socket outlives its expired or revoked token by up to that"),
      new Rule(c -> duration(c, "livepoll.live.tally-interval")
          .compareTo(duration(c, "livepoll.live.slow-reader-timeout")) < 0,
          c -> "LIVEPOLL_LIVE_TALLY_INTERVAL (" + text(c, "livepoll.live.tally-interval") + ") must be shorter than"
              + " LIVEPOLL_LIVE_SLOW_READER_TIMEOUT (" + text(c, "livepoll.live.slow-reader-timeout") + "), or every"
              + " reader counts as slow"),
      new Rule(c -> duration(c, SHARED_READS_FOR).compareTo(duration(c, FORGET_AGAIN)) < 0,
          c -> "LIVEPOLL_READ_SIDE_SHARED_READS_FOR (" + text(c, SHARED_READS_FOR) + ") must be shorter than "
              + FORGET_AGAIN + " (" + text(c, FORGET_AGAIN) + "): a projection may write a deleted poll's rows back"
              + " from a read kept from before its erasure, until its rows are removed the second time"),
      new Rule(c -> c.getInt("livepoll.read-side.catalogue.default-limit")
          <= c.getInt("livepoll.read-side.catalogue.max-limit"),
          c -> "livepoll.read-side.catalogue.default-limit (" + c.getInt("livepoll.read-side.catalogue.default-limit")
              + ") must not exceed LIVEPOLL_CATALOGUE_MAX_LIMIT ("
              + c.getInt("livepoll.read-side.catalogue.max-limit") + ")"));

  /** What is wrong with {@code config}, one sentence per broken rule; empty when the settings fit together. */
  static List<String> problems(Config config) {
    List<String> problems = new ArrayList<>();
    for (Rule rule : RULES) {
      if (!rule.holds().apply(config)) {
        problems.add(rule.problem().apply(config));
      }
    }
    return problems;
  }

  /** Throws with every problem of {@code config} listed, if it has any. */
  static void require(Config config) {
    List<String> problems = problems(config);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("settings that do not fit together:\n  - " + String.join("\n  - ", problems));
    }
  }

  private static boolean infinite(Config config, String path) {
    return "infinite".equals(config.getString(path));
  }

  private static Duration duration(Config config, String path) {
    return infinite(config, path) ? Duration.ofSeconds(Long.MAX_VALUE) : config.getDuration(path);
  }

  private static Duration longest(Config config, String first, String second) {
    Duration a = duration(config, first);
    Duration b = duration(config, second);
    return a.compareTo(b) >= 0 ? a : b;
  }

  private static String text(Config config, String path) {
    return config.getValue(path).unwrapped().toString();
  }
}
