package http;

import static support.ApiAssertions.assertProblem;
import static support.ApiAssertions.assertJson;
import static support.Views.votes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import auth.ForgedTokens;
import auth.Identity;
import auth.Tokens;
import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.JWTClaimsSet;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import server.LivepollServer;
import support.ApiClient;
import support.TestConfig;

/**
 * Who may do what over HTTP: voter registration, organizer-only and owner-only endpoints, invited polls, and every
 * way a token is refused. Against a real single-node server on the in-memory journal.
 */
class AuthRoutesTest {
  private static final Tokens TOKENS = TestConfig.tokens();
  private static final byte[] SECRET = TestConfig.AUTH_SECRET.getBytes(StandardCharsets.UTF_8);
  private static final byte[] OTHER_KEY = "another-key-of-at-least-32-bytes!!".getBytes(StandardCharsets.UTF_8);
  private static final String UNKNOWN_ID = "abcdefabcdef";
  private static final String POLL = "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"],\"allowVoteChange\":true}";
  private static final String INVITED_POLL =
      "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"],\"allowVoteChange\":true,\"audience\":\"invited\"}";
  private static final String BALLOT = "{\"choices\":[0]}";

  private static LivepollServer server;
  private static ApiClient api;
  private static ApiClient alice;
  private static ApiClient bob;
  private static ApiClient admin;

  @BeforeAll
  static void startServer() {
    server = LivepollServer.startNode(TestConfig.inMemory(""));
    api = new ApiClient(server.httpPort());
    alice = api.as(TOKENS.organizer("alice", false));
    bob = api.as(TOKENS.organizer("bob", false));
    admin = api.as(TOKENS.organizer("root", true));
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.stop();
    }
  }

  // ----------------------------------------------------------------------------------------------------- voters

  @Test
  void registeringAVoterNeedsNoCredentialsAndReturnsAnIdWithItsToken() throws Exception {
    ApiClient.Reply reply = api.post("/api/voters", "");
    JsonNode voter = assertJson(reply, 201);
    String voterId = voter.get("voterId").asText();
    assertTrue(voterId.matches("[A-Za-z0-9._:-]{1,128}"), "voterId: " + voterId);
    assertEquals(new Identity.Voter(voterId, null), TOKENS.verify(voter.get("token").asText()),
        "the token proves exactly that voter, for no poll in particular");

    JsonNode another = assertJson(api.post("/api/voters", ""), 201);
    assertNotEquals(voterId, another.get("voterId").asText(), "every registration is a new voter");
  }

  @Test
  void registeredVoterTokenCastsABallotAsThatVoter() {
    String id = newPoll(alice, POLL);
    JsonNode voter = assertJson(api.post("/api/voters", ""), 201);
    ApiClient client = api.as(voter.get("token").asText());
    String body = "{\"voterId\":\"" + voter.get("voterId").asText() + "\",\"choices\":[1]}";
    assertEquals(List.of(0L, 1L), votes(assertJson(client.post("/api/polls/" + id + "/ballots", body), 200)));
  }

  // ------------------------------------------------------------------------------------------------- create poll

  @Test
  void createPollWithoutTokenIs401WithBearerChallenge() {
    assertUnauthorized(api.post("/api/polls", POLL), "missing-token");
  }

  @Test
  void createPollIsOwnedByTheTokensOrganizer() {
    JsonNode view = assertJson(alice.post("/api/polls", POLL), 201);
    assertEquals("alice", view.get("owner").asText());
    assertEquals("public", view.get("audience").asText());
    assertEquals(view, assertJson(alice.get("/api/polls/" + view.get("id").asText()), 200));
    JsonNode anonymous = assertJson(api.get("/api/polls/" + view.get("id").asText()), 200);
    assertFalse(anonymous.has("owner"), () -> "an anonymous view names the owner: " + anonymous);
    assertFalse(anonymous.has("votersJoined"), () -> "an anonymous view counts sign-ups: " + anonymous);
  }

  @Test
  void createPollWithAdminTokenIsOwnedByTheAdmin() {
    assertEquals("root", assertJson(admin.post("/api/polls", POLL), 201).get("owner").asText());
  }

  @Test
  void ownerCannotBeChosenInTheBody() {
    String body = "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"],\"owner\":\"bob\"}";
    assertProblem(alice.post("/api/polls", body), 400, "malformed-request");
  }

  @Test
  void createPollWithVoterTokenIs403OrganizerTokenRequired() {
    assertProblem(asNewVoter().post("/api/polls", POLL), 403, "organizer-token-required");
    String invitedId = newPoll(alice, INVITED_POLL);
    assertProblem(api.as(invite(alice, invitedId)).post("/api/polls", POLL), 403, "organizer-token-required");
  }

  @ParameterizedTest
  @ValueSource(strings = {"public", "invited"})
  void audienceIsTakenFromTheBody(String audience) {
    String body = "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"],\"audience\":\"" + audience + "\"}";
    assertEquals(audience, assertJson(alice.post("/api/polls", body), 201).get("audience").asText());
  }

  // ------------------------------------------------------------------------------------------------------ close

  @Test
  void ownerClosesTheirPoll() {
    String id = newPoll(alice, POLL);
    assertEquals("closed", assertJson(alice.post("/api/polls/" + id + "/close", ""), 200).get("status").asText());
  }

  @Test
  void adminClosesAnyPoll() {
    String id = newPoll(alice, POLL);
    assertEquals("closed", assertJson(admin.post("/api/polls/" + id + "/close", ""), 200).get("status").asText());
  }

  @Test
  void otherOrganizerClosingIs403NotOwnerAndThePollStaysOpen() {
    String id = newPoll(alice, POLL);
    assertProblem(bob.post("/api/polls/" + id + "/close", ""), 403, "not-owner");
    assertEquals("open", view(id).get("status").asText());
    // Nor once it is closed: the answer does not depend on the poll's state.
    assertJson(alice.post("/api/polls/" + id + "/close", ""), 200);
    assertProblem(bob.post("/api/polls/" + id + "/close", ""), 403, "not-owner");
  }

  @Test
  void closeWithoutTokenIs401WithBearerChallenge() {
    String id = newPoll(alice, POLL);
    assertUnauthorized(api.post("/api/polls/" + id + "/close", ""), "missing-token");
    assertEquals("open", view(id).get("status").asText());
  }

  @Test
  void closeWithVoterTokenIs403OrganizerTokenRequired() {
    String id = newPoll(alice, POLL);
    assertProblem(asNewVoter().post("/api/polls/" + id + "/close", ""), 403, "organizer-token-required");
    assertEquals("open", view(id).get("status").asText());
  }

  // ---------------------------------------------------------------------------------------------------- invites

  @Test
  void ownerInvitesVotersEachWithATokenForThisPollOnly() throws Exception {
    String id = newPoll(alice, INVITED_POLL);
    JsonNode reply = assertJson(alice.post("/api/polls/" + id + "/invites", "{\"count\":3}"), 201);
    assertEquals(id, reply.get("pollId").asText());
    assertEquals(3, reply.get("invites").size());
    Set<String> voterIds = new HashSet<>();
    for (JsonNode invite : reply.get("invites")) {
      String voterId = invite.get("voterId").asText();
      assertTrue(voterId.matches("[A-Za-z0-9._:-]{1,128}"), "voterId: " + voterId);
      assertEquals(new Identity.Voter(voterId, id), TOKENS.verify(invite.get("token").asText()));
      voterIds.add(voterId);
    }
    assertEquals(3, voterIds.size(), "every invite is a different voter: " + voterIds);
  }

  @Test
  void adminInvitesToAnyInvitedPoll() {
    String id = newPoll(alice, INVITED_POLL);
    assertEquals(2, assertJson(admin.post("/api/polls/" + id + "/invites", "{\"count\":2}"), 201)
        .get("invites").size());
  }

  @Test
  void otherOrganizerInvitingIs403NotOwner() {
    String id = newPoll(alice, INVITED_POLL);
    assertProblem(bob.post("/api/polls/" + id + "/invites", "{\"count\":1}"), 403, "not-owner");
  }

  @Test
  void invitesToAPublicPollAre400InvalidInvite() {
    String id = newPoll(alice, POLL);
    assertProblem(alice.post("/api/polls/" + id + "/invites", "{\"count\":1}"), 400, "invalid-invite");
  }

  @ParameterizedTest
  @ValueSource(strings = {"{\"count\":0}", "{\"count\":-1}", "{\"count\":1001}", "{\"count\":2147483647}",
      "{\"count\":-2147483648}", "{}", "{\"count\":null}"})
  void inviteCountOutside1To1000Is400InvalidInvite(String body) {
    String id = newPoll(alice, INVITED_POLL);
    assertProblem(alice.post("/api/polls/" + id + "/invites", body), 400, "invalid-invite");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 1000})
  void inviteCountAtTheBoundsIsAccepted(int count) {
    String id = newPoll(alice, INVITED_POLL);
    JsonNode invites = assertJson(alice.post("/api/polls/" + id + "/invites", "{\"count\":" + count + "}"), 201)
        .get("invites");
    assertEquals(count, invites.size());
    Set<String> voterIds = new HashSet<>();
    invites.forEach(invite -> voterIds.add(invite.get("voterId").asText()));
    assertEquals(count, voterIds.size(), "every invite is a different voter");
  }

  @Test
  void invitesWithVoterTokenAre403OrganizerTokenRequired() {
    String id = newPoll(alice, INVITED_POLL);
    assertProblem(asNewVoter().post("/api/polls/" + id + "/invites", "{\"count\":1}"), 403,
        "organizer-token-required");
    assertProblem(api.as(invite(alice, id)).post("/api/polls/" + id + "/invites", "{\"count\":1}"), 403,
        "organizer-token-required");
  }

  @Test
  void invitesWithoutTokenAre401WithBearerChallenge() {
    String id = newPoll(alice, INVITED_POLL);
    assertUnauthorized(api.post("/api/polls/" + id + "/invites", "{\"count\":1}"), "missing-token");
  }

  // ---------------------------------------------------------------------------------------------------- ballots

  @Test
  void voterTokenCastsABallot() {
    String id = newPoll(alice, POLL);
    assertEquals(List.of(1L, 0L), votes(assertJson(asNewVoter().post("/api/polls/" + id + "/ballots", BALLOT), 200)));
  }

  @Test
  void bodyVoterIdEqualToTheTokensIsAccepted() {
    String id = newPoll(alice, POLL);
    Tokens.VoterToken voter = TOKENS.newVoter();
    String body = "{\"voterId\":\"" + voter.voterId() + "\",\"choices\":[0]}";
    assertEquals(1, assertJson(api.as(voter.token()).post("/api/polls/" + id + "/ballots", body), 200)
        .get("totalBallots").asLong());
  }

  @Test
  void bodyVoterIdOfAnotherVoterIs403VoterMismatchAndNotCounted() {
    String id = newPoll(alice, POLL);
    Tokens.VoterToken victim = TOKENS.newVoter();
    String body = "{\"voterId\":\"" + victim.voterId() + "\",\"choices\":[0]}";
    assertProblem(asNewVoter().post("/api/polls/" + id + "/ballots", body), 403, "voter-mismatch");
    assertEquals(0, view(id).get("totalBallots").asLong());
    // The victim's own ballot is still theirs to cast.
    assertJson(api.as(victim.token()).post("/api/polls/" + id + "/ballots", BALLOT), 200);
  }

  @Test
  void inviteTokenCastsABallotOnItsPoll() {
    String id = newPoll(alice, INVITED_POLL);
    ApiClient invitee = api.as(invite(alice, id));
    assertEquals(List.of(1L, 0L), votes(assertJson(invitee.post("/api/polls/" + id + "/ballots", BALLOT), 200)));
    // The invite is one voter: a different second ballot is a change, not a second vote.
    JsonNode changed = assertJson(invitee.post("/api/polls/" + id + "/ballots", "{\"choices\":[1]}"), 200);
    assertEquals(List.of(0L, 1L), votes(changed));
  }

  @Test
  void inviteTokenForAnotherPollIs403() {
    String invited = newPoll(alice, INVITED_POLL);
    String otherInvited = newPoll(alice, INVITED_POLL);
    String open = newPoll(alice, POLL);
    ApiClient invitee = api.as(invite(alice, otherInvited));
    assertProblem(invitee.post("/api/polls/" + invited + "/ballots", BALLOT), 403, "invite-for-another-poll");
    assertProblem(invitee.post("/api/polls/" + open + "/ballots", BALLOT), 403, "invite-for-another-poll");
    assertProblem(invitee.delete("/api/polls/" + invited + "/ballots/me"), 403, "invite-for-another-poll");
    assertEquals(0, view(invited).get("totalBallots").asLong());
    assertEquals(0, view(open).get("totalBallots").asLong());
  }

  @Test
  void invitedPollRefusesPublicVoterTokensWith403NotInvited() {
    String id = newPoll(alice, INVITED_POLL);
    assertProblem(asNewVoter().post("/api/polls/" + id + "/ballots", BALLOT), 403, "not-invited");
    assertEquals(0, view(id).get("totalBallots").asLong());
  }

  @Test
  void ballotWithOrganizerTokenIs403VoterTokenRequired() {
    String id = newPoll(alice, POLL);
    assertProblem(alice.post("/api/polls/" + id + "/ballots", BALLOT), 403, "voter-token-required");
    assertProblem(admin.post("/api/polls/" + id + "/ballots", BALLOT), 403, "voter-token-required");
    assertEquals(0, view(id).get("totalBallots").asLong());
  }

  @Test
  void ballotWithoutTokenIs401WithBearerChallenge() {
    String id = newPoll(alice, POLL);
    assertUnauthorized(api.post("/api/polls/" + id + "/ballots", BALLOT), "missing-token");
    assertEquals(0, view(id).get("totalBallots").asLong());
  }

  // ------------------------------------------------------------------------------------------------- retraction

  @Test
  void deleteMeRetractsTheTokensVoterBallotOnly() {
    String id = newPoll(alice, POLL);
    ApiClient first = asNewVoter();
    ApiClient second = asNewVoter();
    assertJson(first.post("/api/polls/" + id + "/ballots", "{\"choices\":[0]}"), 200);
    assertJson(second.post("/api/polls/" + id + "/ballots", "{\"choices\":[1]}"), 200);

    JsonNode retracted = assertJson(first.delete("/api/polls/" + id + "/ballots/me"), 200);
    assertEquals(List.of(0L, 1L), votes(retracted));
    assertProblem(first.delete("/api/polls/" + id + "/ballots/me"), 404, "no-such-ballot");
    assertEquals(List.of(0L, 1L), votes(view(id)));
  }

  @Test
  void inviteTokenRetractsOnItsPoll() {
    String id = newPoll(alice, INVITED_POLL);
    ApiClient invitee = api.as(invite(alice, id));
    assertJson(invitee.post("/api/polls/" + id + "/ballots", BALLOT), 200);
    assertEquals(0, assertJson(invitee.delete("/api/polls/" + id + "/ballots/me"), 200).get("totalBallots").asLong());
  }

  @Test
  void deletingABallotByVoterIdIsGone() {
    String id = newPoll(alice, POLL);
    Tokens.VoterToken voter = TOKENS.newVoter();
    assertJson(api.as(voter.token()).post("/api/polls/" + id + "/ballots", BALLOT), 200);
    for (ApiClient client : List.of(api.as(voter.token()), alice, admin, asNewVoter(), api)) {
      assertProblem(client.delete("/api/polls/" + id + "/ballots/" + voter.voterId()), 404, "not-found");
    }
    assertEquals(1, view(id).get("totalBallots").asLong());
  }

  @Test
  void deleteMeWithOrganizerTokenIs403VoterTokenRequired() {
    String id = newPoll(alice, POLL);
    assertProblem(alice.delete("/api/polls/" + id + "/ballots/me"), 403, "voter-token-required");
  }

  @Test
  void deleteMeWithoutTokenIs401WithBearerChallenge() {
    String id = newPoll(alice, POLL);
    assertUnauthorized(api.delete("/api/polls/" + id + "/ballots/me"), "missing-token");
  }

  // ---------------------------------------------------------------------------------------- the Authorization header

  @ParameterizedTest
  @ValueSource(strings = {"Basic YWxpY2U6c2VjcmV0", "Bearer", "Bearer ", "Token abc", "abc"})
  void authorizationWithoutABearerTokenIs401MissingToken(String header) {
    ApiClient.Reply reply = api.raw(ApiClient.head("POST /api/polls/" + UNKNOWN_ID + "/close HTTP/1.1",
        "Content-Length: 0", "Authorization: " + header));
    assertUnauthorized(reply, "missing-token");
  }

  /** RFC 6750 auth schemes are case-insensitive. */
  @ParameterizedTest
  @ValueSource(strings = {"bearer", "BEARER", "Bearer"})
  void bearerSchemeIsCaseInsensitive(String scheme) {
    String id = newPoll(alice, POLL);
    ApiClient.Reply reply = api.raw(ApiClient.head("POST /api/polls/" + id + "/close HTTP/1.1",
        "Content-Length: 0", "Authorization: " + scheme + " " + TOKENS.organizer("alice", false)));
    assertEquals(200, reply.status(), () -> "unexpected reply: " + reply);
  }

  // ------------------------------------------------------------------------------------------- rejected tokens

  /** The forging itself is sound: a token built like the refused ones, but right, is accepted. */
  @Test
  void forgedTokenWithTheServersKeyAndRightClaimsIsAccepted() {
    assertAcceptedEverywhere(
        ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims("forger", "organizer").build()),
        ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims("forged-voter", "voter").build()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"not-a-jwt", "a.b.c", "a.b", "a.b.c.d.e", "...", "eyJhbGciOiJIUzI1NiJ9.e30.", "eyJ.eyJ.eyJ", "%%%"})
  void tokenThatIsNotAJwtIs401InvalidToken(String token) {
    assertRefusedEverywhere(token, token);
  }

  @Test
  void tokenSignedWithAnotherKeyIs401InvalidToken() {
    assertRefusedEverywhere(
        ForgedTokens.hmac("HS256", OTHER_KEY, ForgedTokens.claims("alice", "organizer").build()),
        ForgedTokens.hmac("HS256", OTHER_KEY, ForgedTokens.claims("v-other-key", "voter").build()));
  }

  @Test
  void tokenWithTamperedClaimsIs401InvalidToken() {
    String organizer = TOKENS.organizer("bob", false);
    String voter = TOKENS.newVoter().token();
    assertRefusedEverywhere(
        ForgedTokens.withClaims(organizer, ForgedTokens.claims("bob", "admin").build()),
        ForgedTokens.withClaims(voter, ForgedTokens.claims("someone-else", "voter").build()));
  }

  @Test
  void expiredTokenIs401InvalidToken() {
    Tokens twoDaysAgo = new Tokens(SECRET, new Tokens.Lifetimes(Duration.ofHours(1), Duration.ofHours(1),
        Duration.ofHours(1)), Clock.fixed(Instant.now().minus(2, ChronoUnit.DAYS), ZoneOffset.UTC));
    String id = newPoll(alice, INVITED_POLL);
    assertRefusedEverywhere(twoDaysAgo.organizer("alice", false), twoDaysAgo.newVoter().token());
    assertRefusedEverywhere(twoDaysAgo.organizer("root", true), twoDaysAgo.newInvitee(id).token());
  }

  @Test
  void unsignedAlgNoneTokenIs401InvalidToken() {
    assertRefusedEverywhere(
        ForgedTokens.unsigned(ForgedTokens.claims("alice", "admin").build()),
        ForgedTokens.unsigned(ForgedTokens.claims("v-unsigned", "voter").build()));
  }

  /** Correctly signed with the server's own secret, but not with HS256: refused all the same. */
  @ParameterizedTest
  @ValueSource(strings = {"HS384", "HS512"})
  void tokenWithAnotherAlgorithmIs401InvalidToken(String alg) {
    assertRefusedEverywhere(
        ForgedTokens.hmac(alg, SECRET, ForgedTokens.claims("alice", "organizer").build()),
        ForgedTokens.hmac(alg, SECRET, ForgedTokens.claims("v-" + alg, "voter").build()));
  }

  /**
   * The test server's 46-byte secret is too short for nimbus to verify HS384/HS512 at all; with a 64-byte secret it
   * would, so only the server's own algorithm check stands between such a token and the API.
   */
  @Test
  void anotherAlgorithmIsRefusedEvenWithAKeyLongEnoughForIt() {
    String longSecret = "0123456789abcdef".repeat(4);
    byte[] key = longSecret.getBytes(StandardCharsets.UTF_8);
    LivepollServer other = LivepollServer.startNode(
        TestConfig.inMemory("livepoll.auth.secret = \"" + longSecret + "\""));
    try {
      ApiClient client = new ApiClient(other.httpPort());
      ApiClient owner = client.as(ForgedTokens.hmac("HS256", key, ForgedTokens.claims("alice", "organizer").build()));
      String id = assertJson(owner.post("/api/polls", POLL), 201).get("id").asText();
      for (String alg : List.of("HS384", "HS512")) {
        ApiClient organizer = client.as(ForgedTokens.hmac(alg, key, ForgedTokens.claims("alice", "admin").build()));
        ApiClient voter = client.as(ForgedTokens.hmac(alg, key, ForgedTokens.claims("v-" + alg, "voter").build()));
        assertUnauthorized(organizer.post("/api/polls", POLL), "invalid-token");
        assertUnauthorized(organizer.post("/api/polls/" + id + "/close", ""), "invalid-token");
        assertUnauthorized(voter.post("/api/polls/" + id + "/ballots", BALLOT), "invalid-token");
      }
      JsonNode view = assertJson(client.get("/api/polls/" + id), 200);
      assertEquals("open", view.get("status").asText());
      assertEquals(0, view.get("totalBallots").asLong());
    } finally {
      other.stop();
    }
  }

  @Test
  void tokenFromAnotherIssuerIs401InvalidToken() {
    assertRefusedEverywhere(
        ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims("alice", "organizer").issuer("elsewhere").build()),
        ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims("v-issuer", "voter").issuer("elsewhere").build()));
    assertRefusedEverywhere(
        ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims("alice", "organizer").issuer(null).build()),
        ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims("v-issuer", "voter").issuer(null).build()));
  }

  @Test
  void tokenWithoutKindIs401InvalidToken() {
    assertRefusedEverywhere(
        ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims("alice", null).build()),
        ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims("v-no-kind", null).build()));
  }

  @ParameterizedTest
  @ValueSource(strings = {"superuser", "ADMIN", "Voter", "", "organizer "})
  void tokenWithUnknownKindIs401InvalidToken(String kind) {
    assertRefusedEverywhere(
        ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims("alice", kind).build()),
        ForgedTokens.hmac("HS256", SECRET, ForgedTokens.claims("v-bad-kind", kind).build()));
  }

  @Test
  void tokenWithANonStringKindIs401InvalidToken() {
    JWTClaimsSet numeric = ForgedTokens.claims("alice", null).claim("kind", 1).build();
    JWTClaimsSet list = ForgedTokens.claims("alice", null).claim("kind", List.of("admin")).build();
    assertRefusedEverywhere(ForgedTokens.hmac("HS256", SECRET, numeric), ForgedTokens.hmac("HS256", SECRET, list));
  }

  // ---------------------------------------------------------------------------------------------------- helpers

  /**
   * {@code organizerToken} and {@code voterToken} are each refused as 401 invalid-token on every endpoint their kind
   * would open, and nothing they asked for happened.
   */
  private static void assertRefusedEverywhere(String organizerToken, String voterToken) {
    String open = newPoll(alice, POLL);
    String invited = newPoll(alice, INVITED_POLL);
    assertJson(asNewVoter().post("/api/polls/" + open + "/ballots", BALLOT), 200);
    ApiClient organizer = api.as(organizerToken);
    ApiClient voter = api.as(voterToken);
    List<ApiClient.Reply> replies = new ArrayList<>(List.of(
        organizer.post("/api/polls", POLL),
        organizer.post("/api/polls/" + open + "/close", ""),
        organizer.post("/api/polls/" + invited + "/invites", "{\"count\":1}"),
        voter.post("/api/polls/" + open + "/ballots", BALLOT),
        voter.post("/api/polls/" + invited + "/ballots", BALLOT),
        voter.delete("/api/polls/" + open + "/ballots/me")));
    for (ApiClient.Reply reply : replies) {
      assertUnauthorized(reply, "invalid-token");
      assertTrue(reply.header("www-authenticate").orElseThrow().contains("invalid_token"), reply::toString);
    }
    JsonNode openView = view(open);
    assertEquals("open", openView.get("status").asText());
    assertEquals(1, openView.get("totalBallots").asLong());
    assertEquals(0, view(invited).get("totalBallots").asLong());
  }

  /** The control for {@link #assertRefusedEverywhere}: the same requests, succeeding. */
  private static void assertAcceptedEverywhere(String organizerToken, String voterToken) {
    ApiClient organizer = api.as(organizerToken);
    ApiClient voter = api.as(voterToken);
    String open = newPoll(organizer, POLL);
    String invited = newPoll(organizer, INVITED_POLL);
    assertJson(organizer.post("/api/polls/" + invited + "/invites", "{\"count\":1}"), 201);
    assertJson(voter.post("/api/polls/" + open + "/ballots", BALLOT), 200);
    assertJson(voter.delete("/api/polls/" + open + "/ballots/me"), 200);
    assertJson(organizer.post("/api/polls/" + open + "/close", ""), 200);
  }

  /** A 401 problem of this type that names the Bearer scheme in its challenge. */
  private static void assertUnauthorized(ApiClient.Reply reply, String type) {
    assertProblem(reply, 401, type);
    String challenge = reply.header("www-authenticate").orElseThrow(() -> new AssertionError("no challenge: " + reply));
    assertTrue(challenge.startsWith("Bearer"), () -> "challenge: " + challenge);
  }

  private static ApiClient asNewVoter() {
    return api.as(assertJson(api.post("/api/voters", ""), 201).get("token").asText());
  }

  /** A fresh invite token to poll {@code id}, asked of the poll's owner. */
  private static String invite(ApiClient owner, String id) {
    return assertJson(owner.post("/api/polls/" + id + "/invites", "{\"count\":1}"), 201)
        .get("invites").get(0).get("token").asText();
  }

  private static String newPoll(ApiClient organizer, String body) {
    return assertJson(organizer.post("/api/polls", body), 201).get("id").asText();
  }

  /** The poll as an admin sees it: an invited poll is unknown to anyone else. */
  private static JsonNode view(String id) {
    return assertJson(admin.get("/api/polls/" + id), 200);
  }

}
