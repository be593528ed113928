package readside;

import actors.Poll;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a group of poll events to a read model kept per poll: one read and one write per poll per group. Each
 * model remembers the poll version it reflects, and events at or below it are skipped, so a group delivered again
 * (after a crash, or a restart from an older offset) changes nothing.
 */
final class PerPollHandler<M extends PerPollHandler.PollState<M>> extends Handler<List<EventEnvelope<Poll.Event>>> {
  private static final Logger log = LoggerFactory.getLogger(PerPollHandler.class);

  /** The state of one poll in a read model: it evolves with the poll's events and knows the version it reflects. */
  interface PollState<M extends PollState<M>> {
    /** The state after the poll's event number {@code seq}. */
    M apply(Poll.Event event, long seq);

    long seq();
  }

  /** Where a read model keeps its per-poll states; it knows nothing of events beyond what to load for them. */
  interface Store<M> {
    /** The poll's stored state, with whatever the {@code events} about to be applied need loaded. */
    CompletionStage<Optional<M>> load(String pollId, List<Poll.Event> events);

    CompletionStage<Done> save(M state);
  }

  private final Function<Poll.PollCreated, M> created;
  private final Store<M> store;
  private final ProjectionLag lag;

  PerPollHandler(Function<Poll.PollCreated, M> created, Store<M> store, ProjectionLag lag) {
    this.created = created;
    this.store = store;
    this.lag = lag;
  }

  @Override
  public CompletionStage<Done> process(List<EventEnvelope<Poll.Event>> envelopes) {
    Map<String, List<EventEnvelope<Poll.Event>>> byPoll = new LinkedHashMap<>();
    for (EventEnvelope<Poll.Event> envelope : envelopes) {
      byPoll.computeIfAbsent(envelope.event().pollId(), id -> new ArrayList<>()).add(envelope);
    }
    CompletableFuture<?>[] polls = byPoll.entrySet().stream()
        .map(poll -> applyAll(poll.getKey(), poll.getValue()).toCompletableFuture())
        .toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(polls).thenApply(done -> {
      lag.processed(envelopes);
      return Done.getInstance();
    });
  }

  private CompletionStage<Done> applyAll(String pollId, List<EventEnvelope<Poll.Event>> envelopes) {
    List<Poll.Event> events = envelopes.stream().map(EventEnvelope::event).toList();
    return store.load(pollId, events).thenCompose(stored -> {
      M current = stored.orElse(null);
      boolean changed = false;
      for (EventEnvelope<Poll.Event> envelope : envelopes) {
        if (current != null && envelope.sequenceNr() <= current.seq()) {
          continue;
        }
        if (current == null) {
          if (!(envelope.event() instanceof Poll.PollCreated creation)) {
            log.warn("Skipping event {} of poll {}: its creation is not in the read model", envelope.sequenceNr(),
                pollId);
            continue;
          }
          current = created.apply(creation);
        } else {
          current = current.apply(envelope.event(), envelope.sequenceNr());
        }
        changed = true;
      }
      return changed ? store.save(current) : CompletableFuture.completedFuture(Done.getInstance());
    });
  }
}
