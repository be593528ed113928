package readside;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import actors.Poll;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * How the read models share reads of a poll's journal: a model asking for events that a read of a moment ago reaches
 * takes them from it, even while it is under way; anything else reads the journal.
 */
class PollJournalTest {
  private static final String POLL = "journal01";
  private static final Instant AT = Instant.parse("2026-12-01T09:00:00Z");

  /** The reads asked of the journal, each answered when the test completes it. */
  private final List<CompletableFuture<List<JournalReader.Event>>> reads = new ArrayList<>();
  private final List<Long> readFrom = new ArrayList<>();

  private final PollJournal journal = new PollJournal(this::read, Duration.ofSeconds(5), 100);

  private CompletionStage<List<JournalReader.Event>> read(String persistenceId, long from, int limit) {
    CompletableFuture<List<JournalReader.Event>> read = new CompletableFuture<>();
    reads.add(read);
    readFrom.add(from);
    return read;
  }

  @Test
  void aModelAskingWhatAReadUnderWayReachesWaitsForItAndReadsNothing() throws Exception {
    CompletableFuture<List<PollJournal.Event>> first = journal.eventsOf(POLL, 3, 5).toCompletableFuture();
    CompletableFuture<List<PollJournal.Event>> second = journal.eventsOf(POLL, 3, 5).toCompletableFuture();
    CompletableFuture<List<PollJournal.Event>> later = journal.eventsOf(POLL, 5, 6).toCompletableFuture();
    assertEquals(1, reads.size(), "the second and third asks wait for the first read");

    reads.get(0).complete(events(3, 6));
    assertEquals(List.of(3L, 4L, 5L, 6L), seqs(first));
    assertEquals(List.of(3L, 4L, 5L, 6L), seqs(second));
    assertEquals(List.of(5L, 6L), seqs(later), "the part of the read from its own version on");
    assertEquals(1, reads.size());
  }

  @Test
  void aReadThatDoesNotReachTheRecordedVersionOrStartsAfterTheAskedOneIsNotShared() throws Exception {
    CompletableFuture<List<PollJournal.Event>> first = journal.eventsOf(POLL, 3, 4).toCompletableFuture();
    reads.get(0).complete(events(3, 4));
    assertEquals(List.of(3L, 4L), seqs(first));

    // the record says the journal reaches 6 now: the read of a moment ago does not
    CompletableFuture<List<PollJournal.Event>> further = journal.eventsOf(POLL, 3, 6).toCompletableFuture();
    assertEquals(2, reads.size());
    reads.get(1).complete(events(3, 6));
    assertEquals(List.of(3L, 4L, 5L, 6L), seqs(further));

    // a model behind that read: it holds nothing from version 2
    CompletableFuture<List<PollJournal.Event>> behind = journal.eventsOf(POLL, 2, 6).toCompletableFuture();
    assertEquals(3, reads.size());
    assertEquals(2L, readFrom.get(2));
    reads.get(2).complete(events(2, 6));
    assertEquals(List.of(2L, 3L, 4L, 5L, 6L), seqs(behind));

    // a model ahead of it: nothing after 6 in it, so the journal is asked
    CompletableFuture<List<PollJournal.Event>> ahead = journal.eventsOf(POLL, 7, 7).toCompletableFuture();
    assertEquals(4, reads.size());
    reads.get(3).complete(List.of());
    assertEquals(List.of(), seqs(ahead), "an empty answer always comes from the journal itself");
  }

  @Test
  void aFailedReadIsNotSharedAndAForgottenPollIsReadAgain() throws Exception {
    CompletableFuture<List<PollJournal.Event>> failing = journal.eventsOf(POLL, 1, 2).toCompletableFuture();
    CompletableFuture<List<PollJournal.Event>> waiting = journal.eventsOf(POLL, 1, 2).toCompletableFuture();
    reads.get(0).completeExceptionally(new IllegalStateException("timed out"));
    assertTrue(failing.isCompletedExceptionally(), "the model whose read failed sees the failure");
    assertEquals(2, reads.size(), "the model that waited for it reads for itself");
    reads.get(1).complete(events(1, 2));
    assertEquals(List.of(1L, 2L), seqs(waiting));

    // the poll erased: what was read of it is not served again
    journal.forget(POLL);
    journal.eventsOf(POLL, 1, 2);
    assertEquals(3, reads.size());
  }

  @Test
  void withNothingSharedEveryAskReadsTheJournal() throws Exception {
    PollJournal unshared = new PollJournal(this::read, Duration.ZERO, 0);
    CompletableFuture<List<PollJournal.Event>> first = unshared.eventsOf(POLL, 1, 2).toCompletableFuture();
    // asked again while the first read is under way, and after it
    CompletableFuture<List<PollJournal.Event>> meanwhile = unshared.eventsOf(POLL, 1, 2).toCompletableFuture();
    assertEquals(2, reads.size());
    reads.get(0).complete(events(1, 2));
    reads.get(1).complete(events(1, 2));
    assertEquals(List.of(1L, 2L), seqs(first));
    assertEquals(List.of(1L, 2L), seqs(meanwhile));
    unshared.eventsOf(POLL, 1, 2);
    assertEquals(3, reads.size());
  }

  private static List<JournalReader.Event> events(long from, long to) {
    return LongStream.rangeClosed(from, to).mapToObj(seq -> new JournalReader.Event(seq,
        new Poll.PollClosed(POLL, AT.plusSeconds(seq)), AT.toEpochMilli())).toList();
  }

  private static List<Long> seqs(CompletableFuture<List<PollJournal.Event>> events) throws Exception {
    return events.get(5, TimeUnit.SECONDS).stream().map(PollJournal.Event::seq).toList();
  }
}
