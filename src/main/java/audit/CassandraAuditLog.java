package audit;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchType;
import com.datastax.oss.driver.api.core.cql.BatchStatementBuilder;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.cql.Statement;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSessionRegistry;

/**
 * The audit log in Cassandra: each entry in three append-only tables, one partition per month, per poll and per
 * actor, newest first. A page reads the partition its filter names (the poll's, else the actor's, else the months
 * from the newest back), so a filtered read never scans the whole log.
 */
public final class CassandraAuditLog implements AuditLog {
  /** Where callbacks run: where their future completes (Pekko's Java futures would start a thread for each). */
  private static final Executor HERE = Runnable::run;
  /** The first month of the log: no entry is older (the log was introduced in November 2026). */
  static final YearMonth FIRST_MONTH = YearMonth.of(2026, 11);
  private static final String COLUMNS = "id, actor, role, action, poll_id, address, detail";

  private final CompletionStage<CqlSession> session;
  private final Executor dispatcher;
  private final String keyspace;
  /** Rows one page reads at most while filtering by both poll and actor; the page may then come back shorter. */
  private final int maxScanned;

  public CassandraAuditLog(ActorSystem<?> system, String keyspace, int maxScanned) {
    this.session = CassandraSessionRegistry.get(system).sessionFor("pekko.persistence.cassandra").underlying();
    this.dispatcher = system.executionContext();
    this.keyspace = keyspace;
    this.maxScanned = maxScanned;
  }

  /** One logged batch: the entry is in all three tables or in none. */
  @Override
  public CompletionStage<Done> append(AuditEntry e) {
    BatchStatementBuilder batch = BatchStatement.builder(BatchType.LOGGED);
    batch.addStatement(SimpleStatement.newInstance("INSERT INTO " + keyspace + ".audit_by_month (month, " + COLUMNS
        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)", month(e.at()).toString(), e.id(), e.actor(), e.role(), e.action(),
        e.pollId(), e.address(), e.detail()));
    batch.addStatement(SimpleStatement.newInstance("INSERT INTO " + keyspace + ".audit_by_actor (actor, id, role, "
        + "action, poll_id, address, detail) VALUES (?, ?, ?, ?, ?, ?, ?)", e.actor(), e.id(), e.role(), e.action(),
        e.pollId(), e.address(), e.detail()));
    if (e.pollId() != null) {
      batch.addStatement(SimpleStatement.newInstance("INSERT INTO " + keyspace + ".audit_by_poll (poll_id, id, actor, "
          + "role, action, address, detail) VALUES (?, ?, ?, ?, ?, ?, ?)", e.pollId(), e.id(), e.actor(), e.role(),
          e.action(), e.address(), e.detail()));
    }
    return execute(batch.build()).thenApplyAsync(done -> Done.getInstance(), HERE);
  }

  @Override
  public CompletionStage<Page> page(String pollId, String actor, Instant since, UUID before, int limit) {
    if (pollId != null) {
      boolean filtered = actor != null;
      return read("audit_by_poll", "poll_id", pollId, since, before, filtered ? maxScanned : limit)
          .thenApplyAsync(rows -> page(rows, actor, limit, filtered ? maxScanned : limit), HERE);
    }
    if (actor != null) {
      return read("audit_by_actor", "actor", actor, since, before, limit)
          .thenApplyAsync(rows -> page(rows, null, limit, limit), HERE);
    }
    YearMonth from = before != null ? month(Instant.ofEpochMilli(Uuids.unixTimestamp(before))) : month(Instant.now());
    YearMonth last = since != null && month(since).isAfter(FIRST_MONTH) ? month(since) : FIRST_MONTH;
    return months(from, last, since, before, limit, new ArrayList<>());
  }

  /** Months from {@code month} back to {@code last}, until {@code limit} entries are found. */
  private CompletionStage<Page> months(YearMonth month, YearMonth last, Instant since, UUID before, int limit,
      List<AuditEntry> found) {
    if (month.isBefore(last)) {
      return CompletableFuture.completedFuture(new Page(found, null));
    }
    return read("audit_by_month", "month", month.toString(), since, before, limit - found.size())
        .thenComposeAsync(rows -> {
          rows.forEach(row -> found.add(entry(row)));
          if (found.size() >= limit) {
            return CompletableFuture.completedFuture(new Page(found, found.get(found.size() - 1).id()));
          }
          return months(month.minusMonths(1), last, since, before, limit, found);
        }, HERE);
  }

  /** Entries of one partition, matching {@code actor} if set; a full page (or a full scan) says where to go on. */
  private static Page page(List<Row> rows, String actor, int limit, int asked) {
    List<AuditEntry> entries = new ArrayList<>();
    UUID lastRead = null;
    int read = 0;
    while (read < rows.size() && entries.size() < limit) {
      AuditEntry entry = entry(rows.get(read++));
      lastRead = entry.id();
      if (actor == null || actor.equals(entry.actor())) {
        entries.add(entry);
      }
    }
    boolean more = read < rows.size() || rows.size() == asked;
    return new Page(entries, more ? lastRead : null);
  }

  private CompletionStage<List<Row>> read(String table, String keyColumn, String key, Instant since, UUID before,
      int limit) {
    String bounds = (before != null ? " AND id < ?" : "") + (since != null ? " AND id >= ?" : "");
    List<Object> values = new ArrayList<>(List.of(key));
    if (before != null) {
      values.add(before);
    }
    if (since != null) {
      values.add(Uuids.startOf(since.toEpochMilli()));
    }
    values.add(limit);
    return execute(SimpleStatement.newInstance("SELECT * FROM " + keyspace + "." + table + " WHERE " + keyColumn
            + " = ?" + bounds + " LIMIT ?", values.toArray()))
        .thenComposeAsync(first -> all(first, new ArrayList<>()), HERE);
  }

  /** Every table holds every column (its partition key among them). */
  private static AuditEntry entry(Row row) {
    UUID id = row.getUuid("id");
    return new AuditEntry(id, Instant.ofEpochMilli(Uuids.unixTimestamp(id)), row.getString("actor"),
        row.getString("role"), row.getString("action"), row.getString("poll_id"), row.getString("address"),
        row.getString("detail"));
  }

  private static YearMonth month(Instant at) {
    return YearMonth.from(at.atZone(ZoneOffset.UTC));
  }

  private CompletionStage<List<Row>> all(AsyncResultSet page, List<Row> rows) {
    page.currentPage().forEach(rows::add);
    return page.hasMorePages()
        ? page.fetchNextPage().thenComposeAsync(next -> all(next, rows), dispatcher)
        : CompletableFuture.completedFuture(rows);
  }

  private CompletionStage<AsyncResultSet> execute(Statement<?> statement) {
    return session.thenComposeAsync(s -> s.executeAsync(statement), dispatcher);
  }
}
