package http;

import actors.Poll;
import actors.PollView;
import actors.Polls;
import actors.Requester;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.ContentDisposition;
import org.apache.pekko.http.javadsl.model.headers.ContentDispositionTypes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import readside.CataloguePage;
import readside.PollActivity;
import readside.PollStats;
import readside.PollSummary;
import readside.PollTimeline;
import readside.ReadSide;

/**
 * The read-side API: the poll catalogue, and the timeline, participation figures and CSV export of one poll. Its
 * answers come from read models that lag the write side, so each says how fresh it is ({@code asOf}, {@code seq}).
 * Organizer-only: a poll's analytics belong to its owner (or an admin).
 */
final class ReadRoutes extends AllDirectives {
  /** Timeline bucket lengths a client may ask for. */
  private static final Map<String, Duration> BUCKETS = Map.of("1m", Duration.ofMinutes(1),
      "5m", Duration.ofMinutes(5), "15m", Duration.ofMinutes(15), "1h", Duration.ofHours(1), "1d", Duration.ofDays(1));

  /** One poll as the catalogue lists it. */
  private record CatalogueItem(String id, String question, String status, long totalBallots, Instant createdAt,
      Instant closesAt, long seq) {
    static CatalogueItem of(PollSummary summary) {
      return new CatalogueItem(summary.pollId(), summary.question(), summary.status(), summary.totalBallots(),
          summary.createdAt(), summary.closesAt(), summary.seq());
    }
  }

  private record Catalogue(List<CatalogueItem> items, String nextCursor, Instant asOf) {}

  private final ReadSide readSide;
  private final Polls polls;
  private final Authentication auth;
  private final Problems problems;
  private final Json json;
  private final EdgeLimits.CatalogueLimits limits;

  /** {@code readSide} is null on a node that runs none (tests on the in-memory journal): its routes answer 503. */
  ReadRoutes(ReadSide readSide, Polls polls, Authentication auth, Problems problems, Json json,
      EdgeLimits.CatalogueLimits limits) {
    this.readSide = readSide;
    this.polls = polls;
    this.auth = auth;
    this.problems = problems;
    this.json = json;
    this.limits = limits;
  }

  /** {@code GET /api/polls?status=&owner=&limit=&cursor=} */
  Route catalogue() {
    return running(() -> auth.organizer(organizer -> parameterOptional("status", status ->
        parameterOptional("owner", owner -> parameterOptional("limit", limit ->
            parameterOptional("cursor", cursor -> listPolls(organizer, status, owner, limit, cursor)))))));
  }

  /** {@code GET /api/polls/{id}/timeline|stats|export.csv} */
  Route poll(String pollId) {
    return concat(
        path("timeline", () -> get(() -> owned(pollId, activity -> parameterOptional("bucket", bucket ->
            round(activity, round -> {
              Duration length = BUCKETS.get(bucket.orElse("1m"));
              if (length == null) {
                return badRequest("invalid-bucket", "bucket is one of " + List.of("1m", "5m", "15m", "1h", "1d"));
              }
              return ok(PollTimeline.of(activity, round, length, bucket.orElse("1m")));
            }))))),
        path("stats", () -> get(() -> owned(pollId, activity ->
            round(activity, round -> ok(PollStats.of(activity, round)))))),
        path("export.csv", () -> get(() -> owned(pollId, activity ->
            onSuccess(polls.rounds(pollId), reply -> reply instanceof Poll.RoundsListed rounds
                ? complete(csv(rounds, activity))
                : complete(problems.of((Poll.Rejected) reply)))))));
  }

  /** The round a read asks for with {@code ?round=n}: 1 to the current one, which is the default. */
  private Route round(PollActivity activity, Function<Integer, Route> inner) {
    return parameterOptional("round", asked -> {
      if (asked.isEmpty()) {
        return inner.apply(activity.round());
      }
      int round;
      try {
        round = Integer.parseInt(asked.get());
      } catch (NumberFormatException e) {
        round = -1;
      }
      return round < 1 || round > activity.round()
          ? badRequest("invalid-round", "round is a whole number from 1 to the poll's current round ("
              + activity.round() + ")")
          : inner.apply(round);
    });
  }

  private Route listPolls(Requester organizer, Optional<String> status, Optional<String> owner,
      Optional<String> limit, Optional<String> cursor) {
    if (status.isPresent() && !status.get().equals(PollView.OPEN) && !status.get().equals(PollView.CLOSED)) {
      return badRequest("invalid-status", "status is open or closed");
    }
    String listed = owner.orElse(organizer.name());
    if (!organizer.mayManage(listed)) {
      return complete(problems.response(StatusCodes.FORBIDDEN, "not-owner", "Forbidden",
          "an organizer lists their own polls; only an admin may list another owner's"));
    }
    int pageSize;
    try {
      pageSize = limit.map(Integer::parseInt).orElse(limits.defaultLimit());
    } catch (NumberFormatException e) {
      pageSize = -1;
    }
    if (pageSize < 1 || pageSize > limits.maxLimit()) {
      return badRequest("invalid-limit", "limit is a whole number from 1 to " + limits.maxLimit());
    }
    CataloguePage.Cursor after = cursor.map(ReadRoutes::decodeCursor).orElse(null);
    if (cursor.isPresent() && after == null) {
      return badRequest("invalid-cursor", "cursor is a nextCursor value from an earlier page, unchanged");
    }
    return read(readSide.polls(listed, status.orElse(null), after, pageSize, limits.maxScanned()),
        page -> ok(new Catalogue(page.items().stream().map(CatalogueItem::of).toList(),
            page.next() == null ? null : encodeCursor(page.next()), page.asOf())));
  }

