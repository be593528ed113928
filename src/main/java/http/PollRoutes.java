package http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import actors.Admissions;
import actors.Poll;
import actors.PollDraft;
import actors.Reader;
import actors.PollView;
import actors.Polls;
import org.apache.pekko.actor.typed.ActorSystem;
import actors.Requester;
import auth.Identity;
import auth.Tokens;
import java.util.ArrayList;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.stream.StreamLimitReachedException;
import org.apache.pekko.stream.javadsl.Sink;
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
import readside.ReadSide;
import audit.Actor;
import audit.Audit;
import audit.AuditAction;
import audit.AuditLog;
import lifecycle.PollDeletion;

/**
 * The organizer and voter REST API under {@code /api}. Routes only authenticate, parse, ask the write side and map
 * its reply to a status code; the rules of a poll live in the poll entity.
 */
public final class PollRoutes extends AllDirectives {
  /** How long the edge waits for a request body to arrive in full. */
  private static final Duration BODY_TIMEOUT = Duration.ofSeconds(10);

  private final Polls polls;
  private final Tokens tokens;
  private final Json json;
  private final Problems problems;
  private final Authentication auth;
  private final Throttling throttle;
  private final long maxBodyBytes;

  private final LiveSocket live;
  private final ReadRoutes read;
  private final JoinRoutes join;
  private final AuditRoutes auditRoutes;
  private final PollDeletion deletion;
  private final Audit audit;
  private final Pages pages = new Pages();
  private final BrowserPolicy browser;
  private final ActorSystem<?> system;
  private final readside.OpenPollQuota openPolls;

  /**
   * {@code readSide} is null on a node that runs no read side (tests on the in-memory journal): its routes 503.
   * {@code publicUrl} is the address voters open, or empty for the one each request came in on.
   */
  /**
   * {@code deletion} deletes polls, {@code audit} records privileged actions; {@code audit.log()} is read by
   * {@code GET /api/audit} unless it is {@link AuditLog#NONE} (a node on the in-memory journal: 503).
   */
  public PollRoutes(ActorSystem<?> system, Polls polls, Tokens tokens, EdgeLimits limits, ReadSide readSide,
      String publicUrl, PollDeletion deletion, Audit audit, int auditDefaultLimit, int auditMaxLimit) {
    this.deletion = deletion;
    this.audit = audit;
    this.polls = polls;
    this.tokens = tokens;
    this.json = new Json(limits.maxJsonDepth());
    this.problems = new Problems(json);
    this.auth = new Authentication(tokens, problems);
    this.throttle = new Throttling(limits, problems);
    this.maxBodyBytes = limits.maxBodyBytes();
    this.live = new LiveSocket(system, polls, tokens, json, throttle, limits);
    this.read = new ReadRoutes(readSide, polls, auth, problems, json, limits.catalogue());
    this.openPolls = new readside.OpenPollQuota(readSide, limits.maxOpenPollsPerOrganizer(),
        limits.catalogue().maxScanned());
    this.join = new JoinRoutes(polls, tokens, auth, throttle, problems, json, publicUrl);
    this.system = system;
    this.auditRoutes = new AuditRoutes(audit.log() == AuditLog.NONE ? null : audit.log(), auth, problems, json,
        auditDefaultLimit, auditMaxLimit);
    this.browser = new BrowserPolicy(limits.allowedOrigins(), publicUrl, problems);
  }

