package audit;

import java.time.Instant;
import java.util.UUID;

/**
 * One privileged action, as the audit log keeps it for good: who ({@code actor}, {@code role}), what
 * ({@code action}, and {@code detail}: a count or a projection's name, never a poll's content), on which poll (null
 * for none), from which client address, when. {@code id} is time-based: it orders the log and pages through it.
 */
public record AuditEntry(UUID id, Instant at, String actor, String role, String action, String pollId,
    String address, String detail) {}
