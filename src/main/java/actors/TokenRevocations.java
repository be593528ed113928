package actors;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

/**
 * Revoked tokens, cluster-wide and durable: for each subject (an organizer's or admin's name, a voter id), the instant
 * before which its tokens no longer count. One event-sourced entity under Cluster Sharding is the single writer; every
 * node keeps a copy ({@link Known}) that a topic refreshes at once and a periodic read refreshes in any case, so
 * checking a token costs a map lookup.
 *
 * <p>An admin may revoke anyone's tokens; an organizer their own (a leaked token: "log out everywhere").
 */
public final class TokenRevocations {
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "TokenRevocations");
  private static final String ENTITY_ID = "all";
  private static final String TOPIC = "token-revocations";
  /** Each node's copy of the revocations, by actor system (one per node; a test JVM may run several). */
  private static final Map<ActorSystem<?>, Known> KNOWN = new java.util.concurrent.ConcurrentHashMap<>();
  /** The subjects tokens are issued to: organizer names and voter ids. */
  private static final Pattern SUBJECT = Pattern.compile("[A-Za-z0-9._@:-]{1,128}");

  private TokenRevocations() {}

  public sealed interface Command extends CborSerializable permits Revoke, GetAll {}

  /** Revokes every token of {@code subject} issued before now. */
  public record Revoke(Requester requester, String subject, ActorRef<Reply> replyTo) implements Command {}

  public record GetAll(ActorRef<Reply> replyTo) implements Command {}

  public sealed interface Reply extends CborSerializable permits Revoked, Refused, Listed {}

  /** Tokens of {@code subject} issued before {@code notBefore} are refused from now on. */
  public record Revoked(String subject, Instant notBefore) implements Reply {}

  /** {@code forbidden}: the requester may not revoke this subject's tokens; else the subject is not valid. */
  public record Refused(boolean forbidden, String detail) implements Reply {}

  /** Every revoked subject and its not-before; also what the topic carries after each change. */
  public record Listed(Map<String, Instant> notBefore) implements Reply {
    public Listed {
      notBefore = Map.copyOf(notBefore);
    }
  }

  public sealed interface Event extends CborSerializable permits SubjectRevoked {}

  public record SubjectRevoked(String subject, Instant notBefore, String by) implements Event {}

  /** Registers the entity with Cluster Sharding on this node. */
  public static void init(ActorSystem<?> system, Clock clock) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, context -> create(clock)));
  }

  /** The entity, outside sharding too (tests): its topic is found by name on every node. */
  public static Behavior<Command> create(Clock clock) {
    return Behaviors.setup(context -> new Store(
        context.spawn(Topic.create(Listed.class, TOPIC), "topic"), clock));
  }

  /** Whether {@code requester} may revoke the tokens of {@code subject}: an admin anyone's, anyone their own. */
  static boolean mayRevoke(Requester requester, String subject) {
    return requester.admin() || requester.name().equals(subject);
  }

  private static final class Store extends EventSourcedBehavior<Command, Event, Listed> {
    private final ActorRef<Topic.Command<Listed>> topic;
    private final Clock clock;

    Store(ActorRef<Topic.Command<Listed>> topic, Clock clock) {
      super(PersistenceId.of(ENTITY_KEY.name(), ENTITY_ID),
          SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.1));
      this.topic = topic;
      this.clock = clock;
    }

    @Override
    public Listed emptyState() {
      return new Listed(Map.of());
    }

    @Override
    public CommandHandler<Command, Event, Listed> commandHandler() {
      return newCommandHandlerBuilder().forAnyState()
          .onCommand(GetAll.class, (state, get) -> Effect().reply(get.replyTo(), state))
          .onCommand(Revoke.class, this::revoke)
          .build();
    }

    private Effect<Event, Listed> revoke(Listed state, Revoke revoke) {
      if (revoke.subject() == null || !SUBJECT.matcher(revoke.subject()).matches()) {
        return Effect().reply(revoke.replyTo(),
            new Refused(false, "subject must be 1 to 128 characters of [A-Za-z0-9._@:-]"));
      }
      if (!mayRevoke(revoke.requester(), revoke.subject())) {
        return Effect().reply(revoke.replyTo(), new Refused(true,
            revoke.requester().name() + " may revoke only their own tokens; an admin may revoke anyone's"));
      }
      Instant now = clock.instant();
      return Effect().persist(new SubjectRevoked(revoke.subject(), now, revoke.requester().name()))
          .thenRun(after -> topic.tell(Topic.publish(after)))
          .thenReply(revoke.replyTo(), after -> new Revoked(revoke.subject(), after.notBefore().get(revoke.subject())));
    }

    @Override
    public EventHandler<Listed, Event> eventHandler() {
      return newEventHandlerBuilder().forAnyState()
          .onEvent(SubjectRevoked.class, (state, revoked) -> {
            Map<String, Instant> next = new HashMap<>(state.notBefore());
            next.merge(revoked.subject(), revoked.notBefore(), (was, now) -> now.isAfter(was) ? now : was);
            return new Listed(next);
          })
          .build();
    }
  }

  /**
   * Asks the entity, wherever it runs. A revocation it accepts is in this node's copy ({@link Known}) before the
   * returned stage completes: the topic brings it too, but maybe only after this node has answered the client, who
   * may send the revoked token again at once.
   */
  public static CompletionStage<Reply> revoke(ActorSystem<?> system, Requester requester, String subject,
      Duration timeout) {
    // where the answer arrives: a Pekko future's thenApply would start a thread for it on two cores
    return entity(system).<Reply>ask(replyTo -> new Revoke(requester, subject, replyTo), timeout)
        .thenApplyAsync(reply -> {
          Known known = KNOWN.get(system);
          if (reply instanceof Revoked revoked && known != null) {
            known.update(Map.of(revoked.subject(), revoked.notBefore()));
          }
          return reply;
        }, Runnable::run);
  }

  private static EntityRef<Command> entity(ActorSystem<?> system) {
    return ClusterSharding.get(system).entityRefFor(ENTITY_KEY, ENTITY_ID);
  }

  /**
   * This node's copy of the revocations: replaced whenever the topic brings a change, and read again from the entity
   * every {@code refreshEvery} (a topic message can be missed while a node joins).
   */
  public static final class Known {
    private final AtomicReference<Map<String, Instant>> notBefore = new AtomicReference<>(Map.of());
    private final CompletableFuture<Done> loaded = new CompletableFuture<>();

    private Known() {}

    /** Starts keeping this node's copy; {@link #loaded} completes once the entity has answered the first time. */
    public static Known start(ActorSystem<?> system, Duration refreshEvery, Duration timeout) {
      Known known = new Known();
      system.systemActorOf(Behaviors.<Object>setup(context -> {
        ActorRef<Topic.Command<Listed>> topic = context.spawn(Topic.create(Listed.class, TOPIC), "topic");
        topic.tell(Topic.subscribe(context.getSelf().narrow()));
        return Behaviors.withTimers(timers -> {
          timers.startTimerWithFixedDelay("refresh", Refresh.INSTANCE, Duration.ZERO, refreshEvery);
          return Behaviors.receive(Object.class)
              .onMessageEquals(Refresh.INSTANCE, () -> {
                context.pipeToSelf(entity(system).ask(GetAll::new, timeout), (reply, failure) ->
                    failure == null ? reply : Refresh.FAILED);
                return Behaviors.same();
              })
              .onMessage(Listed.class, listed -> {
                known.update(listed.notBefore());
                return Behaviors.same();
              })
              .onMessageEquals(Refresh.FAILED, Behaviors::same)
              .build();
        });
      }), "token-revocations", org.apache.pekko.actor.typed.Props.empty());
      KNOWN.put(system, known);
      system.getWhenTerminated().thenRun(() -> KNOWN.remove(system, known));
      return known;
    }

    private enum Refresh { INSTANCE, FAILED }

    private void update(Map<String, Instant> latest) {
      // a stale answer must not undo a newer revocation: keep the later instant of each subject
      notBefore.updateAndGet(current -> {
        Map<String, Instant> merged = new HashMap<>(current);
        latest.forEach((subject, at) -> merged.merge(subject, at, (was, now) -> now.isAfter(was) ? now : was));
        return Map.copyOf(merged);
      });
      loaded.complete(Done.getInstance());
    }

    /** When the tokens of {@code subject} start to count again; null when none was revoked. */
    public Instant notBefore(String subject) {
      return notBefore.get().get(subject);
    }

    public CompletionStage<Done> loaded() {
      return loaded;
    }
  }
}
