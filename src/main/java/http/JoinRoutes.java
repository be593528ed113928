package http;

import actors.Poll;
import actors.Polls;
import auth.Tokens;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * How voters find a poll: {@code GET /api/join/{code}} turns a join code into the poll's id, and
 * {@code GET /api/polls/{id}/join} and {@code .../qr.svg} give the address a presenter shows the room, as text and
 * as a QR code.
 */
final class JoinRoutes extends AllDirectives {
  /** A Host header worth putting into a URL: a name or address and a port, nothing a browser could misread. */
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.\\-]+(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]+\\](:[0-9]{1,5})?");

  /** The poll a code leads to. */
  private record Joined(String code, String pollId) {}

  /** The address voters open for a poll, and its code (null for a poll created before join codes). */
  private record JoinAddress(String pollId, String code, String url) {}

  private final Polls polls;
  private final Tokens tokens;
  private final Authentication auth;
  private final Throttling throttle;
  private final Problems problems;
  private final Json json;
  private final String publicUrl;

  /** {@code publicUrl} is the address voters open (no trailing slash), or empty to take the request's own. */
  JoinRoutes(Polls polls, Tokens tokens, Authentication auth, Throttling throttle, Problems problems, Json json,
      String publicUrl) {
    this.polls = polls;
    this.tokens = tokens;
    this.auth = auth;
    this.throttle = throttle;
    this.problems = problems;
    this.json = json;
    this.publicUrl = publicUrl;
  }

  /** {@code GET /api/join/{code}}: 200 with the poll's id while the poll is open, else 404. */
  Route resolve(String typed) {
    return get(() -> onSuccess(polls.resolveJoinCode(typed), pollId -> complete(pollId
        .map(id -> ok(new Joined(actors.JoinCode.normalize(typed), id)))
        .orElseGet(this::unknownCode))));
  }

  /** A voter signed up through a join code: a token good for that poll only. */
  private record SignedUp(String pollId, String voterId, String token) {}

  /**
   * {@code POST /api/join/{code}/voters}: signs a new voter up to the open poll that holds the code, within the
   * sign-ups one address and this server take, and the poll's own limit: 201 with a token for that poll only.
   */
  Route signUp(String typed) {
    return post(() -> throttle.voterSignUp(() -> throttle.signUps(() ->
        onSuccess(polls.resolveJoinCode(typed), pollId -> {
          if (pollId.isEmpty()) {
            return complete(unknownCode());
          }
          String voterId = Tokens.newJoinerId();
          return onSuccess(polls.signUp(pollId.get(), voterId), reply -> complete(reply instanceof Poll.Accepted
              ? HttpResponse.create().withStatus(StatusCodes.CREATED).withEntity(HttpEntities.create(
                  ContentTypes.APPLICATION_JSON, json.write(new SignedUp(pollId.get(), voterId,
                      tokens.invitee(voterId, pollId.get()).token()))))
              : problems.of((Poll.Rejected) reply)));
        }))));
  }

  private HttpResponse unknownCode() {
    return problems.response(StatusCodes.NOT_FOUND, "unknown-join-code", "Unknown join code",
        "no open poll has this code; check it, or the poll may have closed");
  }

  /** {@code GET /api/polls/{id}/join} and {@code GET /api/polls/{id}/qr.svg}. */
  Route poll(String pollId) {
    return concat(
        path("join", () -> get(() -> address(pollId, address -> complete(ok(address))))),
        path("qr.svg", () -> get(() -> address(pollId, address -> complete(HttpResponse.create()
            .withEntity(HttpEntities.create(ContentTypes.create(MediaTypes.IMAGE_SVG_XML), QrSvg.of(address.url()).getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            .addHeader(RawHeader.create("Cache-Control", "no-cache")))))));
  }

  private Route address(String pollId, java.util.function.Function<JoinAddress, Route> inner) {
    return extractUri(uri -> optionalHeaderValueByName("Host", host -> auth.viewer(viewer ->
        onSuccess(polls.read(pollId, viewer), reply -> {
      if (!(reply instanceof Poll.Accepted accepted)) {
        return complete(problems.of((Poll.Rejected) reply));
      }
      String base = !publicUrl.isEmpty() ? publicUrl
          : uri.scheme() + "://" + host.filter(h -> HOST.matcher(h).matches())
              .orElse(uri.host().address() + (uri.port() > 0 ? ":" + uri.port() : ""));
      String code = accepted.poll().joinCode();
      return inner.apply(new JoinAddress(pollId, code, base + "/p/" + (code != null ? code : pollId)));
    }))));
  }

  private HttpResponse ok(Object body) {
    return HttpResponse.create().withStatus(StatusCodes.OK)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, json.write(body)));
  }
}
