package actors;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
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

  /**
   * Whether this node must write nothing: it was downed or removed, or it cannot reach a majority of the members.
   * The others (the majority) will down such a node and start its polls, so it stops the moment it notices, not only
   * once its own split brain resolver decides, stable-after later: a node cut off by a partition stops writing
   * seconds before the majority removes it, whatever the skew between the two sides' decisions. A node that only
   * missed heartbeats for a moment writes again as soon as it reaches the majority again.
   */
  public static BooleanSupplier cutOff(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(system);
    BooleanSupplier downed = nodeDowned(system);
    return () -> downed.getAsBoolean() || !reachesMajority(cluster.state());
  }

  /** Whether this node and the members it reaches are the side Pekko's keep-majority strategy keeps. */
  private static boolean reachesMajority(ClusterEvent.CurrentClusterState state) {
    Set<Member> unreachable = state.getUnreachable();
    if (unreachable.isEmpty()) {
      return true;
    }
    List<Address> counted = new ArrayList<>();
    for (Member member : state.getMembers()) {
      MemberStatus status = member.status();
      if (status == MemberStatus.up() || status == MemberStatus.leaving() || status == MemberStatus.exiting()) {
        counted.add(member.address());
      }
    }
    Set<Address> lost = new HashSet<>();
    unreachable.forEach(member -> lost.add(member.address()));
    return keptByMajority(counted, lost);
  }

  /**
   * Whether the members of {@code counted} (Up, Leaving, Exiting) that are not {@code unreachable} are the side that
   * keep-majority keeps: more than half of them, or exactly half including the one with the lowest address.
   */
  static boolean keptByMajority(List<Address> counted, Set<Address> unreachable) {
    long reached = counted.stream().filter(address -> !unreachable.contains(address)).count();
    if (reached * 2 != counted.size()) {
      return reached * 2 > counted.size();
    }
    return counted.stream().min(Member.addressOrdering()).filter(lowest -> !unreachable.contains(lowest)).isPresent();
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
