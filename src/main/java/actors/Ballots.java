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
 * indexes, or the rating) or of words.
 *
 * <p>Immutable and persistent (a hash trie from the Scala library Pekko already ships), so recording one ballot in a
 * poll with a million voters costs O(log n), not a copy of the map.
 */
public final class Ballots {
  private static final Ballots EMPTY = new Ballots(scala.collection.immutable.HashMap$.MODULE$.empty());

  private final scala.collection.immutable.HashMap<String, List<?>> byVoter;

  private Ballots(scala.collection.immutable.HashMap<String, List<?>> byVoter) {
    this.byVoter = byVoter;
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
    return new Ballots(map);
  }

  public Optional<List<?>> ballotOf(String voterId) {
    return OptionConverters.toJava(byVoter.get(voterId));
  }

  public Ballots with(String voterId, List<?> ballot) {
    return new Ballots(byVoter.updated(voterId, List.copyOf(ballot)));
  }

  public Ballots without(String voterId) {
    return new Ballots(byVoter.removed(voterId));
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
    return other instanceof Ballots that && byVoter.equals(that.byVoter);
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
