package lifecycle;

import actors.Poll;
import actors.Polls;
import actors.Requester;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Deletes a poll for good, the one way both organizers and the retention sweep use: the poll's entity writes its
 * last event (from then on it answers as an unknown poll and takes no ballot), then every stored copy is erased.
 * The answer comes once the erasure is done, so a client told "deleted" finds nothing of the poll anywhere.
 */
public final class PollDeletion {
  /** Where callbacks run: where their future completes (Pekko's Java futures would start a thread for each). */
  private static final Executor HERE = Runnable::run;
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PollDeletion.class);

  private final Polls polls;
  private final PollErasure erasure;

  public PollDeletion(Polls polls, PollErasure erasure) {
    this.polls = polls;
    this.erasure = erasure;
  }

  /**
   * {@link Poll.Deleted} when {@code requester} owns the poll or is an admin, also for a poll deleted before (whose
   * erasure is then finished if it was interrupted); an unknown poll for anyone else; or the poll's refusal (busy,
   * node downed).
   */
  public CompletionStage<Poll.Reply> delete(String pollId, Requester requester) {
    return erasure.tombstone(pollId).thenComposeAsync(tombstone -> {
      if (tombstone.isPresent()) {
        return requester.mayManage(tombstone.get().owner())
            ? erase(tombstone.get())
            : CompletableFuture.completedFuture(unknown(pollId));
      }
      return polls.delete(pollId, requester).thenComposeAsync(reply -> reply instanceof Poll.Deleted deleted
          ? erase(deleted)
          : CompletableFuture.completedFuture(reply), HERE);
    }, HERE);
  }

  /**
   * {@code deleted} once its stored copies are erased. If the erasure fails (the database is unreachable, say), the
   * poll stays deleted and the caller is told to repeat the delete, which finishes the erasure.
   */
  private CompletionStage<Poll.Reply> erase(Poll.Deleted deleted) {
    return erasure.erase(deleted).handleAsync((erased, failure) -> {
      if (failure == null) {
        return deleted;
      }
      log.warn("Poll {} is deleted but erasing its stored copies failed; a repeated delete finishes it",
          deleted.pollId(), failure);
      return new Poll.Rejected(Poll.Rejection.BUSY, "poll " + deleted.pollId()
          + " is deleted, but erasing its stored copies did not finish; repeat the delete to finish it");
    }, HERE);
  }

  private static Poll.Reply unknown(String pollId) {
    return new Poll.Rejected(Poll.Rejection.UNKNOWN_POLL, "no poll with id " + pollId);
  }
}
