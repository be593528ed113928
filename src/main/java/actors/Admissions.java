package actors;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import scala.jdk.javaapi.OptionConverters;

/**
 * Who was let into a poll by name: the voters its owner invited, and those who signed up through its join code. A
 * revoked admission stays recorded (who revoked it and when) and its voter's ballots are refused from then on.
 *
 * <p>Immutable and persistent like {@link Ballots}: admitting one more voter to a poll with many costs O(log n). Polls
 * written before admissions were recorded have none; their invite tokens are honoured as they always were.
 */
public final class Admissions {
  private static final Admissions NONE =
      new Admissions(scala.collection.immutable.HashMap$.MODULE$.empty(), 0, 0);

  /** How a voter was admitted. */
  public enum Way {
    /** Invited by the owner (or an admin): {@code by} names them. */
    INVITED,
    /** Signed up through the poll's join code. */
    JOINED
  }

  /** One admission: {@code revokedAt} and {@code revokedBy} are null while it holds. */
  public record Admission(String voterId, Way way, String by, Instant at, String revokedBy, Instant revokedAt)
      implements CborSerializable {
    public boolean revoked() {
      return revokedAt != null;
    }

    Admission revoke(String who, Instant when) {
      return new Admission(voterId, way, by, at, who, when);
    }
  }

  private final scala.collection.immutable.HashMap<String, Admission> byVoter;
  private final int invited;
  private final int joined;

  private Admissions(scala.collection.immutable.HashMap<String, Admission> byVoter, int invited, int joined) {
    this.byVoter = byVoter;
    this.invited = invited;
    this.joined = joined;
  }

  public static Admissions none() {
    return NONE;
  }

  public Optional<Admission> of(String voterId) {
    return OptionConverters.toJava(byVoter.get(voterId));
  }

  /** Whether {@code voterId}'s admission was revoked (a voter never recorded is not). */
  public boolean revoked(String voterId) {
    return of(voterId).map(Admission::revoked).orElse(false);
  }

  /** Invitations minted so far, revoked ones included: what the cap on invites counts. */
  public int invited() {
    return invited;
  }

  /** Voters who signed up through the join code so far. */
  public int joined() {
    return joined;
  }

  Admissions admit(List<String> voterIds, Way way, String by, Instant at) {
    scala.collection.immutable.HashMap<String, Admission> next = byVoter;
    int added = 0;
    for (String voterId : voterIds) {
      if (next.get(voterId).isEmpty()) {
        next = next.updated(voterId, new Admission(voterId, way, by, at, null, null));
        added++;
      }
    }
    return new Admissions(next, invited + (way == Way.INVITED ? added : 0), joined + (way == Way.JOINED ? added : 0));
  }

  Admissions revoke(String voterId, String by, Instant at) {
    Optional<Admission> admission = of(voterId);
    if (admission.isEmpty() || admission.get().revoked()) {
      return this;
    }
    return new Admissions(byVoter.updated(voterId, admission.get().revoke(by, at)), invited, joined);
  }

  /** Admissions of one way, oldest first, from {@code offset}, at most {@code limit}. */
  public List<Admission> list(Way way, int offset, int limit) {
    List<Admission> all = new ArrayList<>();
    scala.jdk.javaapi.CollectionConverters.asJava(byVoter.valuesIterator()).forEachRemaining(admission -> {
      if (admission.way() == way) {
        all.add(admission);
      }
    });
    all.sort(Comparator.comparing(Admission::at).thenComparing(Admission::voterId));
    return all.subList(Math.min(offset, all.size()), Math.min(all.size(), Math.max(offset, 0) + limit));
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Admissions that && byVoter.equals(that.byVoter);
  }

  @Override
  public int hashCode() {
    return byVoter.hashCode();
  }

  @Override
  public String toString() {
    return "Admissions(" + invited + " invited, " + joined + " joined)";
  }
}
