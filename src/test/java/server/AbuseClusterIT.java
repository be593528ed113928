package server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import actors.PollEntity;
import auth.Tokens;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingQuery;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import support.RealServer;
import support.ApiClient;
import support.FreePorts;
import support.TestConfig;

/**
 * The abuse controls that need a real Cassandra and more than one node (both in this JVM): unknown poll ids wake no
 * entity and read no journal on any node, a poll created on one node is found from the other, revoked tokens are
 * refused on every node and after a restart, and the open-poll quota counted in the read side.
 */
class AbuseClusterIT {
  private static final Tokens TOKENS = TestConfig.tokens();
  private static final String KEYSPACE = "abuse_cluster_it";
  private static final String POLL = "{\"question\":\"Q?\",\"options\":[\"a\",\"b\"]}";
  private static final int MAX_OPEN = 3;
  private static final int RANDOM_IDS = 200;

  @RegisterExtension static final RealServer servers = new RealServer(KEYSPACE);
  private static LivepollServer nodeA;
  private static LivepollServer nodeB;
  private static int remoteA;
  private static CqlSession cql;

  @BeforeAll
  static void startCluster() throws Exception {
    remoteA = FreePorts.next();
    nodeA = startNode(remoteA, "");
    nodeB = startNode(FreePorts.next(), "livepoll.cluster.seed-nodes = \"127.0.0.1:" + remoteA + "\"");
    awaitUp(nodeA, 2);
    awaitUp(nodeB, 2);
    cql = servers.cql();
  }

  private static LivepollServer startNode(int remotePort, String extra) {
    return servers.start("""
        livepoll.remote.port = %d
        livepoll.limits.open-polls-per-organizer = %d
        livepoll.read-side.group-after = 50ms
        livepoll.auth.revocations-refresh = 2s
        %s
        """.formatted(remotePort, MAX_OPEN, extra));
  }

  // ------------------------------------------------------------------------------------------- unknown poll ids

