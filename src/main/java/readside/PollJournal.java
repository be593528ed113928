package readside;

import actors.Poll;
import actors.PollEntity;
import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * A poll's events as its journal holds them, read by the read side (which never asks the poll itself).
 *
 * <p>Every read model follows the same change records at the same moments ({@link ChangeLogSource}), so each poll's
 * new events are asked for once per model, at about the same time. The events of a read are kept for a moment
 * ({@code sharedFor}), from the moment the read is sent: a model that asks for events the read reaches takes them
 * from it, even while it is still under way, and does not read and deserialize the same journal rows again. A read
 * is shared only if it reaches what the model's record says the journal holds ({@code upTo}); else the model reads
 * for itself. A journal only grows, so events read a moment ago are still the journal's, unless the poll was erased:
 * {@link #forget} drops its read.
 */
final class PollJournal {
  /** Events one read returns at most; a poll further behind is caught up a read at a time. */
  static final int READ_AT_MOST = 1000;
  /** Where callbacks run: where their future completes (Pekko's Java futures would start a thread for each). */
  private static final Executor HERE = Runnable::run;

  /** One event and its sequence number, the poll's version after it. */
  record Event(long seq, Poll.Event event) {}

  /** Where the events are read: the journal table ({@link JournalReader#events}), or a list in a test. */
  interface Reader {
    /** Up to {@code limit} events of {@code persistenceId} from sequence number {@code from} on, in order. */
    CompletionStage<List<JournalReader.Event>> events(String persistenceId, long from, int limit);
  }

  /** What one read of a poll's journal returned: its events from sequence number {@code from} on, in order. */
  private record Read(long from, List<Event> events) {
    /** Whether it holds the events from {@code start} on, at least one, and up to {@code upTo} at least. */
    boolean reaches(long start, long upTo) {
      long last = events.isEmpty() ? from - 1 : events.get(events.size() - 1).seq();
      return from <= start && start <= last && upTo <= last;
    }

    List<Event> startingAt(long start) {
      return events.subList((int) (start - from), events.size());
    }
  }

  private final Reader journal;
  /** Whether reads are kept for the other models at all. */
  private final boolean sharing;
  /** The latest read of each poll, for a moment, by poll id. */
  private final AsyncCache<String, Read> recent;

  /**
   * {@code sharedFor}: how long a read is kept for the other models (zero: none is); {@code sharedAtMost}: how many
   * events all kept reads hold at most.
   */
  PollJournal(Reader journal, Duration sharedFor, long sharedAtMost) {
    this.journal = journal;
    // none kept: a read under way would still be found (the cache never expires a future before it completes)
    this.sharing = !sharedFor.isZero();
    this.recent = Caffeine.newBuilder()
        .expireAfterWrite(sharedFor)
        .maximumWeight(sharedAtMost)
        .<String, Read>weigher((pollId, read) -> read.events().size())
        .executor(HERE)
        .buildAsync();
  }

  /**
   * Up to {@link #READ_AT_MOST} of the poll's events from sequence number {@code from}, in order: what the journal
   * holds now, or what a moment ago's read of it holds if that reaches the poll's version {@code upTo}.
   */
  CompletionStage<List<Event>> eventsOf(String pollId, long from, long upTo) {
    CompletableFuture<Read> shared = sharing ? recent.getIfPresent(pollId) : null;
    if (shared == null) {
      return read(pollId, from);
    }
    return shared.handle((read, failed) -> read != null && read.reaches(from, upTo) ? read.startingAt(from) : null)
        .thenComposeAsync(events -> events != null ? CompletableFuture.completedFuture(events) : read(pollId, from),
            HERE);
  }

  /** Drops what was read of the poll: its journal is erased. */
  void forget(String pollId) {
    recent.synchronous().invalidate(pollId);
  }

  private CompletionStage<List<Event>> read(String pollId, long from) {
    CompletableFuture<Read> reading = journal.events(persistenceId(pollId), from, READ_AT_MOST)
        .thenApplyAsync(events -> new Read(from, events.stream()
            .map(event -> new Event(event.seq(), (Poll.Event) event.event())).toList()), HERE)
        .toCompletableFuture();
    // a failed read leaves no entry (a future that ends without a value is none), and no warning of the cache's own
    if (sharing) {
      recent.put(pollId, reading.handle((read, failed) -> read));
    }
    return reading.thenApplyAsync(Read::events, HERE);
  }

  static String persistenceId(String pollId) {
    return PollEntity.persistenceId(pollId).id();
  }
}
