package readside;

import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * The events of one persistence id, read straight from the journal table that {@code schema.cql} defines: the read
 * side's way into the journal. One query per read in the usual case, where the persistence plugin's
 * eventsByPersistenceId makes three (the deletion marker, the partition, the next partition) every time; nothing is
 * ever deleted from the journal, so there is no deletion marker to honour.
 *
 * <p>The plugin spreads a journal over partitions of {@code target-partition-size} sequence numbers; a write that
 * spans a boundary lands whole in the later partition. So a read near a boundary looks in the next partition too.
 */
final class JournalReader {
  /** One event: its sequence number, the event, and when it was written (epoch millis). */
  record Event(long seq, Object event, long writtenAt) {}

  /** Where callbacks run: where their future completes (Pekko's Java futures would start a thread for each). */
  private static final Executor HERE = Runnable::run;
  /** More events than one write of the plugin ever holds: beyond this from a boundary, a write cannot span it. */
  private static final long LARGEST_WRITE = 10_000;

  private final Cql cql;
  private final Serialization serialization;
  private final long partitionSize;
  private final Cql.Prepared select;

  JournalReader(ActorSystem<?> system, Cql cql, String keyspace) {
    this.cql = cql;
    this.serialization = SerializationExtension.get(Adapter.toClassic(system));
    this.partitionSize = system.settings().config()
        .getLong("pekko.persistence.cassandra.journal.target-partition-size");
    this.select = cql.prepare("SELECT sequence_nr, timestamp, ser_id, ser_manifest, event FROM " + keyspace
        + ".messages WHERE persistence_id = ? AND partition_nr = ? AND sequence_nr >= ? LIMIT ?");
  }

  /** Up to {@code limit} events of {@code persistenceId} from sequence number {@code from} on, in order. */
  CompletionStage<List<Event>> events(String persistenceId, long from, int limit) {
    return read(persistenceId, (from - 1) / partitionSize, from, limit, new ArrayList<>());
  }

  private CompletionStage<List<Event>> read(String persistenceId, long partition, long from, int limit,
      List<Event> read) {
    return cql.all(select.bind(statement -> statement.bind()
            .setString(0, persistenceId).setLong(1, partition).setLong(2, from).setInt(3, limit - read.size())))
        .thenComposeAsync(rows -> {
          for (Row row : rows) {
            read.add(event(row));
          }
          long next = read.isEmpty() ? from : read.get(read.size() - 1).seq() + 1;
          boolean nearTheEnd = next > (partition + 1) * partitionSize - LARGEST_WRITE;
          if (read.size() < limit && nearTheEnd) {
            return read(persistenceId, partition + 1, next, limit, read);
          }
          return CompletableFuture.completedFuture(read);
        }, HERE);
  }

  private Event event(Row row) {
    ByteBuffer bytes = row.getByteBuffer("event");
    byte[] data = new byte[bytes.remaining()];
    bytes.get(data);
    Object event = serialization.deserialize(data, row.getInt("ser_id"), row.getString("ser_manifest")).get();
    return new Event(row.getLong("sequence_nr"), event, Uuids.unixTimestamp(row.getUuid("timestamp")));
  }
}
