package support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * What the API promises of every answer, asserted in one place: JSON with its status, a poll view with every field,
 * and RFC 9457 problems (media type, type, title, status and detail). Each returns the body for further checks.
 */
public final class ApiAssertions {
  /** What every view has; the owner's name is only in the views of the owner and admins. */
  private static final List<String> VIEW_FIELDS = List.of("id", "question", "kind", "maxChoices", "allowVoteChange",
      "audience", "status", "createdAt", "closesAt", "closedAt", "options", "totalBallots");

  private ApiAssertions() {}

  /** A JSON answer with this status. */
  public static JsonNode assertJson(ApiClient.Reply reply, int status) {
    assertEquals(status, reply.status(), () -> "unexpected reply: " + reply);
    assertEquals("application/json", reply.mediaType(), () -> "unexpected reply: " + reply);
    return reply.json();
  }

  /** A poll view with this status and every field of the view. */
  public static JsonNode assertView(ApiClient.Reply reply, int status) {
    JsonNode view = assertJson(reply, status);
    for (String field : VIEW_FIELDS) {
      assertTrue(view.has(field), () -> "view lacks " + field + ": " + reply);
    }
    return view;
  }

  /** An RFC 9457 problem with this status, of any type. */
  public static JsonNode assertProblem(ApiClient.Reply reply, int status) {
    return assertProblem(reply, status, null);
  }

  /** An RFC 9457 problem with this status and type ({@code /problems/<type>}); {@code type} null takes any. */
  public static JsonNode assertProblem(ApiClient.Reply reply, int status, String type) {
    assertEquals(status, reply.status(), () -> "unexpected reply: " + reply);
    assertEquals("application/problem+json", reply.mediaType(), () -> "unexpected reply: " + reply);
    JsonNode problem = reply.json();
    if (type != null) {
      assertEquals("/problems/" + type, problem.path("type").asText(), () -> "unexpected problem: " + reply);
    } else {
      assertTrue(problem.path("type").asText().startsWith("/problems/"), () -> "problem type: " + reply);
    }
    assertFalse(problem.path("title").asText().isBlank(), () -> "problem without title: " + reply);
    assertEquals(status, problem.path("status").asInt(), () -> "problem status: " + reply);
    assertFalse(problem.path("detail").asText().isBlank(), () -> "problem without detail: " + reply);
    return problem;
  }
}
