package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import support.TestConfig;

/** Settings that depend on each other: the defaults fit together, and each contradiction is named at start. */
class SettingsCheckTest {

  @Test
  void theDefaultsFitTogether() {
    assertEquals(List.of(), SettingsCheck.problems(TestConfig.with("")));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "livepoll.http.retry-within = 25s | LIVEPOLL_HTTP_RETRY_WITHIN",
      "livepoll.http.ask-timeout = 21s | LIVEPOLL_HTTP_ASK_TIMEOUT",
      "pekko.http.server.request-timeout = 10s | pekko.http.server.request-timeout",
      "pekko.http.server.idle-timeout = 10s | LIVEPOLL_HTTP_IDLE_TIMEOUT",
      "livepoll.live.slow-reader-timeout = 50ms | LIVEPOLL_LIVE_SLOW_READER_TIMEOUT",
      "livepoll.read-side.catalogue.max-limit = 10 | LIVEPOLL_CATALOGUE_MAX_LIMIT",
      "livepoll.read-side.shared-reads-for = 5s | LIVEPOLL_READ_SIDE_SHARED_READS_FOR"})
  void aContradictionIsRefusedWithTheSettingsItInvolves(String setting, String named) {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> Settings.from(TestConfig.with(setting)));
    assertTrue(refused.getMessage().contains(named), refused.getMessage());
    assertEquals(1, SettingsCheck.problems(TestConfig.with(setting)).size(), refused.getMessage());
  }

  @Test
  void anInfiniteIdleTimeoutNeedsNoKeepAlive() {
    assertEquals(List.of(), SettingsCheck.problems(TestConfig.with(
        "pekko.http.server.idle-timeout = infinite\nlivepoll.live.keep-alive-every = 0s")));
  }

  @Test
  void anIdleTimeoutNeedsKeepAliveFramesBeforeIt() {
    assertTrue(SettingsCheck.problems(TestConfig.with("livepoll.live.keep-alive-every = 0s")).get(0)
        .contains("LIVEPOLL_LIVE_KEEP_ALIVE_EVERY"));
    assertTrue(SettingsCheck.problems(TestConfig.with("livepoll.live.keep-alive-every = 50s")).get(0)
        .contains("LIVEPOLL_LIVE_KEEP_ALIVE_EVERY"));
  }

  @Test
  void anInfiniteKeepAliveIntervalIsRefusedWithTheWayToTurnItOff() {
    List<String> problems = SettingsCheck.problems(TestConfig.with("livepoll.live.keep-alive-every = infinite"));
    assertEquals(1, problems.size(), problems::toString);
    assertTrue(problems.get(0).contains("0s, not infinite"), problems.get(0));
  }

  @Test
  void liveSocketsCheckTheirTokensAtAPositiveInterval() {
    for (String interval : List.of("0s", "infinite")) {
      List<String> problems = SettingsCheck.problems(
          TestConfig.with("livepoll.live.token-check-interval = " + interval));
      assertEquals(1, problems.size(), problems::toString);
      assertTrue(problems.get(0).contains("LIVEPOLL_LIVE_TOKEN_CHECK_INTERVAL"), problems.get(0));
    }
  }

  @Test
  void everyProblemIsListedAtOnce() {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> Settings.from(
        TestConfig.with("livepoll.http.retry-within = 25s\nlivepoll.live.slow-reader-timeout = 50ms")));
    assertTrue(refused.getMessage().contains("LIVEPOLL_HTTP_RETRY_WITHIN")
        && refused.getMessage().contains("LIVEPOLL_LIVE_SLOW_READER_TIMEOUT"), refused.getMessage());
  }
}
