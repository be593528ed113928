package lifecycle;

import actors.Poll;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/**
 * Where a deleted poll's stored copies are erased, and its tombstone kept: what remains of it once its journal is
 * gone, so that a repeated delete is answered alike.
 */
public interface PollErasure {
  /** The tombstone of a deleted poll whose journal may already be erased, if it was deleted. */
  CompletionStage<Optional<Poll.Deleted>> tombstone(String pollId);

  /**
   * Keeps the tombstone, then erases the poll's events, snapshots, tag rows and read-model rows. Idempotent: a
   * deletion interrupted half-way is finished by erasing again.
   */
  CompletionStage<Done> erase(Poll.Deleted deleted);

  /**
   * Nothing kept apart and nothing erased: the deleted poll stays in its journal as a tombstone (a node on the
   * in-memory journal, which tests use).
   */
  PollErasure JOURNAL_TOMBSTONE_ONLY = new PollErasure() {
    @Override
    public CompletionStage<Optional<Poll.Deleted>> tombstone(String pollId) {
      return CompletableFuture.completedFuture(Optional.empty());
    }

    @Override
    public CompletionStage<Done> erase(Poll.Deleted deleted) {
      return CompletableFuture.completedFuture(Done.getInstance());
    }
  };
}
