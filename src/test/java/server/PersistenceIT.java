package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import actors.Poll;
import actors.PollDraft;
import actors.PollView;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.persistence.cassandra.query.javadsl.CassandraReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import support.RealServer;

/**
 * The write side on a real Cassandra 5 node (a child JVM, shared with the run's other classes), across full restarts
 * of the actor system: recovery from the journal, and closes scheduled before a restart firing after it.
 */
class PersistenceIT {
  @RegisterExtension static final RealServer servers = new RealServer("persistence_it");
  private LivepollServer server;

  @AfterEach
  void stopServer() {
    if (server != null) {
      servers.stop(server);
      server = null;
    }
  }

  private LivepollServer startServer(String keyspace, String extra) {
    server = servers.start("livepoll.cassandra.keyspace = " + keyspace + "\n" + extra);
    return server;
  }

  private void restartServer(String keyspace, String extra) {
    servers.stop(server);
    server = null;
    startServer(keyspace, extra);
  }

  /**
   * The node's request threads, started by Cassandra after our entry point set the slack, all sleep with it (the
   * kernel's default is 50 µs): what made its idle threads' polling cheap (docs/benchmarks.md, "Timer slack").
   */
  @Test
  void theLocalCassandrasRequestThreadsSleepWithItsTimerSlack() throws Exception {
    servers.cql().execute("SELECT release_version FROM system.local");
    long pid = servers.cassandra().pid();
    java.util.Map<String, String> slackByThread = new java.util.TreeMap<>();
    try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc", Long.toString(pid), "task"))) {
      for (var task : tasks.toList()) {
        String tid = task.getFileName().toString();
        try {
          String name = java.nio.file.Files.readString(task.resolve("comm")).strip();
          if (name.startsWith("Native-Transpor") || name.startsWith("epollEventLoop")
              || name.startsWith("Mutation")) {
            slackByThread.put(name + "/" + tid,
                java.nio.file.Files.readString(java.nio.file.Path.of("/proc", tid, "timerslack_ns")).strip());
          }
        } catch (java.nio.file.NoSuchFileException ended) {
          // the thread ended meanwhile
        }
      }
    }
    assertTrue(!slackByThread.isEmpty(), "no request or event-loop thread found in Cassandra (pid " + pid + ")");
    String expected = Long.toString(storage.LocalCassandra.TIMER_SLACK.toNanos());
    slackByThread.forEach((thread, slack) -> assertEquals(expected, slack, thread + ": " + slackByThread));
  }

  @Test
  void theLocalCassandraRefusesEveryoneWithoutItsGeneratedLogin() throws Exception {
    for (var login : List.of(java.util.Optional.<storage.CassandraCredentials>empty(),
        java.util.Optional.of(new storage.CassandraCredentials("cassandra", "cassandra")),
        java.util.Optional.of(new storage.CassandraCredentials("livepoll", "guessed")))) {
      var builder = com.datastax.oss.driver.api.core.CqlSession.builder();
      var refused = org.junit.jupiter.api.Assertions.assertThrows(
          com.datastax.oss.driver.api.core.AllNodesFailedException.class,
          () -> login.map(l -> l.applyTo(builder)).orElse(builder).addContactPoint(servers.contactPoint())
              // refused means refused: no reconnecting as the server's own driver settings do
              .withConfigLoader(com.datastax.oss.driver.api.core.config.DriverConfigLoader.programmaticBuilder()
                  .withBoolean(com.datastax.oss.driver.api.core.config.DefaultDriverOption.RECONNECT_ON_INIT, false)
                  .build())
              .withLocalDatacenter("datacenter1").build().close(), () -> "logged in as " + login);
      assertTrue(refused.getAllErrors().values().stream().flatMap(List::stream).anyMatch(error ->
              error instanceof com.datastax.oss.driver.api.core.auth.AuthenticationException),
          refused::toString);
    }
    try (var session = servers.cassandra().credentials().applyTo(com.datastax.oss.driver.api.core.CqlSession.builder())
        .addContactPoint(servers.contactPoint()).withLocalDatacenter("datacenter1").build()) {
      assertEquals("livepoll", session.execute("SELECT role FROM system_auth.roles WHERE role = 'livepoll'").one()
          .getString("role"));
      assertEquals(null, session.execute("SELECT role FROM system_auth.roles WHERE role = 'cassandra'").one(),
          "the well-known default superuser is gone");
    }
    assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
        java.nio.file.Files.getPosixFilePermissions(servers.cassandraDirectory())));
  }

  @Test
  void ballotsSurviveARestartOfTheActorSystem() throws Exception {
    startServer("restart_it", "");
    PollView created = accepted(server.polls().create(
        new PollDraft("Which day?", List.of("mon", "tue", "wed"), null, null, true, null, null, "it")));
    String pollId = created.id();
    for (int voter = 0; voter < 35; voter++) {
      accepted(server.polls().castBallot(pollId, "v" + voter, List.of(voter % 3), null));
    }
    accepted(server.polls().castBallot(pollId, "v0", List.of(2), null)); // a change
    PollView before = accepted(server.polls().retractBallot(pollId, "v1"));

    restartServer("restart_it", "");

    PollView after = accepted(server.polls().get(pollId));
    assertEquals(before, after);
    assertEquals(34, after.totalBallots());
    assertEquals(List.of(11L, 11L, 12L), after.options().stream().map(PollView.OptionView::votes).toList());
    // the recovered poll still knows who voted: a re-sent ballot is acknowledged and counted once
    assertEquals(34, accepted(server.polls().castBallot(pollId, "v3", List.of(0), null)).totalBallots());
  }

  @Test
  void pollsOfEveryKindRecoverWithTheirRoundsRevealsAndHiddenWords() throws Exception {
    startServer("kinds_it", "");
    actors.Polls polls = server.polls();
    actors.Requester owner = new actors.Requester("it", false);
    String rating = accepted(polls.create(new PollDraft("How was it?", null, actors.Kind.RATING, null, true, null, null,
        "it", new actors.RatingScale(1, 5, "bad", "great"), null, null, actors.ResultsVisibility.HIDDEN))).id();
    String ranking = accepted(polls.create(new PollDraft("Order?", List.of("a", "b", "c"), actors.Kind.RANKING, null,
        true, null, null, "it", null, 2, null, null))).id();
    String cloud = accepted(polls.create(new PollDraft("One word?", null, actors.Kind.WORDCLOUD, null, true, null,
        null, "it", null, null, 3, null))).id();
    String multiple = accepted(polls.create(new PollDraft("Which?", List.of("x", "y", "z"), actors.Kind.MULTIPLE, null,
        true, null, null, "it"))).id();
    List<java.util.concurrent.CompletableFuture<Poll.Reply>> ballots = new java.util.ArrayList<>();
    for (int voter = 0; voter < 40; voter++) {
      ballots.add(polls.castBallot(rating, "v" + voter, actors.Ballot.ofRating(1 + voter % 5), null)
          .toCompletableFuture());
      ballots.add(polls.castBallot(ranking, "v" + voter,
          actors.Ballot.ofRanking(voter % 2 == 0 ? List.of(2, 0) : List.of(1)), null).toCompletableFuture());
      ballots.add(polls.castBallot(cloud, "v" + voter,
          actors.Ballot.ofWords(List.of("Word " + voter % 7, voter % 3 == 0 ? "RUDE" : "nice")), null)
          .toCompletableFuture());
      ballots.add(polls.castBallot(multiple, "v" + voter, List.of(voter % 3, (voter + 1) % 3), null)
          .toCompletableFuture());
    }
    ballots.forEach(ballot -> assertInstanceOf(Poll.Accepted.class, ballot.join()));
    accepted(polls.nextRound(rating, owner));
    accepted(polls.castBallot(rating, "v0", actors.Ballot.ofRating(5), null));
    accepted(polls.reveal(rating, owner));
    accepted(polls.hideWord(cloud, owner, "rude"));
    accepted(polls.retractBallot(cloud, "v1"));
    accepted(polls.castBallot(ranking, "v1", actors.Ballot.ofRanking(List.of(0, 1)), null));
    accepted(polls.nextRound(multiple, owner));
    accepted(polls.nextRound(multiple, owner));
    List<String> ids = List.of(rating, ranking, cloud, multiple);
    List<PollView> before = new java.util.ArrayList<>();
    for (String id : ids) {
      before.add(accepted(polls.get(id)));
    }
    List<Poll.Reply> roundsBefore = ids.stream().map(id -> polls.rounds(id).toCompletableFuture().join()).toList();

    restartServer("kinds_it", "");

    for (int i = 0; i < ids.size(); i++) {
      assertEquals(before.get(i), accepted(server.polls().get(ids.get(i))), "poll " + i);
      assertEquals(roundsBefore.get(i), server.polls().rounds(ids.get(i)).toCompletableFuture().join(), "rounds " + i);
    }
    assertEquals(2, before.get(0).round());
    assertEquals(3, before.get(3).round());
    assertEquals(List.of(new PollView.WordCount("rude", 14)), before.get(2).hiddenWords());
    // recovered voters are recognised in every kind: identical re-sends write nothing
    PollView again = accepted(server.polls().castBallot(cloud, "v2",
        actors.Ballot.ofWords(List.of("  Word   2 ", "nice")), null));
    assertEquals(before.get(2).version(), again.version());
    assertEquals(before.get(1).version(), accepted(server.polls().castBallot(ranking, "v1",
        actors.Ballot.ofRanking(List.of(0, 1)), null)).version());
  }

  @Test
  void aCloseScheduledBeforeARestartFiresAfterItWithoutAnyoneTouchingThePoll() throws Exception {
    startServer("schedule_it", "");
    Instant closesAt = Instant.now().plusSeconds(15).truncatedTo(ChronoUnit.MILLIS);
    String pollId = accepted(server.polls().create(
        new PollDraft("Close me later", List.of("yes", "no"), null, null, false, closesAt, null, "it"))).id();
    accepted(server.polls().castBallot(pollId, "early-voter", List.of(0), null));

    servers.stop(server);
    server = null;
    assertTrue(Instant.now().isBefore(closesAt), "the first node must be gone before the poll is due to close");
    startServer("schedule_it", "");

    // Only the journal is read: no command reaches the poll, so the close must come from the schedule itself.
    Poll.PollClosed closed = awaitEvent(pollId, Poll.PollClosed.class, closesAt.plusSeconds(30));
    assertEquals(closesAt, closed.at());
    System.out.printf("scheduled close persisted %d ms after closesAt%n",
        Duration.between(closesAt, Instant.now()).toMillis());

    PollView view = accepted(server.polls().get(pollId));
    assertEquals(PollView.CLOSED, view.status());
    assertEquals(closesAt, view.closedAt());
    Poll.Reply late = server.polls().castBallot(pollId, "late-voter", List.of(1), null).toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    assertEquals(Poll.Rejection.POLL_CLOSED, assertInstanceOf(Poll.Rejected.class, late).reason());
  }

  private <E> E awaitEvent(String pollId, Class<E> type, Instant deadline) throws Exception {
    CassandraReadJournal journal = PersistenceQuery.get(server.system())
        .getReadJournalFor(CassandraReadJournal.class, CassandraReadJournal.Identifier());
    while (Instant.now().isBefore(deadline)) {
      List<EventEnvelope> events = journal.currentEventsByPersistenceId("Poll|" + pollId, 0, Long.MAX_VALUE)
          .runWith(Sink.seq(), server.system())
          .toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
      for (EventEnvelope envelope : events) {
        if (type.isInstance(envelope.event())) {
          return type.cast(envelope.event());
        }
      }
      Thread.sleep(250);
    }
    throw new AssertionError("no " + type.getSimpleName() + " for poll " + pollId + " by " + deadline);
  }

  private static PollView accepted(java.util.concurrent.CompletionStage<Poll.Reply> reply) throws Exception {
    Poll.Reply answer = reply.toCompletableFuture().get(15, TimeUnit.SECONDS);
    return assertInstanceOf(Poll.Accepted.class, answer, () -> "expected Accepted, got " + answer).poll();
  }
}