  /** All routes, sealed: every rejection and failure becomes a problem+json response, and says nosniff. */
  public Route routes() {
    return browser.everyResponse(() -> handleExceptions(problems.exceptionHandler(), () ->
        handleRejections(problems.rejectionHandler(), () -> concat(
            pathPrefix("api", () -> throttle.perAddress(() -> concat(
                path("voters", () -> post(() -> throttle.voterSignUp(this::newVoter))),
                path(segment("join").slash(segment()), join::resolve),
                auditRoutes.routes(),
                path(segment("join").slash(segment()).slash("voters"), code ->
                    browser.tokenInside(() -> join.signUp(code))),
                path(segment("tokens").slash("revocations"), () -> post(() -> auth.organizer(organizer ->
                    body(Requests.Revocation.class, request -> revoke(organizer, request))))),
                pathPrefix("polls", () -> concat(
                    pathEndOrSingleSlash(() -> concat(
                        post(() -> auth.organizer(organizer -> throttle.pollCreations(organizer.name(), () ->
                        withinOpenPolls(organizer, () -> optionalHeaderValueByName("Idempotency-Key", key ->
                            body(Requests.CreatePoll.class, request -> createPoll(organizer, request, key))))))),
                        get(read::catalogue))),
                    pathPrefix(segment(), pollId ->
                        concat(poll(pollId), read.poll(pollId), join.poll(pollId)))))))),
            pages.routes()))));
  }

  private Route poll(String pollId) {
    return concat(
        pathEndOrSingleSlash(() -> concat(
            get(() -> auth.viewer(viewer -> reply(polls.read(pollId, viewer), StatusCodes.OK, viewer.manager()))),
            delete(() -> auth.organizer(organizer -> audited(deletion.delete(pollId, organizer),
                StatusCodes.NO_CONTENT, organizer, AuditAction.POLL_DELETED, null))))),
        path("ballots", () -> post(() -> {
          long received = System.nanoTime();
          return voter(pollId, voter -> body(Requests.Ballot.class, ballot ->
              castBallot(pollId, voter, ballot, received)));
        })),
        // ?seq=n numbers the retraction like a ballot's "seq" (see Poll.Freshness)
        path(segment("ballots").slash("me"), () -> delete(() -> voter(pollId, voter ->
            parameterOptional("seq", seq -> retract(pollId, voter, seq))))),
        path("close", () -> post(() -> auth.organizer(organizer ->
            audited(polls.close(pollId, organizer), StatusCodes.OK, organizer, AuditAction.POLL_CLOSED, null)))),
        path("reveal", () -> post(() -> auth.organizer(organizer -> audited(polls.reveal(pollId, organizer),
            StatusCodes.OK, organizer, AuditAction.RESULTS_REVEALED, null)))),
        path("rounds", () -> concat(
            get(() -> auth.viewer(viewer -> readable(pollId, viewer, () ->
                reply(polls.rounds(pollId), StatusCodes.OK, viewer.manager())))),
            post(() -> auth.organizer(organizer -> audited(polls.nextRound(pollId, organizer), StatusCodes.OK,
                organizer, AuditAction.ROUND_STARTED, null))))),
        path("hidden-words", () -> concat(
            post(() -> auth.organizer(organizer -> body(Requests.HiddenWord.class, word -> audited(
                polls.hideWord(pollId, organizer, word.text()), StatusCodes.OK, organizer, AuditAction.WORD_HIDDEN,
                null)))),
            delete(() -> auth.organizer(organizer -> body(Requests.HiddenWord.class, word -> audited(
                polls.showWord(pollId, organizer, word.text()), StatusCodes.OK, organizer, AuditAction.WORD_SHOWN,
                null)))))),
        path("invites", () -> concat(
            post(() -> auth.organizer(organizer ->
                body(Requests.Invites.class, request -> invite(pollId, organizer, request)))),
            get(() -> auth.organizer(organizer -> admissions(pollId, organizer, Admissions.Way.INVITED))))),
        path("sign-ups", () -> get(() -> auth.organizer(organizer ->
            admissions(pollId, organizer, Admissions.Way.JOINED)))),
        path(segment("invites").slash(segment()), voterId -> delete(() -> auth.organizer(organizer ->
            onSuccess(polls.revokeInvite(pollId, organizer, voterId), reply -> reply instanceof Poll.Accepted
                ? recorded(organizer, AuditAction.INVITE_REVOKED, pollId, "invite=" + voterId,
                    () -> complete(HttpResponse.create().withStatus(StatusCodes.NO_CONTENT)))
                : complete(toResponse(reply, StatusCodes.OK, organizer)))))),
        path("live", () -> get(() -> browser.liveSocketOrigin(() -> throttle.clientAddress(address ->
            live.refusal(address).map(refused -> complete(problems.response(refused)))
                .orElseGet(() -> parameterOptional("token", token -> auth.watcher(token, verified ->
                    onSuccess(polls.read(pollId, Authentication.readerOf(verified)), reply ->
                        reply instanceof Poll.Accepted accepted
                            ? extractWebSocketUpgrade(upgrade -> extractRequest(request ->
                                complete(live.accept(request, accepted.poll(), verified, address))))
                            : complete(toResponse(reply, StatusCodes.OK, null)))))))))));
  }

