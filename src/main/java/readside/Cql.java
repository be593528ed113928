package readside;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.AsyncResultSet;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.stream.connectors.cassandra.javadsl.CassandraSession;

/**
 * The read side's statements, straight on the driver session that the journal shares: the connector's
 * {@code selectAll} runs a stream per query, which under load cost the read side more than the queries. Results
 * come back on the dispatcher, never on the driver's I/O threads.
 */
final class Cql {
  private final CompletionStage<CqlSession> session;
  private final Executor dispatcher;

  Cql(CassandraSession session, Executor dispatcher) {
    this.session = session.underlying();
    this.dispatcher = dispatcher;
  }

  /** A statement prepared once; binding waits for it. */
  Prepared prepare(String cql) {
    return new Prepared(session.thenComposeAsync(s -> s.prepareAsync(cql), dispatcher));
  }

  /** Every row of a select, page after page. */
  CompletionStage<List<Row>> all(CompletionStage<? extends Statement<?>> statement) {
    return execute(statement).thenComposeAsync(page -> collect(page, new ArrayList<>()), dispatcher);
  }

  /** The first row of a select, if any. */
  CompletionStage<Optional<Row>> one(CompletionStage<? extends Statement<?>> statement) {
    return execute(statement).thenApplyAsync(page -> Optional.ofNullable(page.one()), dispatcher);
  }

  CompletionStage<Done> write(CompletionStage<? extends Statement<?>> statement) {
    return execute(statement).thenApplyAsync(page -> Done.getInstance(), dispatcher);
  }

  private CompletionStage<AsyncResultSet> execute(CompletionStage<? extends Statement<?>> statement) {
    return session.thenCombineAsync(statement, (s, ready) -> s.executeAsync(ready), dispatcher)
        .thenComposeAsync(result -> result, dispatcher);
  }

  private CompletionStage<List<Row>> collect(AsyncResultSet page, List<Row> rows) {
    page.currentPage().forEach(rows::add);
    return page.hasMorePages()
        ? page.fetchNextPage().thenComposeAsync(next -> collect(next, rows), dispatcher)
        : CompletableFuture.completedFuture(rows);
  }

  /** A prepared statement, to bind once it is ready. */
  static final class Prepared {
    private final CompletionStage<PreparedStatement> statement;

    private Prepared(CompletionStage<PreparedStatement> statement) {
      this.statement = statement;
    }

    /** The statement bound by {@code binder}, e.g. {@code s -> s.bind().setString(0, id)} (typed: no codec lookup). */
    CompletionStage<BoundStatement> bind(Function<PreparedStatement, BoundStatement> binder) {
      return statement.thenApply(binder);
    }
  }
}
