package readside;

import actors.Poll;
import actors.PollEntity;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/** A poll's events as its journal holds them, read by the read side (which never asks the poll itself). */
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

  private final Reader journal;

  PollJournal(Reader journal) {
    this.journal = journal;
  }

  /** Up to {@link #READ_AT_MOST} of the poll's events from sequence number {@code from}, in order. */
  CompletionStage<List<Event>> eventsOf(String pollId, long from) {
    return journal.events(persistenceId(pollId), from, READ_AT_MOST).thenApplyAsync(events -> events.stream()
        .map(event -> new Event(event.seq(), (Poll.Event) event.event())).toList(), HERE);
  }

  static String persistenceId(String pollId) {
    return PollEntity.persistenceId(pollId).id();
  }
}