  /** {@code inner} if the organizer may open another poll; else 429 until they close one. */
  private Route withinOpenPolls(Requester organizer, java.util.function.Supplier<Route> inner) {
    return onSuccess(openPolls.allowsAnother(organizer), allowed -> allowed ? inner.get()
        : complete(problems.response(StatusCodes.TOO_MANY_REQUESTS, "too-many-open-polls", "Too many open polls",
            organizer.name() + " has " + openPolls.maxOpen() + " open polls, the most one organizer may hold; "
                + "close one first").addHeader(org.apache.pekko.http.javadsl.model.headers.RetryAfter.create(60L))));
  }

  /** {@code inner} if {@code viewer} may see the poll at all; else the poll's answer (404 for an invited poll). */
  private Route readable(String pollId, Reader viewer, java.util.function.Supplier<Route> inner) {
    return onSuccess(polls.read(pollId, viewer), reply -> reply instanceof Poll.Accepted
        ? inner.get() : complete(toResponse(reply, StatusCodes.OK, null)));
  }

  /** A page of the poll's admissions of one way: {@code ?offset=&limit=} (at most {@link #MAX_LISTED}). */
  private Route admissions(String pollId, Requester organizer, Admissions.Way way) {
    return parameterOptional("offset", offset -> parameterOptional("limit", limit -> {
      int from;
      int count;
      try {
        from = Integer.parseInt(offset.orElse("0"));
        count = Integer.parseInt(limit.orElse(String.valueOf(MAX_LISTED)));
      } catch (NumberFormatException e) {
        from = -1;
        count = -1;
      }
      if (from < 0 || count < 1 || count > MAX_LISTED) {
        return complete(problems.response(StatusCodes.BAD_REQUEST, "invalid-page", "Invalid page",
            "offset must be 0 or more and limit between 1 and " + MAX_LISTED));
      }
      return onSuccess(polls.admissions(pollId, organizer, way, from, count), reply ->
          reply instanceof Poll.AdmissionsListed listed
              ? complete(json(StatusCodes.OK, listed))
              : complete(toResponse(reply, StatusCodes.OK, organizer)));
    }));
  }

  /** Admissions one page lists at most. */
  private static final int MAX_LISTED = 1000;

  /** {@code POST /api/tokens/revocations}: every token of the subject issued until now is refused from now on. */
  private Route revoke(Requester organizer, Requests.Revocation request) {
    return onSuccess(actors.TokenRevocations.revoke(system, organizer, request.subject(), Duration.ofSeconds(5)),
        reply -> {
          if (reply instanceof actors.TokenRevocations.Revoked revoked) {
            return complete(json(StatusCodes.OK, revoked));
          }
          actors.TokenRevocations.Refused refused = (actors.TokenRevocations.Refused) reply;
          return complete(refused.forbidden()
              ? problems.response(StatusCodes.FORBIDDEN, "not-your-tokens", "Forbidden", refused.detail())
              : problems.response(StatusCodes.BAD_REQUEST, "invalid-subject", "Invalid subject", refused.detail()));
        });
  }

  private Route newVoter() {
    return browser.tokenInside(() -> complete(json(StatusCodes.CREATED, tokens.newVoter())));
  }

