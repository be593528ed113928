package support;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** Numbers out of the JSON the server sends: a poll view's votes per option, a tally frame's counts. */
public final class Views {
  private Views() {}

  public static List<Long> votes(JsonNode view) {
    List<Long> votes = new ArrayList<>();
    view.path("options").forEach(option -> votes.add(option.path("votes").asLong()));
    return votes;
  }

  public static List<Long> counts(JsonNode tally) {
    List<Long> counts = new ArrayList<>();
    tally.path("counts").forEach(count -> counts.add(count.asLong()));
    return counts;
  }
}
