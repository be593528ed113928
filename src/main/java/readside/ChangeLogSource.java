package readside;

import actors.PollChanges;
import java.time.Duration;
import java.time.Instant;
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
 * sequence number). It reads the log at the next look time after the log announces a write on its topic, and on its
 * own every {@code lookEvery} in case an announcement was lost: an idle read side makes a few reads a minute, a busy
 * one reads once per look time. Look times are every {@code lookTimes} on the clock (multiples of it since the epoch),
 * the same for every projection on the node.
 *
 * <p>What one read of the log returns (up to {@code recordsPerRead} records) comes out as one envelope: the polls it
 * names, each with the furthest version recorded for it, under the offset of the last record, so that the projection
 * handles it as one group. So the projections of all read models see the same records at the same moments, group the
 * same polls, and ask for each poll's new events together, and one read of the poll's journal serves them all
 * ({@link PollJournal}). (When each grouped the records on its own timer, the groups of two models rarely ended on
 * the same record, and most of their reads were their own.)
 *
 * <p>When the log is still empty, every existing poll of its slice is recorded in it first ({@code recordExisting}),
 * so that polls written before the logs existed (by an older version) reach the read side.
 */
final class ChangeLogSource extends SourceProvider<Offset, EventEnvelope<PollChanges.PollsChanged>> {
  /** Where callbacks run: where their future completes (Pekko's Java futures would start a thread for each). */
  private static final Executor HERE = Runnable::run;

  private enum Look { INSTANCE }

  private final JournalReader journal;
  private final int slice;
  private final ActorRef<Topic.Command<PollChanges.Appended>> topic;
  private final Duration lookEvery;
  private final Duration lookTimes;
  private final int recordsPerRead;
  private final Runnable recordExisting;

  ChangeLogSource(JournalReader journal, int slice, ActorRef<Topic.Command<PollChanges.Appended>> topic,
      Duration lookEvery, Duration lookTimes, int recordsPerRead, Runnable recordExisting) {
    this.journal = journal;
    this.slice = slice;
    this.topic = topic;
    this.lookEvery = lookEvery;
    this.lookTimes = lookTimes;
    this.recordsPerRead = recordsPerRead;
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

  /** The log's records from {@code from} on, read at the next look time after each announcement and lookEvery. */
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
        // a look while one is waiting or under way: one more once it is done, however many asked meanwhile
        .conflate((earlier, later) -> later);
    return looks.flatMapConcat(look -> Source.single(look).initialDelay(untilTheNextLookTime(lookTimes, Instant.now()))
        .flatMapConcat(due -> readToTheEnd(log, next)));
  }

  /** How long from {@code now} to the next look time: the next multiple of {@code lookTimes} since the epoch. */
  static Duration untilTheNextLookTime(Duration lookTimes, Instant now) {
    long every = lookTimes.toMillis();
    return Duration.ofMillis(every - Math.floorMod(now.toEpochMilli(), every));
  }

  /**
   * One look: reads from {@code next} until a read comes back short, moving {@code next} past what it read; one
   * envelope per read.
   */
  private Source<EventEnvelope<PollChanges.PollsChanged>, NotUsed> readToTheEnd(String log, AtomicLong next) {
    return Source.unfoldAsync(next.get(), from -> from < 0
        ? CompletableFuture.completedFuture(Optional.<Pair<Long, EventEnvelope<PollChanges.PollsChanged>>>empty())
        : journal.events(log, from, recordsPerRead).thenApplyAsync(records -> {
          if (records.isEmpty()) {
            return Optional.<Pair<Long, EventEnvelope<PollChanges.PollsChanged>>>empty();
          }
          JournalReader.Event last = records.get(records.size() - 1);
          next.set(last.seq() + 1);
          PollChanges.PollsChanged changed = PollChanges.PollsChanged.furthest(records.stream()
              .flatMap(record -> ((PollChanges.PollsChanged) record.event()).polls().stream()));
          return Optional.of(Pair.create(records.size() < recordsPerRead ? -1L : last.seq() + 1,
              EventEnvelope.create(Offset.sequence(last.seq()), log, last.seq(), changed, last.writtenAt())));
        }, HERE));
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