  /** The voter of this request, within their ballot rate; an invite token opens one poll only. */
  private Route voter(String pollId, Function<Identity.Voter, Route> inner) {
    return auth.voter(voter -> {
      if (voter.invitedTo() != null && !voter.invitedTo().equals(pollId)) {
        return complete(problems.response(StatusCodes.FORBIDDEN, "invite-for-another-poll", "Forbidden",
            "this invite token is for another poll"));
      }
      return throttle.ballots(voter.voterId(), () -> inner.apply(voter));
    });
  }

  private Route castBallot(String pollId, Identity.Voter voter, Requests.Ballot ballot, long received) {
    if (ballot.voterId() != null && !ballot.voterId().equals(voter.voterId())) {
      return complete(problems.response(StatusCodes.FORBIDDEN, "voter-mismatch", "Forbidden",
          "voterId differs from the voter in the token; leave it out or send your own"));
    }
    return reply(BallotOutcome.observe(
        polls.castBallot(pollId, voter.voterId(), ballot.toBallot(), voter.invitedTo(), ballot.seq()), received),
        StatusCodes.OK,
        null);
  }

  private Route retract(String pollId, Identity.Voter voter, java.util.Optional<String> seq) {
    Long number;
    try {
      number = seq.map(Long::valueOf).orElse(null);
    } catch (NumberFormatException e) {
      return complete(problems.response(StatusCodes.BAD_REQUEST, "invalid-ballot", "Invalid ballot",
          "seq must be a whole number"));
    }
    return reply(polls.retractBallot(pollId, voter.voterId(), number), StatusCodes.OK, null);
  }

  /** The invited voters' ids are recorded by the poll first; their tokens are minted once it has them. */
  private Route invite(String pollId, Requester organizer, Requests.Invites request) {
    int count = request.count() == null ? 0 : request.count();
    List<String> voterIds = new ArrayList<>();
    for (int i = 0; i < Math.max(0, Math.min(count, actors.PollDefinition.MAX_INVITES_PER_REQUEST + 1)); i++) {
      voterIds.add(Tokens.newInviteeId());
    }
    return onSuccess(polls.invite(pollId, organizer, voterIds), reply -> {
      if (!(reply instanceof Poll.Accepted)) {
        return complete(toResponse(reply, StatusCodes.OK, organizer));
      }
      List<Tokens.VoterToken> invites = voterIds.stream().map(voterId -> tokens.invitee(voterId, pollId)).toList();
      return recorded(organizer, AuditAction.INVITES_MINTED, pollId, "count=" + invites.size(),
          () -> browser.tokenInside(() -> complete(json(StatusCodes.CREATED, new Invited(pollId, invites)))));
    });
  }

  /** The answer to an invite request: one voter id and token per invited voter. */
  private record Invited(String pollId, List<Tokens.VoterToken> invites) {}

