package readside;

import static org.junit.jupiter.api.Assertions.assertEquals;

import actors.PollChanges;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What makes the projections of all read models see a slice's change records alike: they read the log at the same
 * look times on the clock, and what one read returns is one group, each poll at the furthest version recorded.
 */
class ChangeLogSourceTest {
  private static final Duration EVERY = Duration.ofMillis(250);

  @Test
  void projectionsAskingAtDifferentMomentsOfOneLookPeriodReadAtTheSameLookTime() {
    Instant lookTime = Instant.parse("2026-12-01T09:00:00.250Z");
    for (Instant asked : List.of(Instant.parse("2026-12-01T09:00:00.001Z"), Instant.parse("2026-12-01T09:00:00.137Z"),
        Instant.parse("2026-12-01T09:00:00.249Z"))) {
      assertEquals(lookTime, asked.plus(ChangeLogSource.untilTheNextLookTime(EVERY, asked)), asked::toString);
    }
    // asked right at a look time: the next one, so that looks stay at most one per look time
    Instant atLookTime = Instant.parse("2026-12-01T09:00:00.500Z");
    assertEquals(EVERY, ChangeLogSource.untilTheNextLookTime(EVERY, atLookTime));
  }

  @Test
  void aReadsRecordsBecomeOneGroupWithEachPollAtItsFurthestVersion() {
    PollChanges.PollsChanged group = PollChanges.PollsChanged.furthest(Stream.of(
        new PollChanges.PollSeq("b", 7), new PollChanges.PollSeq("a", 3), new PollChanges.PollSeq("b", 9),
        new PollChanges.PollSeq("a", 2)));
    assertEquals(List.of(new PollChanges.PollSeq("b", 9), new PollChanges.PollSeq("a", 3)), group.polls());
  }
}
