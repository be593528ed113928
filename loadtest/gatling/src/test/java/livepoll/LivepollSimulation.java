package livepoll;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.rampUsers;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;
import static io.gatling.javaapi.http.HttpDsl.ws;

import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A live event against a running server: voters who vote over REST, voters who vote on their live socket, and
 * watchers who hold a live socket for the whole run, spread over {@code livepoll.polls} polls that the run opens
 * with the organizer token it is given. Every ballot is a new voter's (signed up through {@code POST /api/voters}),
 * so the server's per-address sign-up and request limits must allow the rates asked for (docs/benchmarks.md).
 *
 * <p>System properties (all optional but the token): {@code livepoll.url} (http://127.0.0.1:8080),
 * {@code livepoll.organizerToken}, {@code livepoll.polls} (10), {@code livepoll.restVotersPerSecond} (50),
 * {@code livepoll.socketVotersPerSecond} (20), {@code livepoll.watchers} (200), {@code livepoll.seconds} (60).
 * The run fails (Gatling's assertions) when more than 1% of requests fail.
 */
public class LivepollSimulation extends Simulation {

  private final String url = System.getProperty("livepoll.url", "http://127.0.0.1:8080");
  private final int seconds = Integer.getInteger("livepoll.seconds", 60);
  private final List<String> polls = PollSetup.open(url, System.getProperty("livepoll.organizerToken"),
      Integer.getInteger("livepoll.polls", 10));

  private final HttpProtocolBuilder protocol = http.baseUrl(url)
      .wsBaseUrl(url.replaceFirst("^http", "ws"))
      .acceptHeader("application/json")
      .contentTypeHeader("application/json")
      .userAgentHeader("livepoll-gatling");

  /** A random poll of the run and a choice among its three options, for each virtual user. */
  private Iterator<Map<String, Object>> pollsAndChoices() {
    return Stream.generate(() -> Map.<String, Object>of(
        "pollId", polls.get(ThreadLocalRandom.current().nextInt(polls.size())),
        "choice", ThreadLocalRandom.current().nextInt(3))).iterator();
  }

  private static final ChainBuilder SIGN_UP = io.gatling.javaapi.core.CoreDsl.exec(http("sign up")
      .post("/api/voters")
      .check(status().is(201), jsonPath("$.token").saveAs("token")));

  private final ScenarioBuilder restVoters = scenario("REST voters")
      .feed(pollsAndChoices())
      .exec(SIGN_UP)
      .exec(http("ballot (REST)")
          .post("/api/polls/#{pollId}/ballots")
          .header("Authorization", "Bearer #{token}")
          .body(StringBody("{\"choices\":[#{choice}]}"))
          .check(status().is(200)));

  private final ScenarioBuilder socketVoters = scenario("WebSocket voters")
      .feed(pollsAndChoices())
      .exec(SIGN_UP)
      .exec(ws("open (voter)").connect("/api/polls/#{pollId}/live?token=#{token}")
          .await(10).on(ws.checkTextMessage("snapshot").check(jsonPath("$.type").is("snapshot"))))
      .exec(ws("ballot (socket)").sendText("{\"type\":\"ballot\",\"choices\":[#{choice}],\"ref\":\"b1\"}")
          .await(10).on(ws.checkTextMessage("ack")
              .matching(jsonPath("$.ref").is("b1"))
              .check(jsonPath("$.type").is("ack"))))
      .exec(ws("close (voter)").close());

  private final ScenarioBuilder watchers = scenario("Watchers")
      .feed(pollsAndChoices())
      .exec(ws("open (watcher)").connect("/api/polls/#{pollId}/live")
          .await(10).on(ws.checkTextMessage("snapshot").check(jsonPath("$.type").is("snapshot"))))
      .pause(Duration.ofSeconds(seconds))
      .exec(ws("close (watcher)").close());

  {
    setUp(
        watchers.injectOpen(rampUsers(Integer.getInteger("livepoll.watchers", 200)).during(Duration.ofSeconds(10))),
        restVoters.injectOpen(constantUsersPerSec(Integer.getInteger("livepoll.restVotersPerSecond", 50))
            .during(Duration.ofSeconds(seconds))),
        socketVoters.injectOpen(constantUsersPerSec(Integer.getInteger("livepoll.socketVotersPerSecond", 20))
            .during(Duration.ofSeconds(seconds))))
        .protocols(protocol)
        .assertions(global().failedRequests().percent().lte(1.0));
  }
}
