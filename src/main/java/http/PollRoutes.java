package http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import actors.Poll;
import actors.PollDraft;
import actors.Polls;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.stream.StreamLimitReachedException;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaType;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Location;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The organizer and voter REST API under {@code /api/polls}. Routes only parse, ask the write side and map its
 * reply to a status code; the rules of a poll live in the poll entity.
 */
public final class PollRoutes extends AllDirectives {
  /** How long the edge waits for a request body to arrive in full. */
  private static final Duration BODY_TIMEOUT = Duration.ofSeconds(10);

  private final Polls polls;
  private final Json json;
  private final Problems problems;
  private final long maxBodyBytes;

  public PollRoutes(Polls polls, long maxBodyBytes, int maxJsonDepth) {
    this.polls = polls;
    this.json = new Json(maxJsonDepth);
    this.problems = new Problems(json);
    this.maxBodyBytes = maxBodyBytes;
  }

  /** All routes, sealed: every rejection and failure becomes a problem+json response. */
  public Route routes() {
    return handleExceptions(problems.exceptionHandler(), () ->
        handleRejections(problems.rejectionHandler(), () ->
            pathPrefix("api", () -> pathPrefix("polls", () -> concat(
                pathEndOrSingleSlash(() -> post(() -> body(Requests.CreatePoll.class, this::createPoll))),
                pathPrefix(segment(), this::poll))))));
  }

  private Route poll(String pollId) {
    return concat(
        pathEndOrSingleSlash(() -> get(() -> reply(polls.get(pollId), StatusCodes.OK))),
        path("ballots", () -> post(() -> body(Requests.Ballot.class, ballot ->
            reply(polls.castBallot(pollId, ballot.voterId(), ballot.choices()), StatusCodes.OK)))),
        path(segment("ballots").slash(segment()), voterId -> delete(() ->
            reply(polls.retractBallot(pollId, voterId), StatusCodes.OK))),
        path("close", () -> post(() -> reply(polls.close(pollId), StatusCodes.OK))));
  }

  private Route createPoll(Requests.CreatePoll request) {
    CompletionStage<Poll.Reply> created = polls.create(new PollDraft(
        request.question(),
        request.options(),
        request.kind(),
        request.maxChoices(),
        Boolean.TRUE.equals(request.allowVoteChange()),
        request.closingTime()));
    return onSuccess(created, reply -> {
      HttpResponse response = toResponse(reply, StatusCodes.CREATED);
      if (reply instanceof Poll.Accepted accepted) {
        response = response.addHeader(Location.create("/api/polls/" + accepted.poll().id()));
      }
      return complete(response);
    });
  }

  /**
   * Reads a JSON body of at most {@code maxBodyBytes} within {@link #BODY_TIMEOUT}: other media types get 415, larger
   * bodies 413 (declared or streamed), slower ones 408, bad JSON 400.
   */
  private <T> Route body(Class<T> type, Function<T, Route> inner) {
    return extractRequestEntity(entity -> extractMaterializer(materializer -> {
      MediaType mediaType = entity.getContentType().mediaType();
      boolean isJson = mediaType.equals(ContentTypes.APPLICATION_JSON.mediaType())
          || mediaType.subType().endsWith("+json");
      if (!isJson) {
        return complete(problems.response(StatusCodes.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
            "Unsupported media type", "the request body must be application/json"));
      }
      if (entity.getContentLengthOption().orElse(0) > maxBodyBytes) {
        return complete(problems.tooLarge(maxBodyBytes));
      }
      CompletionStage<ByteString> bytes = entity.withoutSizeLimit().getDataBytes()
          .limitWeighted(maxBodyBytes, chunk -> (long) chunk.size())
          .completionTimeout(BODY_TIMEOUT)
          .runFold(ByteString.emptyByteString(), ByteString::concat, materializer);
      return onComplete(bytes, read -> {
        if (read.isSuccess()) {
          return inner.apply(json.read(read.get().toArray(), type));
        }
        Throwable failure = read.failed().get();
        if (failure instanceof StreamLimitReachedException) {
          return complete(problems.tooLarge(maxBodyBytes));
        } else if (failure instanceof TimeoutException) {
          return complete(problems.response(StatusCodes.REQUEST_TIMEOUT, "request-timeout", "Request timeout",
              "the request body did not arrive within " + BODY_TIMEOUT.toSeconds() + " seconds"));
        }
        return failWith(failure);
      });
    }));
  }

  private Route reply(CompletionStage<Poll.Reply> reply, StatusCode success) {
    return onSuccess(reply, answer -> complete(toResponse(answer, success)));
  }

  private HttpResponse toResponse(Poll.Reply reply, StatusCode success) {
    if (reply instanceof Poll.Accepted accepted) {
      return HttpResponse.create()
          .withStatus(success)
          .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, json.write(accepted.poll())));
    }
    return problems.of((Poll.Rejected) reply);
  }
}
