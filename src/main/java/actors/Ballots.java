package actors;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.OptionConverters;

/**
 * Who voted for what: voter id to their ballot as {@link Poll.BallotChange} records it, a list of integers (option
 * indexes, or the rating) or of words; and for voters whose client numbers its ballots, the sequence number of the
 * latest one accepted, which outlives a retraction and the round (so a late, older ballot never counts again).
 *
 * <p>Immutable and persistent (hash tries from the Scala library Pekko already ships), so recording one ballot in a
 * poll with a million voters costs O(log n), not a copy of the map.
 */
public final class Ballots {
  private static final Ballots EMPTY = new Ballots(scala.collection.immutable.HashMap$.MODULE$.empty(),
      scala.collection.immutable.HashMap$.MODULE$.empty());

  private final scala.collection.immutable.HashMap<String, List<?>> byVoter;
  private final scala.collection.immutable.HashMap<String, Long> latestSeq;

  private Ballots(scala.collection.immutable.HashMap<String, List<?>> byVoter,
      scala.collection.immutable.HashMap<String, Long> latestSeq) {
    this.byVoter = byVoter;
    this.latestSeq = latestSeq;
  }

  public static Ballots empty() {
    return EMPTY;
  }

  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static Ballots fromMap(Map<String, List<Integer>> byVoter) {
    scala.collection.immutable.HashMap<String, List<?>> map = scala.collection.immutable.HashMap$.MODULE$.empty();
    for (Map.Entry<String, List<Integer>> entry : byVoter.entrySet()) {
      map = map.updated(entry.getKey(), List.copyOf(entry.getValue()));
    }
    return new Ballots(map, scala.collection.immutable.HashMap$.MODULE$.empty());
  }

  public Optional<List<?>> ballotOf(String voterId) {
    return OptionConverters.toJava(byVoter.get(voterId));
  }

  /** The sequence number of the voter's latest accepted ballot or retraction, if their client numbers them. */
  public Optional<Long> latestSeq(String voterId) {
    return OptionConverters.toJava(latestSeq.get(voterId));
  }

  public Ballots with(String voterId, List<?> ballot) {
    return new Ballots(byVoter.updated(voterId, List.copyOf(ballot)), latestSeq);
  }

  public Ballots without(String voterId) {
    return new Ballots(byVoter.removed(voterId), latestSeq);
  }

  /** These ballots after the voter's change numbered {@code seq} (null: the client numbers nothing). */
  public Ballots numbered(String voterId, Long seq) {
    return seq == null ? this : new Ballots(byVoter, latestSeq.updated(voterId, seq));
  }

  /** No ballots, for the next round; the voters' sequence numbers stay. */
  public Ballots nextRound() {
    return new Ballots(EMPTY.byVoter, latestSeq);
  }

  public int size() {
    return byVoter.size();
  }

  /** A read-only view for snapshots; Jackson writes it as a plain JSON/CBOR object. */
  @JsonValue
  public Map<String, List<?>> asMap() {
    return CollectionConverters.asJava(byVoter);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Ballots that && byVoter.equals(that.byVoter) && latestSeq.equals(that.latestSeq);
  }

  @Override
  public int hashCode() {
    return byVoter.hashCode();
  }

  @Override
  public String toString() {
    return "Ballots(" + size() + " voters)";
  }
}
