package actors;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.apache.pekko.actor.Address;
import org.junit.jupiter.api.Test;

/** When a node stops writing: as soon as it cannot reach the side that Pekko's keep-majority strategy keeps. */
class PollEntityTest {
  private static final Address A = node(2551);
  private static final Address B = node(2552);
  private static final Address C = node(2553);
  private static final Address D = node(2554);

  private static Address node(int port) {
    return new Address("pekko", "livepoll", "127.0.0.1", port);
  }

  @Test
  void aNodeThatReachesMoreThanHalfOfTheMembersWrites() {
    assertTrue(PollEntity.keptByMajority(List.of(A, B, C), Set.of()));
    // a crashed member: the two others write on
    assertTrue(PollEntity.keptByMajority(List.of(A, B, C), Set.of(A)));
    assertTrue(PollEntity.keptByMajority(List.of(A), Set.of()));
  }

  @Test
  void aNodeCutOffFromTheMajorityStopsWriting() {
    // the view of C when a partition leaves it alone
    assertFalse(PollEntity.keptByMajority(List.of(A, B, C), Set.of(A, B)));
    assertFalse(PollEntity.keptByMajority(List.of(A, B, C, D), Set.of(A, B, C)));
  }

  @Test
  void anEvenSplitKeepsTheHalfWithTheLowestAddress() {
    assertTrue(PollEntity.keptByMajority(List.of(C, A, B, D), Set.of(C, D)));
    assertFalse(PollEntity.keptByMajority(List.of(C, A, B, D), Set.of(A, B)));
    // two nodes, one crashed: the one left writes only if it has the lower address
    assertTrue(PollEntity.keptByMajority(List.of(B, A), Set.of(B)));
    assertFalse(PollEntity.keptByMajority(List.of(B, A), Set.of(A)));
  }
}
