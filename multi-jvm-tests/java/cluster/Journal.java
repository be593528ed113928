package cluster;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the event journal in Cassandra says about the writers of each poll. Two writers of one poll would both write
 * the sequence numbers after the last one they replayed: the journal's key (sequence number, then a time uuid) keeps
 * both rows, so a sequence number written twice, or a gap, is proof of a second writer.
 */
final class Journal {
  /** One event as stored: its sequence number, the writer (incarnation) that wrote it, and when. */
  record Row(long sequenceNumber, String writer, long writtenAtMillis) {}

  /** One poll's journal: its events' sequence numbers in order, and the writers (incarnations) that wrote them. */
  record PollJournal(String persistenceId, List<Long> sequenceNumbers, Set<String> writers, List<Row> rows) {
    /**
     * For each change of writer, the milliseconds from the old writer's last event to the new writer's first: how
     * long the poll had no writer while it moved.
     */
    List<Long> handOverGaps() {
      List<Long> gaps = new ArrayList<>();
      for (int i = 1; i < rows.size(); i++) {
        if (!rows.get(i).writer().equals(rows.get(i - 1).writer())) {
          gaps.add(rows.get(i).writtenAtMillis() - rows.get(i - 1).writtenAtMillis());
        }
      }
      return gaps;
    }
  }

  private Journal() {}

  static Map<String, PollJournal> read(String host, int cqlPort, String keyspace,
      storage.CassandraCredentials credentials) {
    Map<String, List<Long>> sequences = new TreeMap<>();
    Map<String, Set<String>> writers = new HashMap<>();
    Map<String, List<Row>> rows = new HashMap<>();
    try (CqlSession session = credentials.applyTo(CqlSession.builder())
        .addContactPoint(new InetSocketAddress(host, cqlPort))
        .withLocalDatacenter("datacenter1")
        .build()) {
      // QUORUM, as the journal writes: with three replicas, one of which may have missed writes while it was down
      for (com.datastax.oss.driver.api.core.cql.Row row : session.execute(
          com.datastax.oss.driver.api.core.cql.SimpleStatement.newInstance(
              "SELECT persistence_id, partition_nr, sequence_nr, timestamp, writer_uuid FROM " + keyspace
                  + ".messages")
              .setConsistencyLevel(com.datastax.oss.driver.api.core.DefaultConsistencyLevel.QUORUM))) {
        String id = row.getString("persistence_id");
        sequences.computeIfAbsent(id, key -> new ArrayList<>()).add(row.getLong("sequence_nr"));
        writers.computeIfAbsent(id, key -> new HashSet<>()).add(row.getString("writer_uuid"));
        rows.computeIfAbsent(id, key -> new ArrayList<>()).add(new Row(row.getLong("sequence_nr"),
            row.getString("writer_uuid"), Uuids.unixTimestamp(row.getUuid("timestamp"))));
      }
    }
    Map<String, PollJournal> journals = new TreeMap<>();
    sequences.forEach((id, numbers) -> {
      List<Long> sorted = numbers.stream().sorted().toList();
      List<Row> ordered = rows.get(id).stream().sorted(java.util.Comparator.comparingLong(Row::sequenceNumber))
          .toList();
      journals.put(id, new PollJournal(id, sorted, writers.get(id), ordered));
    });
    return journals;
  }

  /** Every poll whose sequence numbers are not exactly 1..n, each once; empty when every poll had one writer. */
  static List<String> pollsWithTwoWriters(Map<String, PollJournal> journals) {
    List<String> broken = new ArrayList<>();
    for (PollJournal journal : journals.values()) {
      List<Long> numbers = journal.sequenceNumbers();
      for (int i = 0; i < numbers.size(); i++) {
        if (numbers.get(i) != i + 1) {
          broken.add(journal.persistenceId() + ": sequence numbers " + abbreviate(numbers) + " by "
              + journal.writers().size() + " writers");
          break;
        }
      }
    }
    return broken;
  }

  /** How many polls were written by more than one incarnation: the polls that moved between nodes. */
  static long pollsThatMoved(Map<String, PollJournal> journals) {
    return journals.values().stream().filter(journal -> journal.writers().size() > 1).count();
  }

  private static String abbreviate(List<Long> numbers) {
    return numbers.size() <= 20 ? numbers.toString() : numbers.subList(0, 20) + "... (" + numbers.size() + ")";
  }
}
