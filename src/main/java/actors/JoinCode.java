package actors;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * A join code: the six characters a voter types to find a poll. Each code is an entity of its own under Cluster
 * Sharding, the single writer of which poll holds it, so two polls never hold one code at once, on any node.
 *
 * <p>A code is free when nobody ever claimed it, or when its holder is closed or does not exist. The entity does not
 * know polls: a claim names the holder it replaces (compare and set), and the caller ({@link Polls}) checks that
 * holder's status first. A closed poll keeps its code in its view; its code just no longer leads to it.
 */
public final class JoinCode {
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "JoinCode");
  /** No 0/O, 1/I/L: a code read off a projector and typed on a phone is never ambiguous. */
  public static final String ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
  public static final int LENGTH = 6;
  private static final Pattern FORMAT = Pattern.compile("[" + ALPHABET + "]{" + LENGTH + "}");
  private static final SecureRandom RANDOM = new SecureRandom();

  private JoinCode() {}

  /** What a code's entity takes. */
  public sealed interface Command extends CborSerializable permits Claim, Lookup {}

  /**
   * Gives the code to {@code pollId} if it is free, already {@code pollId}'s, or held by {@code replacing} (a holder
   * the caller found closed or gone); answered with the code's holder after the claim, which is {@code pollId} when
   * it was granted.
   */
  public record Claim(String pollId, String replacing, ActorRef<Holding> replyTo) implements Command {}

  public record Lookup(ActorRef<Holding> replyTo) implements Command {}

  /** Who holds {@code code} and since when; {@code pollId} is null for a code never claimed. */
  public record Holding(String code, String pollId, Instant since) implements CborSerializable {
    public boolean heldBy(String poll) {
      return pollId != null && pollId.equals(poll);
    }
  }

  public sealed interface Event extends CborSerializable permits CodeClaimed {}

  public record CodeClaimed(String code, String pollId, Instant at) implements Event {}

  /** A new random code; about 887 million exist, so a free one is found at the first try while polls are few. */
  public static String random() {
    StringBuilder code = new StringBuilder(LENGTH);
    for (int i = 0; i < LENGTH; i++) {
      code.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
    }
    return code.toString();
  }

  /** The code as typed, in canonical form (upper case, no spaces or dashes), or null if it is not a join code. */
  public static String normalize(String typed) {
    if (typed == null) {
      return null;
    }
    String code = typed.replaceAll("[\\s-]", "").toUpperCase(Locale.ROOT);
    return FORMAT.matcher(code).matches() ? code : null;
  }

  /** Registers the code entities with Cluster Sharding on this node. */
  public static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, context -> create(context.getEntityId())));
  }

  /** The entity of one code, outside sharding too (tests). */
  public static Behavior<Command> create(String code) {
    return new Holder(code);
  }

  /** The holder of a code, event sourced: one small event per claim. */
  private static final class Holder extends EventSourcedBehavior<Command, Event, Holding> {
    private final String code;

    Holder(String code) {
      super(PersistenceId.of(ENTITY_KEY.name(), code),
          SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
      this.code = code;
    }

    @Override
    public Holding emptyState() {
      return new Holding(code, null, null);
    }

    @Override
    public CommandHandler<Command, Event, Holding> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(Lookup.class, (holding, lookup) -> Effect().reply(lookup.replyTo(), holding))
          .onCommand(Claim.class, this::claim)
          .build();
    }

    private Effect<Event, Holding> claim(Holding holding, Claim claim) {
      if (holding.heldBy(claim.pollId())) {
        return Effect().reply(claim.replyTo(), holding);
      }
      boolean free = holding.pollId() == null || holding.pollId().equals(claim.replacing());
      if (!free) {
        return Effect().reply(claim.replyTo(), holding);
      }
      return Effect().persist(new CodeClaimed(code, claim.pollId(), Instant.now()))
          .thenReply(claim.replyTo(), claimed -> claimed);
    }

    @Override
    public EventHandler<Holding, Event> eventHandler() {
      return newEventHandlerBuilder().forAnyState()
          .onEvent(CodeClaimed.class, (holding, claimed) -> new Holding(code, claimed.pollId(), claimed.at()))
          .build();
    }
  }
}
