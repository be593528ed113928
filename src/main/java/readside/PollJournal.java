package readside;

import actors.Poll;
import actors.PollInbox;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.stream.javadsl.Sink;

/** A poll's events as its journal holds them, read by the read side (which never asks the poll itself). */
final class PollJournal {
  /** One event and its sequence number, the poll's version after it. */
  record Event(long seq, Poll.Event event) {}

  private final ActorSystem<?> system;
  private final CassandraReadJournal journal;

  PollJournal(ActorSystem<?> system, CassandraReadJournal journal) {
    this.system = system;
    this.journal = journal;
  }

  /** The poll's events from sequence number {@code from} to the latest. */
  CompletionStage<List<Event>> eventsOf(String pollId, long from) {
    return journal.currentEventsByPersistenceId(persistenceId(pollId), from, Long.MAX_VALUE)
        .map(envelope -> new Event(envelope.sequenceNr(), (Poll.Event) envelope.event()))
        .runWith(Sink.seq(), system);
  }

  static String persistenceId(String pollId) {
    return PersistenceId.of(PollInbox.ENTITY_KEY.name(), pollId).id();
  }
}
