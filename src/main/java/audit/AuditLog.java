package audit;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;

/** Where audit entries are kept: appended, never changed, read newest first. */
public interface AuditLog {
  CompletionStage<Done> append(AuditEntry entry);

  /**
   * Up to {@code limit} entries, newest first, older than {@code before} (null: from the newest), not older than
   * {@code since} (null: from the first), of poll {@code pollId} and by {@code actor} when those are not null.
   */
  CompletionStage<Page> page(String pollId, String actor, Instant since, UUID before, int limit);

  /** Keeps nothing: the log of a node on the in-memory journal, which tests use and which keeps nothing either. */
  AuditLog NONE = new AuditLog() {
    @Override
    public CompletionStage<Done> append(AuditEntry entry) {
      return java.util.concurrent.CompletableFuture.completedFuture(Done.getInstance());
    }

    @Override
    public CompletionStage<Page> page(String pollId, String actor, Instant since, UUID before, int limit) {
      return java.util.concurrent.CompletableFuture.completedFuture(new Page(List.of(), null));
    }
  };

  /** A page of entries; {@code next} is where the next page starts (its entries are older), null at the end. */
  record Page(List<AuditEntry> entries, UUID next) {
    public Page {
      entries = List.copyOf(entries);
    }
  }
}
