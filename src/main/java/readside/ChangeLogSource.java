package readside;

import actors.PollChanges;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * A projection's source: one slice's {@link PollChanges} log, live, from just after the stored offset (the log's
 * sequence number). When the log is still empty, every existing poll of its slice is recorded in it first
 * ({@code recordExisting}), so that polls written before the logs existed (by an older version) reach the read side.
 */
final class ChangeLogSource extends SourceProvider<Offset, EventEnvelope<PollChanges.PollsChanged>> {
  /** Where callbacks run: where their future completes (Pekko's Java futures would start a thread for each). */
  private static final Executor HERE = Runnable::run;

  private final ActorSystem<?> system;
  private final CassandraReadJournal journal;
  private final int slice;
  private final Runnable recordExisting;

  ChangeLogSource(ActorSystem<?> system, CassandraReadJournal journal, int slice, Runnable recordExisting) {
    this.system = system;
    this.journal = journal;
    this.slice = slice;
    this.recordExisting = recordExisting;
  }

  @Override
  public CompletionStage<Source<EventEnvelope<PollChanges.PollsChanged>, NotUsed>> source(
      Supplier<CompletionStage<Optional<Offset>>> offset) {
    String log = PollChanges.persistenceId(slice);
    return offset.get().thenComposeAsync(stored -> {
      if (stored.isPresent()) {
        return CompletableFuture.completedFuture(changes(log, ((Sequence) stored.get()).value() + 1));
      }
      return journal.currentEventsByPersistenceId(log, 1, 1).runWith(Sink.headOption(), system)
          .thenApplyAsync(first -> {
            if (first.isEmpty()) {
              recordExisting.run();
            }
            return changes(log, 1);
          }, HERE);
    }, HERE);
  }

  private Source<EventEnvelope<PollChanges.PollsChanged>, NotUsed> changes(String log, long from) {
    return journal.eventsByPersistenceId(log, from, Long.MAX_VALUE)
        .map(envelope -> EventEnvelope.create(Offset.sequence(envelope.sequenceNr()), envelope.persistenceId(),
            envelope.sequenceNr(), (PollChanges.PollsChanged) envelope.event(), envelope.timestamp()));
  }

  @Override
  public Offset extractOffset(EventEnvelope<PollChanges.PollsChanged> envelope) {
    return envelope.offset();
  }

  @Override
  public long extractCreationTime(EventEnvelope<PollChanges.PollsChanged> envelope) {
    return envelope.timestamp();
  }
}