  /** The poll's results read model, if the caller may see it; 404 until the read model knows the poll. */
  private Route owned(String pollId, Function<PollActivity, Route> inner) {
    return running(() -> auth.organizer(organizer -> read(readSide.activity(pollId), activity -> {
      if (activity.isEmpty()) {
        return complete(problems.response(StatusCodes.NOT_FOUND, "unknown-poll", "Unknown poll",
            "no poll " + pollId + " in the read model (a poll created a moment ago may not be in it yet)"));
      }
      if (!organizer.mayManage(activity.get().owner())) {
        return complete(problems.response(StatusCodes.FORBIDDEN, "not-owner", "Forbidden",
            organizer.name() + " is not the owner of poll " + pollId));
      }
      return inner.apply(activity.get());
    })));
  }

  private Route running(java.util.function.Supplier<Route> inner) {
    return readSide != null ? inner.get() : complete(problems.unavailable("the read side does not run on this node"));
  }

  /** A read-model query's answer; a failed read (the database is unreachable, say) is a 503, never a 500. */
  private <T> Route read(CompletionStage<T> query, Function<T, Route> inner) {
    return onComplete(query, result -> result.isSuccess()
        ? inner.apply(result.get())
        : complete(problems.unavailable("the read model could not be read just now; retry")));
  }

  private Route ok(Object body) {
    return complete(HttpResponse.create().withStatus(StatusCodes.OK)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, json.write(body))));
  }

  private Route badRequest(String type, String detail) {
    return complete(problems.response(StatusCodes.BAD_REQUEST, type, "Bad request", detail));
  }

  // ------------------------------------------------------------------------------------------------ cursors, CSV

  private static String encodeCursor(CataloguePage.Cursor cursor) {
    String plain = cursor.createdAt().toEpochMilli() + ":" + cursor.pollId();
    return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.UTF_8));
  }

  /** The cursor, or null if {@code text} is not one this server wrote. */
  private static CataloguePage.Cursor decodeCursor(String text) {
    try {
      String plain = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
      int colon = plain.indexOf(':');
      String pollId = plain.substring(colon + 1);
      if (colon < 1 || !actors.PollId.isWellFormed(pollId)) {
        return null;
      }
      return new CataloguePage.Cursor(Instant.ofEpochMilli(Long.parseLong(plain.substring(0, colon))), pollId);
    } catch (IllegalArgumentException | java.time.DateTimeException e) {
      return null;
    }
  }

  /**
   * Every round's final results (exact, from the poll itself) and its minute timeline (from the read model) as one
   * sheet: a {@code section} column tells the rows apart, {@code round} the rounds. An option of a rating poll is a
   * point of its scale; a word cloud's final rows are its shown words (no option), its timeline has none.
   */
  private HttpResponse csv(Poll.RoundsListed listed, PollActivity activity) {
    PollView poll = listed.poll();
    StringBuilder out = new StringBuilder(
        "section,round,minute,option,label,votes,points,cast,changed_to,changed_from,retracted\r\n");
    for (PollView.RoundView round : listed.rounds()) {
      finalRows(out, round.round(), round.options(), poll.scale(), round.rating(), round.words());
    }
    finalRows(out, poll.round(), poll.options(), poll.scale(), poll.rating(), poll.words());
    for (int round = 1; round <= activity.round(); round++) {
      for (PollTimeline.Bucket bucket : PollTimeline.of(activity, round, Duration.ofMinutes(1), "1m").buckets()) {
        for (PollTimeline.OptionVotes votes : bucket.options()) {
          if (votes.cast() + votes.changedTo() + votes.changedFrom() + votes.retracted() == 0) {
            continue;
          }
          String label = votes.option() < poll.options().size() ? poll.options().get(votes.option()).label()
              : String.valueOf(votes.option());
          out.append("timeline,").append(round).append(',').append(bucket.start()).append(',').append(votes.option())
              .append(',').append(CsvCell.of(label)).append(",,,").append(votes.cast()).append(',')
              .append(votes.changedTo()).append(',').append(votes.changedFrom()).append(',').append(votes.retracted())
              .append("\r\n");
        }
      }
    }
    return HttpResponse.create().withStatus(StatusCodes.OK)
        .withEntity(HttpEntities.create(ContentTypes.TEXT_CSV_UTF8, out.toString()))
        .addHeader(ContentDisposition.create(ContentDispositionTypes.ATTACHMENT,
            Map.of("filename", "poll-" + poll.id() + ".csv")));
  }

  private static void finalRows(StringBuilder out, int round, List<PollView.OptionView> options,
      actors.RatingScale scale, PollView.RatingResult rating, List<PollView.WordCount> words) {
    for (PollView.OptionView option : options) {
      out.append("final,").append(round).append(",,").append(option.index()).append(',').append(CsvCell.of(option.label()))
          .append(',').append(option.votes()).append(',').append(option.points() == null ? "" : option.points())
          .append(",,,,\r\n");
    }
    if (rating != null) {
      // the distribution runs from the scale's minimum; a point is its own option and label
      for (int i = 0; i < rating.distribution().size(); i++) {
        int point = scale.min() + i;
        out.append("final,").append(round).append(",,").append(point).append(",\"").append(point).append("\",")
            .append(rating.distribution().get(i)).append(",,,,,\r\n");
      }
    }
    if (words != null) {
      for (PollView.WordCount word : words) {
        out.append("final,").append(round).append(",,,").append(CsvCell.of(word.text())).append(',').append(word.count())
            .append(",,,,,\r\n");
      }
    }
  }
}
