package actors;

import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.persistence.typed.PersistenceId;

/**
 * A poll as Cluster Sharding and the journal know it: its entity type key, its persistence id, what its entity takes,
 * how it is registered, and whether this node may still write. Everything that addresses a poll goes through here;
 * {@link Poll} (the writer) and {@link PollInbox} (its sharded front) depend on this and never on each other's
 * registration, and this depends on neither.
 */
public final class PollEntity {
  private PollEntity() {}

  /** What the sharded entity of a poll takes: the poll's {@link Poll.Request}s, and Cluster Sharding's {@link Stop}. */
  public interface Message {}

  /** Sent by Cluster Sharding (hand-off, passivation) instead of stopping the entity outright. */
  public enum Stop implements Message { INSTANCE }

  /**
   * The polls' entity type. Its name is also the prefix of every poll's persistence id ({@code Poll|<id>}), which the
   * journals written by every earlier version carry: it never changes.
   */
  public static final EntityTypeKey<Message> ENTITY_KEY = EntityTypeKey.create(Message.class, "Poll");

  /** The persistence id of the poll's journal. */
  public static PersistenceId persistenceId(String pollId) {
    return PersistenceId.of(ENTITY_KEY.name(), pollId);
  }

  /** Registers the polls with Cluster Sharding on this node; {@code behavior} makes a poll's entity from its id. */
  public static void init(ActorSystem<?> system, Function<String, Behavior<Message>> behavior) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, context -> behavior.apply(context.getEntityId()))
        .withStopMessage(Stop.INSTANCE));
  }

  /** Whether this node has been downed (or removed): it lost the cluster and is shutting down, so it writes nothing. */
  public static BooleanSupplier nodeDowned(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(system);
    return () -> {
      MemberStatus status = cluster.selfMember().status();
      return status == MemberStatus.down() || status == MemberStatus.removed() || cluster.isTerminated();
    };
  }
}
