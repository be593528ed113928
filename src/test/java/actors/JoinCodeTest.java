package actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A join code's entity: one holder at a time, replaced only by a claim that names the holder it replaces. */
class JoinCodeTest {
  private static final String CODE = "ABC234";
  private static ActorTestKit testKit;
  private EventSourcedBehaviorTestKit<JoinCode.Command, JoinCode.Event, JoinCode.Holding> kit;

  @BeforeAll
  static void startSystem() {
    testKit = ActorTestKit.create(support.TestConfig.eventSourcedTestKit());
  }

  @AfterAll
  static void stopSystem() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void freshCode() {
    kit = EventSourcedBehaviorTestKit.create(testKit.system(), JoinCode.create(CODE));
    kit.clear();
  }

  private CommandResultWithReply<JoinCode.Command, JoinCode.Event, JoinCode.Holding, JoinCode.Holding> claim(
      String pollId, String replacing) {
    return kit.runCommand(replyTo -> new JoinCode.Claim(pollId, replacing, replyTo));
  }

  @Test
  void aFreeCodeGoesToTheFirstClaim() {
    assertNull(kit.<JoinCode.Holding>runCommand(JoinCode.Lookup::new).reply().pollId());
    var claimed = claim("poll00000001", null);
    assertEquals("poll00000001", claimed.reply().pollId());
    assertEquals(CODE, claimed.reply().code());
    assertEquals("poll00000001", ((JoinCode.CodeClaimed) claimed.event()).pollId());
    assertEquals("poll00000001", kit.<JoinCode.Holding>runCommand(JoinCode.Lookup::new).reply().pollId());
  }

  @Test
  void aHeldCodeIsRefusedUnlessTheClaimReplacesItsHolder() {
    claim("poll00000001", null);
    var refused = claim("poll00000002", null);
    assertEquals("poll00000001", refused.reply().pollId(), "the answer names the holder");
    assertTrue(refused.hasNoEvents());
    var wrongGuess = claim("poll00000002", "poll00000009");
    assertEquals("poll00000001", wrongGuess.reply().pollId());
    assertTrue(wrongGuess.hasNoEvents());

    var replaced = claim("poll00000002", "poll00000001");
    assertEquals("poll00000002", replaced.reply().pollId());
    assertEquals(1, replaced.events().size());
  }

  @Test
  void claimingAgainForTheSamePollChangesNothing() {
    claim("poll00000001", null);
    var again = claim("poll00000001", null);
    assertTrue(again.reply().heldBy("poll00000001"));
    assertTrue(again.hasNoEvents());
  }

  @Test
  void theHolderSurvivesARestart() {
    claim("poll00000001", null);
    kit.restart();
    assertEquals("poll00000001", kit.<JoinCode.Holding>runCommand(JoinCode.Lookup::new).reply().pollId());
  }

  @Test
  void codesUseOnlyUnambiguousCharactersAndAreReadInAnyCase() {
    Set<String> codes = new HashSet<>();
    for (int i = 0; i < 2000; i++) {
      String code = JoinCode.random();
      assertTrue(code.matches("[A-HJKMNP-Z2-9]{6}"), code);
      codes.add(code);
    }
    assertTrue(codes.size() > 1990, "codes repeat too often: " + codes.size());
    assertEquals("ABC234", JoinCode.normalize(" abc-234 "));
    assertNull(JoinCode.normalize("ABC23O"), "O is not in the alphabet (it reads as 0)");
    assertNull(JoinCode.normalize("ABC2345"));
    assertNull(JoinCode.normalize(null));
  }
}