  /**
   * {@value #RANDOM_IDS} GETs of random well-formed ids through each node, twice: no entity starts, the journal is
   * not read, and only the first round reads the index (two single-row reads per id: the index and the journal's
   * list of persistence ids for polls older than the index); the second costs nothing. Prints the measurement.
   */
  @Test
  void randomIdsWakeNoEntityAndReadNoJournalOnAnyNode() throws Exception {
    Random random = new Random(15);
    List<String> ids = random.ints(RANDOM_IDS, 0, Integer.MAX_VALUE)
        .mapToObj(i -> Long.toString(Math.abs(random.nextLong()) % 4_738_381_338_321_616_896L, 36))
        .map(id -> ("000000000000" + id).substring(("000000000000" + id).length() - 12))
        .toList();
    int entitiesBefore = liveEntities(nodeA) + liveEntities(nodeB);
    long journalBefore = reads("messages");
    long indexBefore = reads("poll_index") + reads("all_persistence_ids");
    long started = System.nanoTime();

    for (int round = 1; round <= 2; round++) {
      long indexAtStart = reads("poll_index") + reads("all_persistence_ids");
      for (String id : ids) {
        for (LivepollServer node : List.of(nodeA, nodeB)) {
          ApiClient.Reply reply = new ApiClient(node.httpPort()).get("/api/polls/" + id);
          assertEquals(404, reply.status(), reply::toString);
          assertTrue(reply.body().contains("unknown-poll"), reply::toString);
        }
      }
      System.out.printf("AbuseClusterIT: round %d of %d random ids x 2 nodes: %d index reads%n", round,
          RANDOM_IDS, reads("poll_index") + reads("all_persistence_ids") - indexAtStart);
      if (round == 2) {
        assertEquals(indexAtStart, reads("poll_index") + reads("all_persistence_ids"),
            "the second round is answered from each node's memory of missing ids");
      }
    }
    int entitiesAfter = liveEntities(nodeA) + liveEntities(nodeB);
    long journalReads = reads("messages") - journalBefore;
    long indexReads = reads("poll_index") + reads("all_persistence_ids") - indexBefore;
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    // the journal is read in the background all the time (the read side, the change logs): the same time idle
    long idleBefore = reads("messages");
    Thread.sleep(took.toMillis());
    long idleReads = reads("messages") - idleBefore;
    System.out.printf("AbuseClusterIT: %d GETs of random ids in %d ms: live poll entities %d -> %d, journal "
            + "(messages) reads %d (idle for as long: %d), index reads %d%n", 4 * RANDOM_IDS, took.toMillis(),
        entitiesBefore, entitiesAfter, journalReads, idleReads, indexReads);
    assertEquals(entitiesBefore, entitiesAfter, "no poll entity started");
    // one recovery alone reads the journal at least once: the background's reads are far fewer than the ids
    assertTrue(journalReads < RANDOM_IDS / 4, "journal reads: " + journalReads + " (idle: " + idleReads + ")");

    // the same through a third node without the index, as before it existed
    LivepollServer nodeC = startNode(FreePorts.next(), "livepoll.cluster.seed-nodes = \"127.0.0.1:" + remoteA + "\"\n"
        + "livepoll.poll-index.enabled = off");
    try {
      awaitUp(nodeC, 3);
      List<LivepollServer> all = List.of(nodeA, nodeB, nodeC);
      int entitiesWithout = 0;
      for (LivepollServer node : all) {
        entitiesWithout += liveEntities(node);
      }
      long journalWithout = reads("messages");
      long startedWithout = System.nanoTime();
      for (String id : ids) {
        assertEquals(404, new ApiClient(nodeC.httpPort()).get("/api/polls/" + id).status());
      }
      int entitiesAfterWithout = 0;
      for (LivepollServer node : all) {
        entitiesAfterWithout += liveEntities(node);
      }
      long journalReadsWithout = reads("messages") - journalWithout;
      System.out.printf("AbuseClusterIT: without the index, %d GETs of random ids in %d ms: live poll entities "
              + "%d -> %d, journal (messages) reads %d%n", RANDOM_IDS,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedWithout), entitiesWithout, entitiesAfterWithout,
          journalReadsWithout);
      assertTrue(entitiesAfterWithout >= entitiesWithout + RANDOM_IDS / 2,
          "without the index, unknown ids start entities (the cost the index saves)");
    } finally {
      servers.stop(nodeC);
    }
    assertTrue(indexReads <= 4L * RANDOM_IDS, "at most two index reads per id and node: " + indexReads);
  }

  @Test
  void aPollCreatedOnOneNodeIsFoundFromTheOther() {
    // an admin: no quota of open polls
    ApiClient viaA = new ApiClient(nodeA.httpPort()).as(TOKENS.organizer("finder", true));
    for (int i = 0; i < 10; i++) {
      String id = ApiClient.createdId(viaA.post("/api/polls", POLL));
      ApiClient.Reply fromB = new ApiClient(nodeB.httpPort()).get("/api/polls/" + id);
      assertEquals(200, fromB.status(), fromB::toString);
    }
  }

  /** A poll written before the index existed is found through the journal's list and indexed then. */
  @Test
  void aPollOlderThanTheIndexIsFoundAndIndexed() {
    ApiClient viaA = new ApiClient(nodeA.httpPort()).as(TOKENS.organizer("legacy", false));
    String id = ApiClient.createdId(viaA.post("/api/polls", POLL));
    cql.execute("DELETE FROM " + KEYSPACE + ".poll_index WHERE poll_id = '" + id + "'");

    ApiClient.Reply fromB = new ApiClient(nodeB.httpPort()).get("/api/polls/" + id);

    assertEquals(200, fromB.status(), fromB::toString);
    assertEquals(1, cql.execute("SELECT poll_id FROM " + KEYSPACE + ".poll_index WHERE poll_id = '" + id + "'")
        .all().size(), "indexed again");
  }

  // ------------------------------------------------------------------------------------------------------ tokens

  @Test
  void aTokenRevokedOnOneNodeIsRefusedOnTheOtherAndAfterARestart() throws Exception {
    String token = TOKENS.organizer("revoked-everywhere", false);
    assertEquals(404, new ApiClient(nodeB.httpPort()).as(token).get("/api/polls/abcdefabcdef").status());

    ApiClient.Reply revoked = new ApiClient(nodeA.httpPort()).as(token).post("/api/tokens/revocations",
        "{\"subject\":\"revoked-everywhere\"}");
    assertEquals(200, revoked.status(), revoked::toString);

    await("node B refuses the revoked token", () ->
        new ApiClient(nodeB.httpPort()).as(token).get("/api/polls/abcdefabcdef").status() == 401);
    assertEquals(401, new ApiClient(nodeA.httpPort()).as(token).get("/api/polls/abcdefabcdef").status());

    // node B leaves and a new node starts: it learns the revocation from the journal before it serves
    servers.stop(nodeB);
    nodeB = startNode(FreePorts.next(), "livepoll.cluster.seed-nodes = \"127.0.0.1:" + remoteA + "\"");
    awaitUp(nodeB, 2);
    ApiClient.Reply afterRestart = new ApiClient(nodeB.httpPort()).as(token).get("/api/polls/abcdefabcdef");
    assertEquals(401, afterRestart.status(), afterRestart::toString);
    assertTrue(afterRestart.body().contains("revoked"), afterRestart::toString);
  }

  // ------------------------------------------------------------------------------------------------------ quotas

  @Test
  void anOrganizerHoldsAtMostTheQuotaOfOpenPolls() throws Exception {
    ApiClient organizer = new ApiClient(nodeA.httpPort()).as(TOKENS.organizer("quota", false));
    List<String> ids = new java.util.ArrayList<>();
    for (int i = 0; i < MAX_OPEN; i++) {
      ids.add(ApiClient.createdId(organizer.post("/api/polls", POLL)));
    }
    await("the catalogue lists " + MAX_OPEN + " open polls", () -> openPolls(organizer) == MAX_OPEN);

    ApiClient.Reply refused = new ApiClient(nodeB.httpPort()).as(TOKENS.organizer("quota", false))
        .post("/api/polls", POLL);
    assertEquals(429, refused.status(), refused::toString);
    assertEquals("application/problem+json", refused.mediaType());
    assertTrue(refused.body().contains("too-many-open-polls"), refused::toString);
    assertTrue(refused.header("retry-after").isPresent(), refused::toString);
    assertEquals(201, new ApiClient(nodeA.httpPort()).as(TOKENS.organizer("root", true)).post("/api/polls", POLL)
        .status(), "admins have no quota");

    assertEquals(200, organizer.post("/api/polls/" + ids.get(0) + "/close", "{}").status());
    await("the catalogue lists the close", () -> openPolls(organizer) == MAX_OPEN - 1);
    assertEquals(201, organizer.post("/api/polls", POLL).status());
  }

  // ----------------------------------------------------------------------------------------------------- helpers

  private static int openPolls(ApiClient organizer) {
    ApiClient.Reply page = organizer.get("/api/polls?status=open&limit=100");
    return page.status() == 200 ? page.json().get("items").size() : -1;
  }

  /** Reads of table {@code table} of this test's keyspace so far, as the Cassandra node counts them. */
  private static long reads(String table) {
    Row row = cql.execute("SELECT count FROM system_views.local_read_latency WHERE keyspace_name = '" + KEYSPACE
        + "' AND table_name = '" + table + "'").one();
    return row == null ? 0 : row.getLong("count");
  }

  /** Poll entities alive on {@code node} now. */
  private static int liveEntities(LivepollServer node) throws Exception {
    ActorSystem<Void> system = node.system();
    ShardRegion.CurrentShardRegionState state = AskPattern.<ClusterShardingQuery,
            ShardRegion.CurrentShardRegionState>ask(ClusterSharding.get(system).shardState(),
            replyTo -> new GetShardRegionState(PollEntity.ENTITY_KEY, replyTo), Duration.ofSeconds(5),
            system.scheduler())
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    Set<String> ids = new HashSet<>();
    state.getShards().forEach(shard -> ids.addAll(shard.getEntityIds()));
    return ids.size();
  }

  private static void awaitUp(LivepollServer node, int members) throws InterruptedException {
    await(node.system().address() + " sees " + members + " members Up", () -> StreamSupport.stream(
            Cluster.get(node.system()).state().getMembers().spliterator(), false)
        .filter(member -> member.status() == MemberStatus.up()).count() == members);
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 30 s: " + what);
      }
      Thread.sleep(100);
    }
  }
}
