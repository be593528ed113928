package http;

import actors.Kind;
import java.time.Instant;
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
      Instant closesAt) {}

  record Ballot(String voterId, List<Integer> choices) {}
}
