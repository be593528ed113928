package actors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The durable list of revoked token subjects: who may revoke whom, and that it survives a restart. */
class TokenRevocationsTest {
  private static final Instant NOW = Instant.parse("2026-11-30T08:00:00Z");
  private static ActorTestKit testKit;
  private EventSourcedBehaviorTestKit<TokenRevocations.Command, TokenRevocations.Event, TokenRevocations.Listed> kit;

  @BeforeAll
  static void startSystem() {
    testKit = ActorTestKit.create(support.TestConfig.eventSourcedTestKit());
  }

  @AfterAll
  static void stopSystem() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void newStore() {
    kit = EventSourcedBehaviorTestKit.create(testKit.system(),
        TokenRevocations.create(new MutableClock(NOW)),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
    kit.clear();
  }

  @Test
  void anOrganizerRevokesTheirOwnTokensOnlyAndAnAdminAnyones() {
    var own = kit.<TokenRevocations.Reply>runCommand(replyTo ->
        new TokenRevocations.Revoke(new Requester("alice", false), "alice", replyTo));
    assertEquals(new TokenRevocations.Revoked("alice", NOW), own.reply());
    assertEquals(List.of(new TokenRevocations.SubjectRevoked("alice", NOW, "alice")), own.events());

    var other = kit.<TokenRevocations.Reply>runCommand(replyTo ->
        new TokenRevocations.Revoke(new Requester("alice", false), "bob", replyTo));
    assertTrue(assertInstanceOf(TokenRevocations.Refused.class, other.reply()).forbidden());
    assertTrue(other.events().isEmpty());

    var byAdmin = kit.<TokenRevocations.Reply>runCommand(replyTo ->
        new TokenRevocations.Revoke(new Requester("root", true), "bob", replyTo));
    assertInstanceOf(TokenRevocations.Revoked.class, byAdmin.reply());

    var invalid = kit.<TokenRevocations.Reply>runCommand(replyTo ->
        new TokenRevocations.Revoke(new Requester("root", true), "no spaces", replyTo));
    assertTrue(!assertInstanceOf(TokenRevocations.Refused.class, invalid.reply()).forbidden());
  }

  @Test
  void revocationsSurviveARestart() {
    kit.<TokenRevocations.Reply>runCommand(replyTo ->
        new TokenRevocations.Revoke(new Requester("root", true), "bob", replyTo));
    kit.restart();
    var listed = kit.<TokenRevocations.Reply>runCommand(TokenRevocations.GetAll::new);
    assertEquals(new TokenRevocations.Listed(Map.of("bob", NOW)), listed.reply());
  }
}
