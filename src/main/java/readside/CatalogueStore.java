package readside;

import com.datastax.oss.driver.api.core.cql.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.Done;

/** The catalogue read model in Cassandra: a summary per poll, and the same summaries by owner, newest first. */
final class CatalogueStore implements PerPollHandler.Store<PollSummary> {
  /** Where callbacks run: where their future completes (Pekko's Java futures would start a thread for each). */
  private static final Executor HERE = Runnable::run;

  private static final String COLUMNS = "poll_id, owner, question, status, total_ballots, created_at, closes_at, seq";

  private final Cql cql;
  private final Cql.Prepared insertSummary;
  private final Cql.Prepared insertByOwner;
  private final Cql.Prepared selectSummary;
  private final Cql.Prepared selectByOwner;
  private final Cql.Prepared selectByOwnerAfter;
  private final Cql.Prepared deleteSummary;
  private final Cql.Prepared deleteByOwner;
  private final Cql.Prepared selectClosed;

  CatalogueStore(Cql cql, String keyspace) {
    this.cql = cql;
    this.insertSummary = cql.prepare("INSERT INTO " + keyspace + ".poll_summaries (" + COLUMNS
        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    this.insertByOwner = cql.prepare("INSERT INTO " + keyspace + ".polls_by_owner (" + COLUMNS
        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    this.selectSummary = cql.prepare("SELECT " + COLUMNS + " FROM " + keyspace + ".poll_summaries WHERE poll_id = ?");
    this.selectByOwner = cql.prepare("SELECT " + COLUMNS + " FROM " + keyspace
        + ".polls_by_owner WHERE owner = ? LIMIT ?");
    this.selectByOwnerAfter = cql.prepare("SELECT " + COLUMNS + " FROM " + keyspace
        + ".polls_by_owner WHERE owner = ? AND (created_at, poll_id) < (?, ?) LIMIT ?");
    this.deleteSummary = cql.prepare("DELETE FROM " + keyspace + ".poll_summaries WHERE poll_id = ?");
    this.deleteByOwner = cql.prepare("DELETE FROM " + keyspace
        + ".polls_by_owner WHERE owner = ? AND created_at = ? AND poll_id = ?");
    this.selectClosed = cql.prepare("SELECT poll_id, status, created_at FROM " + keyspace + ".poll_summaries");
  }

  /** Both rows of the poll: the owner's row first, found through the summary, which goes last. */
  @Override
  public CompletionStage<Done> delete(String pollId) {
    return load(pollId).thenComposeAsync(summary -> summary.isEmpty()
        ? cql.write(deleteSummary.bind(delete -> delete.bind().setString(0, pollId)))
        : cql.write(deleteByOwner.bind(delete -> delete.bind().setString(0, summary.get().owner())
                .setInstant(1, summary.get().createdAt()).setString(2, pollId)))
            .thenComposeAsync(byOwner -> cql.write(deleteSummary.bind(delete -> delete.bind().setString(0, pollId))),
                HERE), HERE);
  }

  /**
   * The ids of closed polls created before {@code before}, read from every summary (a full scan, page by page: for
   * the retention sweep, which runs rarely). A poll is closed after it was created, so these include every poll
   * closed before {@code before}.
   */
  CompletionStage<List<String>> closedBefore(java.time.Instant before) {
    return cql.all(selectClosed.bind(select -> select.bind())).thenApplyAsync(rows -> rows.stream()
        .filter(row -> actors.PollView.CLOSED.equals(row.getString("status")))
        .filter(row -> row.getInstant("created_at") != null && row.getInstant("created_at").isBefore(before))
        .map(row -> row.getString("poll_id")).toList(), HERE);
  }

  @Override
  public CompletionStage<Optional<PollSummary>> load(String pollId) {
    return cql.one(selectSummary.bind(select -> select.bind().setString(0, pollId)))
        .thenApplyAsync(row -> row.map(CatalogueStore::summary), HERE);
  }

  /**
   * Both rows, each a whole-row overwrite. Not one logged batch (whose batch log costs Cassandra two more writes): if
   * one write fails the group fails, and the projection applies it again from the summary's version.
   */
  @Override
  public CompletionStage<Done> save(PollSummary s) {
    return write(insertByOwner, s).thenComposeAsync(byOwner -> write(insertSummary, s), HERE);
  }

  private CompletionStage<Done> write(Cql.Prepared statement, PollSummary s) {
    return cql.write(statement.bind(insert -> insert.bind().setString(0, s.pollId()).setString(1, s.owner())
        .setString(2, s.question()).setString(3, s.status()).setLong(4, s.totalBallots())
        .setInstant(5, s.createdAt()).setInstant(6, s.closesAt()).setLong(7, s.seq())));
  }

  /**
   * Up to {@code limit} polls of {@code owner} older than {@code after} (newest first), with {@code status} if it
   * is not null. Reads at most {@code maxScanned} rows, so a rare status cannot make one request scan everything:
   * the page may then hold fewer items, and {@code next} says where to go on. {@code maxScanned} must exceed
   * {@code limit}, so that a full page knows whether anything follows it.
   */
  CompletionStage<CataloguePage> page(String owner, String status, CataloguePage.Cursor after, int limit, int maxScanned) {
    CompletionStage<List<Row>> rows = after == null
        ? cql.all(selectByOwner.bind(select -> select.bind().setString(0, owner).setInt(1, maxScanned)))
        : cql.all(selectByOwnerAfter.bind(select -> select.bind().setString(0, owner)
            .setInstant(1, after.createdAt()).setString(2, after.pollId()).setInt(3, maxScanned)));
    return rows.thenApplyAsync(scanned -> {
      List<PollSummary> items = new ArrayList<>();
      CataloguePage.Cursor last = null;
      int read = 0;
      while (read < scanned.size() && items.size() < limit) {
        PollSummary summary = summary(scanned.get(read++));
        last = new CataloguePage.Cursor(summary.createdAt(), summary.pollId());
        if (status == null || status.equals(summary.status())) {
          items.add(summary);
        }
      }
      // rows left unread, or as many read as asked for: there may be more
      boolean more = read < scanned.size() || scanned.size() == maxScanned;
      return new CataloguePage(items, more ? last : null, null);
    }, HERE);
  }

  private static PollSummary summary(Row row) {
    return new PollSummary(row.getString("poll_id"), row.getString("owner"), row.getString("question"),
        row.getString("status"), row.getLong("total_ballots"), row.getInstant("created_at"),
        row.getInstant("closes_at"), row.getLong("seq"));
  }
}
