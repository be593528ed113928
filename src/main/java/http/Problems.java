package http;

import actors.Poll;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RetryAfter;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.scaladsl.model.IllegalRequestException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every error the edge returns, as RFC 9457 {@code application/problem+json} with type, title, status and detail.
 * This is the one place where a poll's rejection reasons become HTTP status codes.
 */
final class Problems extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger(Problems.class);

  static final ContentType PROBLEM_JSON = ContentTypes.create(MediaTypes.applicationWithFixedCharset(
      "problem+json", org.apache.pekko.http.javadsl.model.HttpCharsets.UTF_8));

  /** Seconds a client should wait before retrying after a 503. */
  static final int RETRY_AFTER_SECONDS = 1;

  private final Json json;

  Problems(Json json) {
    this.json = json;
  }

  /** One error as both an HTTP response and a WebSocket error frame tell it. */
  record Problem(StatusCode status, String type, String title, String detail) {}

  HttpResponse of(Poll.Rejected rejected) {
    return response(problemOf(rejected));
  }

  static Problem problemOf(Poll.Rejected rejected) {
    String detail = rejected.detail();
    return switch (rejected.reason()) {
      case INVALID_POLL -> new Problem(StatusCodes.BAD_REQUEST, "invalid-poll", "Invalid poll", detail);
      case INVALID_BALLOT -> new Problem(StatusCodes.BAD_REQUEST, "invalid-ballot", "Invalid ballot", detail);
      case UNKNOWN_POLL -> new Problem(StatusCodes.NOT_FOUND, "unknown-poll", "Unknown poll", detail);
      case NO_SUCH_BALLOT -> new Problem(StatusCodes.NOT_FOUND, "no-such-ballot", "No such ballot", detail);
      case POLL_EXISTS -> new Problem(StatusCodes.CONFLICT, "poll-exists", "Poll exists", detail);
      case POLL_CLOSED -> new Problem(StatusCodes.CONFLICT, "poll-closed", "Poll closed", detail);
      case ALREADY_VOTED -> new Problem(StatusCodes.CONFLICT, "already-voted", "Already voted", detail);
      case VOTE_CHANGE_NOT_ALLOWED -> new Problem(
          StatusCodes.CONFLICT, "vote-change-not-allowed", "Vote change not allowed", detail);
      case BUSY -> new Problem(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", "Service unavailable", detail);
      case NODE_DOWNED -> new Problem(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", "Service unavailable", detail);
      case FORBIDDEN -> new Problem(StatusCodes.FORBIDDEN, "not-owner", "Forbidden", detail);
      case NOT_INVITED -> new Problem(StatusCodes.FORBIDDEN, "not-invited", "Not invited", detail);
      case INVALID_INVITE -> new Problem(StatusCodes.BAD_REQUEST, "invalid-invite", "Invalid invite", detail);
      case INVALID_WORD -> new Problem(StatusCodes.BAD_REQUEST, "invalid-word", "Invalid word", detail);
      case LIMIT_REACHED -> new Problem(StatusCodes.CONFLICT, "limit-reached", "Limit reached", detail);
      case STALE_BALLOT -> new Problem(StatusCodes.CONFLICT, "stale-ballot", "Stale ballot", detail);
      case EXPIRED -> new Problem(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", "Service unavailable", detail);
    };
  }

  HttpResponse badJson(Json.BadJson bad) {
    return response(StatusCodes.BAD_REQUEST, "malformed-request", "Malformed request", bad.getMessage());
  }

  HttpResponse unavailable(String detail) {
    return response(StatusCodes.SERVICE_UNAVAILABLE, "unavailable", "Service unavailable", detail);
  }

  HttpResponse response(StatusCode status, String type, String title, String detail) {
    return response(new Problem(status, type, title, detail));
  }

  HttpResponse response(Problem problem) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "/problems/" + problem.type());
    body.put("title", problem.title());
    body.put("status", problem.status().intValue());
    body.put("detail", problem.detail());
    HttpResponse response = HttpResponse.create()
        .withStatus(problem.status())
        .withEntity(HttpEntities.create(PROBLEM_JSON, json.write(body)));
    // a 503 is always temporary here: nothing was recorded, and the client may retry shortly
    return problem.status().equals(StatusCodes.SERVICE_UNAVAILABLE)
        ? response.addHeader(RetryAfter.create((long) RETRY_AFTER_SECONDS))
        : response;
  }

  /** Pekko's own rejections (no route, wrong method, too large...) keep their status but speak problem+json. */
  RejectionHandler rejectionHandler() {
    return RejectionHandler.defaultHandler().mapRejectionResponse(this::asProblem);
  }

  ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder()
        .match(Json.BadJson.class, bad -> complete(badJson(bad)))
        // raised by Pekko HTTP for requests it finds broken once routing began
        .match(IllegalRequestException.class, illegal -> complete(forStatus(illegal.status(), illegal.info().summary())))
        .match(TimeoutException.class, timeout -> complete(unavailable(
            "the poll did not answer in time; it may be moving to another node, please retry")))
        .match(Throwable.class, unexpected -> {
          log.error("Unexpected failure while serving a request", unexpected);
          return complete(response(StatusCodes.INTERNAL_SERVER_ERROR, "internal-error",
              "Internal server error", "the server failed unexpectedly; the failure is logged"));
        })
        .build();
  }

  HttpResponse tooLarge(long limit) {
    return response(StatusCodes.CONTENT_TOO_LARGE, "request-too-large", "Request too large",
        "the request body exceeds " + limit + " bytes");
  }

  private HttpResponse asProblem(HttpResponse response) {
    if (response.entity().getContentType().equals(PROBLEM_JSON)) {
      return response;
    }
    String detail = response.entity() instanceof HttpEntity.Strict strict
        ? strict.getData().decodeString(StandardCharsets.UTF_8)
        : response.status().reason();
    List<HttpHeader> headers = new java.util.ArrayList<>();
    response.getHeaders().forEach(headers::add);
    return forStatus(response.status(), detail).withHeaders(headers);
  }

  /** A problem named after its status alone, for errors raised by Pekko HTTP rather than by a poll. */
  HttpResponse forStatus(StatusCode status, String detail) {
    String slug = status.reason().toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    return response(status, slug, status.reason(), detail);
  }
}
