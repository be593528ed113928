package http;

import audit.AuditEntry;
import audit.AuditLog;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code GET /api/audit?pollId=&actor=&since=&limit=&cursor=}: the audit log, newest first, for admins only. */
final class AuditRoutes extends AllDirectives {
  /** Longest poll id or actor name a filter may hold: anything longer matches nothing anyway. */
  private static final int MAX_FILTER_CHARS = 200;

  private record Entries(List<AuditEntry> items, String nextCursor) {}

  private final AuditLog auditLog;
  private final Authentication auth;
  private final Problems problems;
  private final Json json;
  private final int defaultLimit;
  private final int maxLimit;

  /** {@code auditLog} is null on a node that keeps none (tests on the in-memory journal): reading it answers 503. */
  AuditRoutes(AuditLog auditLog, Authentication auth, Problems problems, Json json, int defaultLimit, int maxLimit) {
    this.auditLog = auditLog;
    this.auth = auth;
    this.problems = problems;
    this.json = json;
    this.defaultLimit = defaultLimit;
    this.maxLimit = maxLimit;
  }

  Route routes() {
    return path("audit", () -> get(() -> auth.organizer(organizer -> {
      if (!organizer.admin()) {
        return complete(problems.response(StatusCodes.FORBIDDEN, "admin-required", "Forbidden",
            "only an admin may read the audit log"));
      }
      return parameterOptional("pollId", pollId -> parameterOptional("actor", actor ->
          parameterOptional("since", since -> parameterOptional("limit", limit ->
              parameterOptional("cursor", cursor -> read(pollId, actor, since, limit, cursor))))));
    })));
  }

  private Route read(Optional<String> pollId, Optional<String> actor, Optional<String> since, Optional<String> limit,
      Optional<String> cursor) {
    if (pollId.isPresent() && (pollId.get().isEmpty() || pollId.get().length() > MAX_FILTER_CHARS)) {
      return badRequest("invalid-poll-id", "pollId is a poll's id");
    }
    if (actor.isPresent() && (actor.get().isEmpty() || actor.get().length() > MAX_FILTER_CHARS)) {
      return badRequest("invalid-actor", "actor is a name of at most " + MAX_FILTER_CHARS + " characters");
    }
    Instant from;
    try {
      from = since.map(Instant::parse).orElse(null);
    } catch (DateTimeParseException e) {
      return badRequest("invalid-since", "since is an ISO-8601 instant such as 2026-11-30T00:00:00Z");
    }
    int pageSize;
    try {
      pageSize = limit.map(Integer::parseInt).orElse(defaultLimit);
    } catch (NumberFormatException e) {
      pageSize = -1;
    }
    if (pageSize < 1 || pageSize > maxLimit) {
      return badRequest("invalid-limit", "limit is a whole number from 1 to " + maxLimit);
    }
    UUID before = cursor.map(AuditRoutes::decodeCursor).orElse(null);
    if (cursor.isPresent() && before == null) {
      return badRequest("invalid-cursor", "cursor is a nextCursor value from an earlier page, unchanged");
    }
    if (auditLog == null) {
      return complete(problems.unavailable("the audit log is not kept on this node"));
    }
    return onComplete(auditLog.page(pollId.orElse(null), actor.orElse(null), from, before, pageSize), page ->
        page.isSuccess()
            ? complete(HttpResponse.create().withStatus(StatusCodes.OK).withEntity(HttpEntities.create(
                ContentTypes.APPLICATION_JSON, json.write(new Entries(page.get().entries(),
                    page.get().next() == null ? null : encodeCursor(page.get().next()))))))
            : complete(problems.unavailable("the audit log could not be read just now; retry")));
  }

  private Route badRequest(String type, String detail) {
    return complete(problems.response(StatusCodes.BAD_REQUEST, type, "Bad request", detail));
  }

  private static String encodeCursor(UUID id) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("a1:" + id).getBytes(StandardCharsets.UTF_8));
  }

  /** The entry id a cursor stands for, or null if {@code text} is not a cursor this server wrote. */
  private static UUID decodeCursor(String text) {
    try {
      String plain = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
      if (!plain.startsWith("a1:")) {
        return null;
      }
      UUID id = UUID.fromString(plain.substring(3));
      return id.version() == 1 ? id : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