  /**
   * With an {@code Idempotency-Key}, at most one poll per key and organizer: a repeat (after a 503, a lost answer) is
   * answered 201 with the poll the first request created, on any node.
   */
  private Route createPoll(Requester organizer, Requests.CreatePoll request, java.util.Optional<String> key) {
    if (key.isPresent() && !actors.PollId.isAcceptableKey(key.get())) {
      return complete(problems.response(StatusCodes.BAD_REQUEST, "invalid-idempotency-key", "Invalid Idempotency-Key",
          "an Idempotency-Key is 16 to 255 printable ASCII characters, such as a random UUID"));
    }
    PollDraft draft = new PollDraft(
        request.question(),
        request.options(),
        request.kind(),
        request.maxChoices(),
        Boolean.TRUE.equals(request.allowVoteChange()),
        request.closingTime(),
        request.audience(),
        organizer.name(),
        request.ratingScale(),
        request.maxRanked(),
        request.maxWords(),
        request.resultsVisibility());
    CompletionStage<Poll.Reply> created = key.isPresent() ? polls.create(draft, key.get()) : polls.create(draft);
    return onSuccess(created, reply -> {
      HttpResponse response = toResponse(reply, StatusCodes.CREATED, organizer);
      if (reply instanceof Poll.Accepted accepted) {
        HttpResponse located = response.addHeader(Location.create("/api/polls/" + accepted.poll().id()));
        return recorded(organizer, AuditAction.POLL_CREATED, accepted.poll().id(), null, () -> complete(located));
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
        // Drop the body before answering: a connection closed on unread data is reset, and the reset can destroy
        // the 413 before the client reads it. The transport's limit bounds what is drained, a stall ends it.
        CompletionStage<Done> drained = entity.getDataBytes()
            .idleTimeout(Duration.ofSeconds(1))
            .runWith(Sink.ignore(), materializer);
        return onComplete(drained, ignored -> complete(problems.tooLarge(maxBodyBytes)));
      }
      if (entity instanceof HttpEntity.Strict strict) {
        // the usual case: a small body arrives whole with its head, and there is nothing to stream
        return strict.getData().size() > maxBodyBytes
            ? complete(problems.tooLarge(maxBodyBytes))
            : inner.apply(json.read(strict.getData().toArray(), type));
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
        // the body broke off or its chunked framing is invalid: the client's fault, never a server error
        return complete(problems.response(StatusCodes.BAD_REQUEST, "malformed-request", "Malformed request",
            "the request body could not be read: it ended early or its framing is invalid"));
      });
    }));
  }

  /**
   * A privileged request's answer, recorded in the audit log first when the poll accepted it (refusals are not
   * recorded: nothing happened).
   */
  private Route audited(CompletionStage<Poll.Reply> reply, StatusCode success, Requester organizer,
      AuditAction action, String detail) {
    return onSuccess(reply, answer -> answer instanceof Poll.Rejected
        ? complete(toResponse(answer, success, organizer))
        : recorded(organizer, action, pollIdOf(answer), detail, () -> complete(toResponse(answer, success, organizer))));
  }

  /** Records an accepted action with who asked and from where, then answers. */
  private Route recorded(Requester organizer, AuditAction action, String pollId, String detail,
      java.util.function.Supplier<Route> answer) {
    return throttle.clientAddress(address -> onSuccess(audit.record(Actor.of(organizer), action, pollId, address,
        detail), recorded -> answer.get()));
  }

  private static String pollIdOf(Poll.Reply reply) {
    if (reply instanceof Poll.Accepted accepted) {
      return accepted.poll().id();
    } else if (reply instanceof Poll.Deleted deleted) {
      return deleted.pollId();
    }
    return reply instanceof Poll.RoundsListed listed ? listed.poll().id() : null;
  }

  /** {@code reader} is who asked (null: a voter or anyone), and sees the poll as {@link PollView#seenBy} says. */
  private Route reply(CompletionStage<Poll.Reply> reply, StatusCode success, Requester reader) {
    return onSuccess(reply, answer -> complete(toResponse(answer, success, reader)));
  }

  private HttpResponse toResponse(Poll.Reply reply, StatusCode success, Requester reader) {
    if (reply instanceof Poll.Deleted) {
      return HttpResponse.create().withStatus(StatusCodes.NO_CONTENT);
    } else if (reply instanceof Poll.Accepted accepted) {
      return json(success, accepted.poll().seenBy(reader));
    } else if (reply instanceof Poll.RoundsListed listed) {
      Poll.RoundsListed seen = listed.seenBy(reader);
      return json(success, new Rounds(seen.poll().id(), seen.poll().round(), seen.rounds()));
    }
    return problems.of((Poll.Rejected) reply);
  }

  /** The answer to {@code GET /rounds}: the current round's number and every finished round, oldest first. */
  private record Rounds(String pollId, int round, List<PollView.RoundView> rounds) {}

  private HttpResponse json(StatusCode status, Object body) {
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, json.write(body)));
  }
}
