package audit;

import com.datastax.oss.driver.api.core.uuid.Uuids;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records privileged actions where they are accepted, once they succeeded: {@link #record}. The edge calls it with
 * who asked and from where; it holds no rules of what is privileged beyond the {@link AuditAction}s.
 */
public final class Audit {
  private static final Logger log = LoggerFactory.getLogger(Audit.class);
  /** Where callbacks run: where their future completes (Pekko's Java futures would start a thread for each). */
  private static final Executor HERE = Runnable::run;
  /** The audit of each actor system, for the operator endpoints that Pekko Management builds. */
  private static final Map<org.apache.pekko.actor.ActorSystem, Audit> RUNNING = new ConcurrentHashMap<>();

  private final AuditLog auditLog;
  private final Clock clock;

  public Audit(AuditLog auditLog, Clock clock) {
    this.auditLog = auditLog;
    this.clock = clock;
  }

  /** Makes this the audit of {@code system}'s operator endpoints, until the system terminates. */
  public Audit registerIn(ActorSystem<?> system) {
    org.apache.pekko.actor.ActorSystem classic = Adapter.toClassic(system);
    RUNNING.put(classic, this);
    system.getWhenTerminated().thenRunAsync(() -> RUNNING.remove(classic), HERE);
    return this;
  }

  public static Optional<Audit> runningIn(org.apache.pekko.actor.ActorSystem system) {
    return Optional.ofNullable(RUNNING.get(system));
  }

  public AuditLog log() {
    return auditLog;
  }

  /**
   * Appends one entry; completes when it is durable. Never fails: the action it records has happened already, so a
   * log that cannot be written is logged as an error (with the entry) and the caller goes on.
   */
  public CompletionStage<Done> record(Actor actor, AuditAction action, String pollId, String address, String detail) {
    Instant now = clock.instant();
    UUID id = Uuids.startOf(now.toEpochMilli());
    // startOf is the lowest id of its millisecond; random low bits keep two entries of one millisecond apart
    UUID unique = new UUID(id.getMostSignificantBits(), Uuids.random().getLeastSignificantBits());
    AuditEntry entry = new AuditEntry(unique, now, actor.subject(), actor.role(), action.code(), pollId, address,
        detail);
    return auditLog.append(entry).exceptionallyAsync(failure -> {
      log.error("Audit entry could not be written: {}", entry, failure);
      return Done.getInstance();
    }, HERE);
  }
}
