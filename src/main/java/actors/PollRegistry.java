package actors;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Which poll ids were ever created, known without waking a poll: {@link Polls} asks it before it sends a request
 * to a poll, so a request for an id nobody created reads no journal and starts no entity.
 */
public interface PollRegistry {
  /** No registry: every well-formed id is asked of its entity (nodes on the in-memory journal, tests). */
  PollRegistry NONE = new PollRegistry() {
    @Override
    public CompletionStage<Boolean> exists(String pollId) {
      return CompletableFuture.completedFuture(true);
    }

    @Override
    public CompletionStage<Void> register(String pollId) {
      return CompletableFuture.completedFuture(null);
    }
  };

  /**
   * Whether a poll may exist under {@code pollId}: true for every poll created (also one whose creation is under
   * way), false only for an id that was never registered.
   */
  CompletionStage<Boolean> exists(String pollId);

  /** Records {@code pollId} before its poll is created; complete once every node would find it. */
  CompletionStage<Void> register(String pollId);
}
