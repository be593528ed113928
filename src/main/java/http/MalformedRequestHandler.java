package http;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.model.StatusCodes;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests too malformed to reach the routes (bad request line, oversized headers or URI, broken encoding)
 * with problem+json like every other error. Named in {@code pekko.http.server.parsing.error-handler}.
 */
public final class MalformedRequestHandler extends ParsingErrorHandler {
  // Pekko makes one handler per connection: one shared writer, not a JSON mapper per connection
  private static final Problems PROBLEMS = new Problems(new Json(1));

  @Override
  public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    log.debug("Malformed request: {}", info.formatPretty());
    // Pekko answers an unknown method with 501 and an unknown protocol version with 505; from a request this broken
    // they are garbage from the client, and a client error is what the client gets.
    StatusCode answer = status.isFailure() && status.intValue() >= 500 ? StatusCodes.BadRequest() : status;
    return PROBLEMS.forStatus(answer, info.summary()).addHeader(BrowserPolicy.NO_SNIFF);
  }
}
