package readside;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * How many open polls one organizer may hold at once (0: no limit), counted in the catalogue read model. The read
 * side lags the write side by about a second, so a burst of creations can pass the quota by the polls created within
 * that second; the creation rate per organizer bounds those.
 */
public final class OpenPollQuota {
  private final ReadSide readSide;
  private final int maxOpen;
  private final int maxScanned;

  public OpenPollQuota(ReadSide readSide, int maxOpen, int maxScanned) {
    this.readSide = readSide;
    this.maxOpen = maxOpen;
    this.maxScanned = maxScanned;
  }

  public int maxOpen() {
    return maxOpen;
  }

  /** Whether {@code organizer} may open one more poll now; admins may always. */
  public CompletionStage<Boolean> allowsAnother(actors.Requester organizer) {
    if (maxOpen <= 0 || readSide == null || organizer.admin()) {
      return CompletableFuture.completedFuture(true);
    }
    return readSide.polls(organizer.name(), "open", null, maxOpen, maxScanned)
        .thenApply(page -> page.items().size() < maxOpen);
  }
}
