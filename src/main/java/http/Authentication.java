package http;

import actors.Reader;
import actors.Requester;
import auth.Identity;
import auth.Tokens;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Bearer-token directives: who is calling, and whether their token is of the kind the route needs. No token or a
 * token that does not hold is 401; a valid token of the wrong kind is 403.
 */
final class Authentication extends AllDirectives {
  private static final String BEARER = "Bearer ";

  private final Tokens tokens;
  private final Problems problems;

  Authentication(Tokens tokens, Problems problems) {
    this.tokens = tokens;
    this.problems = problems;
  }

  /** The organizer (or admin) behind an organizer token. */
  Route organizer(Function<Requester, Route> inner) {
    return identity(identity -> identity instanceof Identity.Organizer organizer
        ? inner.apply(new Requester(organizer.name(), organizer.admin()))
        : complete(problems.response(StatusCodes.FORBIDDEN, "organizer-token-required", "Forbidden",
            "this needs an organizer token, not a voter token")));
  }

  /**
   * Who reads a poll: the organizer (or admin) of an organizer token, who may see more of a poll they manage; null
   * for a request without a token or with a voter's. A token that does not hold is 401 all the same.
   */
  Route reader(Function<Requester, Route> inner) {
    return optionalHeaderValueByName("Authorization", header -> header.isEmpty()
        ? inner.apply(null)
        : identity(identity -> inner.apply(identity instanceof Identity.Organizer organizer
            ? new Requester(organizer.name(), organizer.admin()) : null)));
  }

  /**
   * Who views a poll, by whatever token they hold (none: {@link Reader#ANYONE}); the poll decides what they may see.
   * A token that does not hold is 401.
   */
  Route viewer(Function<Reader, Route> inner) {
    return optionalHeaderValueByName("Authorization", header -> header.isEmpty()
        ? inner.apply(Reader.ANYONE)
        : identity(identity -> inner.apply(readerOf(identity))));
  }

  /** The reader a verified token makes; null (no token): anyone. */
  static Reader readerOf(Tokens.Verified token) {
    return readerOf(token == null ? null : token.identity());
  }

  /** The reader a verified token's identity makes; null: anyone. */
  static Reader readerOf(Identity identity) {
    if (identity instanceof Identity.Organizer organizer) {
      return new Reader(new Requester(organizer.name(), organizer.admin()), null, null);
    } else if (identity instanceof Identity.Voter voter) {
      return new Reader(null, voter.voterId(), voter.invitedTo());
    }
    return Reader.ANYONE;
  }

  /** The voter behind a voter or invite token. */
  Route voter(Function<Identity.Voter, Route> inner) {
    return identity(identity -> identity instanceof Identity.Voter voter
        ? inner.apply(voter)
        : complete(problems.response(StatusCodes.FORBIDDEN, "voter-token-required", "Forbidden",
            "this needs a voter token (POST /api/voters), not an organizer token")));
  }

  /**
   * Who opens a live socket: the token travels as a query parameter because browsers cannot set headers on a
   * WebSocket. No token (null) watches; a voter token may also vote; a token that does not hold is 401. The socket
   * keeps the verified token to re-check while it runs.
   */
  Route watcher(Optional<String> token, Function<Tokens.Verified, Route> inner) {
    if (token.isEmpty()) {
      return inner.apply(null);
    }
    try {
      return inner.apply(tokens.verifyFully(token.get()));
    } catch (Tokens.InvalidToken invalid) {
      return complete(unauthorized("invalid-token", invalid.getMessage(), "invalid_token"));
    }
  }

  private Route identity(Function<Identity, Route> inner) {
    return optionalHeaderValueByName("Authorization", header -> {
      Optional<String> token = header.filter(value -> value.regionMatches(true, 0, BEARER, 0, BEARER.length()))
          .map(value -> value.substring(BEARER.length()).strip());
      if (token.isEmpty() || token.get().isEmpty()) {
        return complete(unauthorized("missing-token", "this needs an Authorization: Bearer token", null));
      }
      try {
        return inner.apply(tokens.verify(token.get()));
      } catch (Tokens.InvalidToken invalid) {
        return complete(unauthorized("invalid-token", invalid.getMessage(), "invalid_token"));
      }
    });
  }

  private HttpResponse unauthorized(String type, String detail, String error) {
    HttpChallenge challenge = error == null
        ? HttpChallenge.create("Bearer", "livepoll")
        : HttpChallenge.create("Bearer", "livepoll", java.util.Map.of("error", error));
    return problems.response(StatusCodes.UNAUTHORIZED, type, "Unauthorized", detail)
        .addHeader(WWWAuthenticate.create(challenge));
  }
}
