package livepoll;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Opens the polls a run votes on, through the public API, before the run starts. */
final class PollSetup {
  private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");

  private PollSetup() {}

  static List<String> open(String url, String organizerToken, int count) {
    if (organizerToken == null || organizerToken.isBlank()) {
      throw new IllegalArgumentException("set -Dlivepoll.organizerToken=<token> "
          + "(./livepoll token organizer <name> | tail -1, in the server's environment)");
    }
    HttpClient client = HttpClient.newHttpClient();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String body = "{\"question\":\"Gatling poll " + (i + 1) + "\",\"options\":[\"red\",\"green\",\"blue\"]}";
      HttpRequest request = HttpRequest.newBuilder(URI.create(url + "/api/polls"))
          .header("Authorization", "Bearer " + organizerToken)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body))
          .build();
      try {
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        Matcher id = ID.matcher(response.body());
        if (response.statusCode() != 201 || !id.find()) {
          throw new IllegalStateException("opening a poll answered " + response.statusCode() + ": " + response.body());
        }
        ids.add(id.group(1));
      } catch (java.io.IOException e) {
        throw new IllegalStateException("cannot reach " + url + ": " + e, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    return List.copyOf(ids);
  }
}
