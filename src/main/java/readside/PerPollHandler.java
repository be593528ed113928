package readside;

import actors.Poll;
import actors.PollChanges;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a read model up to date with the polls a group of change-log records names: for each poll, one read of its
 * journal after the version the model reflects and one write. A model remembers that version, and only later events
 * are applied, so records delivered again (after a crash, a rebuild, a repeated record) change nothing, and a poll
 * whose record was lost is caught up in full by its next one.
 *
 * <p>The handler keeps the models it wrote last (up to {@code remembered} polls), as written: its projection instance
 * is the only writer of its slice's polls, so a model it wrote is the stored one, and the next group reads nothing
 * back. A handler lives as long as one run of its projection; a restart, a pause or a rebuild starts a new one, which
 * reads each model from the store again. Should a remembered model ever be ahead of the poll's journal, the journal
 * holds nothing after it where a record says it must: the handler then forgets it and reads the stored model. A poll
 * created again under an erased poll's id starts its model afresh from its creation event.
 */
final class PerPollHandler<M extends PerPollHandler.PollState<M>>
    extends Handler<List<EventEnvelope<PollChanges.PollsChanged>>> {
  private static final Logger log = LoggerFactory.getLogger(PerPollHandler.class);
  /** Where callbacks run: where their future completes (Pekko's Java futures would start a thread for each). */
  private static final Executor HERE = Runnable::run;

  /** The state of one poll in a read model: it evolves with the poll's events and knows the version it reflects. */
  interface PollState<M extends PollState<M>> {
    /** The state after the poll's event number {@code seq}. */
    M apply(Poll.Event event, long seq);

    long seq();
  }

  /** Where a read model keeps its per-poll states; it knows nothing of events beyond what to load for them. */
  interface Store<M> {
    /** The poll's stored state, if any. */
    CompletionStage<Optional<M>> load(String pollId);

    /** {@code state} with whatever applying {@code events} needs loaded as well. */
    default CompletionStage<M> prepare(M state, List<Poll.Event> events) {
      return CompletableFuture.completedFuture(state);
    }

    /** What of a saved state to remember for the poll's next events (e.g. without parts they no longer touch). */
    default M remembered(M saved) {
      return saved;
    }

    CompletionStage<Done> save(M state);

    /** Removes every row the model holds of the poll (it was deleted); removing a poll it never held is fine. */
    CompletionStage<Done> delete(String pollId);
  }

  private final Function<Poll.PollCreated, M> created;
  private final Store<M> store;
  private final PollJournal journal;
  private final ProjectionLag lag;
  /** The models this handler wrote last, as stored; the least recently written go first. */
  private final Cache<String, M> written;

  PerPollHandler(Function<Poll.PollCreated, M> created, Store<M> store, PollJournal journal, ProjectionLag lag,
      int remembered) {
    this.created = created;
    this.store = store;
    this.journal = journal;
    this.lag = lag;
    this.written = Caffeine.newBuilder().maximumSize(remembered).build();
  }

  @Override
  public CompletionStage<Done> process(List<EventEnvelope<PollChanges.PollsChanged>> envelopes) {
    PollChanges.PollsChanged changed = PollChanges.PollsChanged.furthest(envelopes.stream()
        .flatMap(envelope -> envelope.event().polls().stream()));
    CompletableFuture<?>[] polls = changed.polls().stream()
        .map(poll -> catchUp(poll.pollId(), poll.seq()).toCompletableFuture())
        .toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(polls).thenApplyAsync(done -> {
      lag.processed(envelopes);
      return Done.getInstance();
    }, HERE);
  }

  /** Applies the poll's events after its model's version, as far as its journal reaches (at least {@code upTo}). */
  private CompletionStage<Done> catchUp(String pollId, long upTo) {
    M remembered = written.getIfPresent(pollId);
    if (remembered != null) {
      long from = remembered.seq() + 1;
      return from > upTo ? done() : apply(pollId, remembered, from, upTo, true);
    }
    return store.load(pollId).thenComposeAsync(stored -> {
      long from = stored.map(PollState::seq).orElse(0L) + 1;
      return from > upTo ? done() : apply(pollId, stored.orElse(null), from, upTo, false);
    }, HERE);
  }

  /**
   * Applies the events from {@code from} on to {@code start} (null: no model yet), a read at a time, at least up to
   * the poll's version {@code upTo}. If {@code start} is {@code remembered}, the journal must hold events up to
   * {@code upTo}.
   */
  private CompletionStage<Done> apply(String pollId, M start, long from, long upTo, boolean remembered) {
    return journal.eventsOf(pollId, from, upTo).thenComposeAsync(events -> {
      if (events.isEmpty()) {
        if (remembered && upTo >= from) {
          // the remembered model is ahead of the journal: forget it and start again from the stored one
          log.warn("Poll {}: its journal ends before version {} that the read model remembered; reading the model",
              pollId, from);
          written.invalidate(pollId);
          return catchUp(pollId, upTo);
        }
        return done();
      }
      if (events.stream().anyMatch(event -> event.event() instanceof Poll.PollDeleted)) {
        // the poll's journal is about to be erased: nothing of it stays in the model
        written.invalidate(pollId);
        return store.delete(pollId);
      }
      // a creation starts the poll's model afresh, whatever was known of the id before (an erased poll's id used again
      // continues its sequence numbers: the plugin never reuses them)
      boolean creation = events.get(0).event() instanceof Poll.PollCreated;
      if (start == null && !creation) {
        log.warn("Poll {}: its read model is empty and its journal does not start with its creation", pollId);
        return done();
      }
      List<PollJournal.Event> toApply = creation ? events.subList(1, events.size()) : events;
      M first = creation ? created.apply((Poll.PollCreated) events.get(0).event()) : start;
      return store.prepare(first, toApply.stream().map(PollJournal.Event::event).toList())
          .thenComposeAsync(prepared -> {
            M current = prepared;
            for (PollJournal.Event event : toApply) {
              current = current.apply(event.event(), event.seq());
            }
            M saved = current;
            return store.save(saved).thenComposeAsync(done -> {
              written.put(pollId, store.remembered(saved));
              return events.size() < PollJournal.READ_AT_MOST ? done()
                  : apply(pollId, saved, saved.seq() + 1, upTo, false);
            }, HERE);
          }, HERE);
    }, HERE);
  }

  private static CompletionStage<Done> done() {
    return CompletableFuture.completedFuture(Done.getInstance());
  }
}
