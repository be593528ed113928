package http;

import actors.Audience;
import actors.Kind;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;

/** The JSON bodies the edge accepts. Only shape and types are checked here; the rules live in the poll entity. */
final class Requests {
  private Requests() {}

  record CreatePoll(
      String question,
      List<String> options,
      Kind kind,
      Integer maxChoices,
      Boolean allowVoteChange,
      String closesAt,
      Audience audience) {

    /** {@code closesAt} must be an ISO-8601 string: a bare number would silently mean seconds since 1970. */
    Instant closingTime() {
      if (closesAt == null) {
        return null;
      }
      try {
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(closesAt, Instant::from);
      } catch (DateTimeParseException e) {
        throw new Json.BadJson("closesAt must be an ISO-8601 instant such as \"2030-01-01T12:00:00Z\"");
      }
    }
  }

  /** {@code voterId} is optional: the voter is the one in the token, and a different id here is refused. */
  record Ballot(String voterId, List<Integer> choices) {}

  record Invites(Integer count) {}

  /**
   * A frame a client sends on a live socket: {@code {"type":"ballot","choices":[0],"ref":"abc"}}, cast for the
   * socket's voter, or for the voter of {@code token} when the frame carries one (a client relaying many voters).
   */
  record SocketBallot(String type, List<Integer> choices, String ref, String token) {}
}
