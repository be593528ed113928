package readside;

import java.time.Instant;
import java.util.List;

/**
 * One page of the catalogue, newest first. {@code next} continues strictly after the last poll listed, so pages
 * never skip or repeat a poll however many are created meanwhile; null at the end. {@code asOf} is the write time
 * of the newest event the catalogue has processed.
 */
public record CataloguePage(List<PollSummary> items, Cursor next, Instant asOf) {
  /** Where a listing goes on: polls created strictly before this one (ties broken by id). */
  public record Cursor(Instant createdAt, String pollId) {}

  CataloguePage withAsOf(Instant time) {
    return new CataloguePage(items, next, time);
  }
}
