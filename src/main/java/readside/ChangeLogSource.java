package readside;

import actors.PollChanges;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.typed.javadsl.ActorSource;

/**
 * A projection's source: one slice's {@link PollChanges} log, live, from just after the stored offset (the log's
 * sequence number). It reads the log when the log announces a write on its topic, and on its own every
 * {@code lookEvery} in case an announcement was lost: an idle read side makes a few reads a minute, a busy one reads
 * right after each write of the log. When the log is still empty, every existing poll of its slice is recorded in it
 * first ({@code recordExisting}), so that polls written before the logs existed (by an older version) reach the
 * read side.
 */
final class ChangeLogSource extends SourceProvider<Offset, EventEnvelope<PollChanges.PollsChanged>> {
  /** Where callbacks run: where their future completes (Pekko's Java futures would start a thread for each). */
  private static final Executor HERE = Runnable::run;
  private static final int READ_AT_MOST = 1000;
  private static final Duration LOOK_AT_MOST_EVERY = Duration.ofMillis(100);

  private enum Look { INSTANCE }

  private final JournalReader journal;
  private final int slice;
  private final ActorRef<Topic.Command<PollChanges.Appended>> topic;
  private final Duration lookEvery;
  private final Runnable recordExisting;

  ChangeLogSource(JournalReader journal, int slice, ActorRef<Topic.Command<PollChanges.Appended>> topic,
      Duration lookEvery, Runnable recordExisting) {
    this.journal = journal;
    this.slice = slice;
    this.topic = topic;
    this.lookEvery = lookEvery;
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
      return journal.events(log, 1, 1).thenApplyAsync(first -> {
        if (first.isEmpty()) {
          recordExisting.run();
        }
        return changes(log, 1);
      }, HERE);
    }, HERE);
  }

  /** The log's records from {@code from} on, read at once, on each announcement and every {@code lookEvery}. */
  private Source<EventEnvelope<PollChanges.PollsChanged>, NotUsed> changes(String log, long from) {
    AtomicLong next = new AtomicLong(from);
    Source<Object, NotUsed> announced = ActorSource.<Object>actorRef(
            message -> false, message -> Optional.empty(), 1, OverflowStrategy.dropHead())
        .mapMaterializedValue(listener -> {
          topic.tell(Topic.subscribe(listener.narrow()));
          return NotUsed.getInstance();
        });
    Source<Object, NotUsed> looks = Source.<Object>single(Look.INSTANCE)
        .concat(Source.tick(lookEvery, lookEvery, (Object) Look.INSTANCE)
            .mapMaterializedValue(cancellable -> NotUsed.getInstance()))
        .merge(announced)
        // a look while one is under way: one more once it is done, however many asked meanwhile; and at most one
        // per LOOK_AT_MOST_EVERY, so a busy log costs a few reads a second, not one per write (the projection
        // groups what it reads for longer than that anyway)
        .conflate((earlier, later) -> later)
        .throttle(1, LOOK_AT_MOST_EVERY);
    return looks.flatMapConcat(look -> readToTheEnd(log, next))
        .map(event -> EventEnvelope.create(Offset.sequence(event.seq()), log, event.seq(),
            (PollChanges.PollsChanged) event.event(), event.writtenAt()));
  }

  /** One look: reads from {@code next} until a read comes back short, moving {@code next} past what it read. */
  private Source<JournalReader.Event, NotUsed> readToTheEnd(String log, AtomicLong next) {
    return Source.unfoldAsync(next.get(), from -> from < 0
            ? CompletableFuture.completedFuture(Optional.<Pair<Long, List<JournalReader.Event>>>empty())
            : journal.events(log, from, READ_AT_MOST).thenApplyAsync(events -> {
              if (events.isEmpty()) {
                return Optional.<Pair<Long, List<JournalReader.Event>>>empty();
              }
              long after = events.get(events.size() - 1).seq() + 1;
              next.set(after);
              return Optional.of(Pair.create(events.size() < READ_AT_MOST ? -1L : after, events));
            }, HERE))
        .mapConcat(events -> events);
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
