package lifecycle;

import actors.Poll;
import actors.Polls;
import actors.Requester;
import audit.Actor;
import audit.Audit;
import audit.AuditAction;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import readside.ReadSide;

/**
 * Deletes closed polls once they have been closed for longer than the retention period, as {@link PollDeletion}
 * deletes any poll. One sweep at a time in the whole cluster (a cluster singleton, which moves to another node when
 * its node leaves or fails): every {@code sweepEvery} it lists the closed polls in the catalogue and deletes, one
 * after the other, each whose poll says it closed before the cutoff. A sweep keeps no state of its own but its
 * figures ({@link RetentionProgress}): an interrupted one is simply done again, and a deleted poll is gone from the
 * catalogue, so nothing is deleted twice and nothing is skipped.
 */
public final class Retention {
  private static final Logger log = LoggerFactory.getLogger(Retention.class);
  /** Where callbacks run: where their future completes (Pekko's Java futures would start a thread for each). */
  private static final Executor HERE = Runnable::run;
  /** Who deletes polls past retention: an admin, as far as polls are concerned. */
  public static final Requester REQUESTER = new Requester("retention", true);
  /**
   * A new singleton waits this long (or sweep-every, if shorter) before its first sweep: the cluster and the read
   * side settle first.
   */
  private static final Duration FIRST_SWEEP_AFTER = Duration.ofSeconds(10);

  /** Closed polls are kept {@code retainClosed} after they closed; a sweep runs every {@code sweepEvery}. */
  public record Settings(Duration retainClosed, Duration sweepEvery) {}

  private enum Sweep { INSTANCE }

  private record Swept(RetentionProgress.Figures figures) {}

  private Retention() {}

  /** Starts the singleton (on the oldest node) or its proxy here. */
  public static void init(ActorSystem<?> system, Settings settings, ReadSide readSide, Polls polls,
      PollDeletion deletion, Audit audit, String keyspace, Clock clock) {
    RetentionProgress progress = new RetentionProgress(system, keyspace);
    Sweeper sweeper = new Sweeper(settings, readSide, polls, deletion, audit, progress, clock);
    ClusterSingleton.get(system).init(SingletonActor.of(Behaviors.supervise(sweeper.behavior())
        .onFailure(SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofMinutes(1), 0.2)),
        "retention"));
  }

  /** One sweep's work, apart from the actor that schedules sweeps so that each can be tested on its own. */
  static final class Sweeper {
    private final Settings settings;
    private final ReadSide readSide;
    private final Polls polls;
    private final PollDeletion deletion;
    private final Audit audit;
    private final RetentionProgress progress;
    private final Clock clock;

    Sweeper(Settings settings, ReadSide readSide, Polls polls, PollDeletion deletion, Audit audit,
        RetentionProgress progress, Clock clock) {
      this.settings = settings;
      this.readSide = readSide;
      this.polls = polls;
      this.deletion = deletion;
      this.audit = audit;
      this.progress = progress;
      this.clock = clock;
    }

    Behavior<Object> behavior() {
      return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
        timers.startSingleTimer(Sweep.INSTANCE,
            settings.sweepEvery().compareTo(FIRST_SWEEP_AFTER) < 0 ? settings.sweepEvery() : FIRST_SWEEP_AFTER);
        return Behaviors.receive(Object.class)
            .onMessageEquals(Sweep.INSTANCE, () -> {
              context.pipeToSelf(sweep(), (figures, failure) -> new Swept(figures));
              return Behaviors.same();
            })
            .onMessage(Swept.class, swept -> {
              timers.startSingleTimer(Sweep.INSTANCE, settings.sweepEvery());
              return Behaviors.same();
            })
            .build();
      }));
    }

    /** One sweep; its figures are written as it goes, and it never fails (a failure ends it, said in its figures). */
    CompletionStage<RetentionProgress.Figures> sweep() {
      Instant started = clock.instant();
      Instant cutoff = started.minus(settings.retainClosed());
      return progress.read().thenComposeAsync(before -> {
        RetentionProgress.Figures running =
            new RetentionProgress.Figures(started, null, cutoff, 0, 0, before.deletedTotal(), null);
        return progress.write(running)
            .thenComposeAsync(written -> readSide.closedPollsCreatedBefore(cutoff), HERE)
            .thenComposeAsync(candidates -> each(candidates, 0, cutoff, running), HERE)
            .thenComposeAsync(done -> finish(done, null), HERE)
            .exceptionallyComposeAsync(failure -> {
              log.warn("Retention sweep failed; the next one starts over", failure);
              return finish(running, String.valueOf(failure.getMessage()));
            }, HERE);
      }, HERE);
    }

    private CompletionStage<RetentionProgress.Figures> finish(RetentionProgress.Figures figures, String error) {
      RetentionProgress.Figures finished = new RetentionProgress.Figures(figures.startedAt(), clock.instant(),
          figures.cutoff(), figures.examined(), figures.deleted(), figures.deletedTotal(), error);
      metrics.Metrics.retentionSweep(finished.examined(), finished.deleted());
      log.info("Retention sweep: {} closed polls examined, {} deleted", finished.examined(), finished.deleted());
      return progress.write(finished).handleAsync((written, failure) -> finished, HERE);
    }

    /** The candidates from {@code index} on, one after the other; the figures are written after each deletion. */
    private CompletionStage<RetentionProgress.Figures> each(List<String> candidates, int index, Instant cutoff,
        RetentionProgress.Figures figures) {
      if (index >= candidates.size()) {
        return CompletableFuture.completedFuture(figures);
      }
      String pollId = candidates.get(index);
      return expired(pollId, cutoff).thenComposeAsync(expired -> {
        if (!expired) {
          return each(candidates, index + 1, cutoff, counted(figures, false));
        }
        return deletion.delete(pollId, REQUESTER).thenComposeAsync(reply -> {
          if (!(reply instanceof Poll.Deleted)) {
            log.warn("Retention could not delete poll {}: {}", pollId, reply);
            return each(candidates, index + 1, cutoff, counted(figures, false));
          }
          RetentionProgress.Figures next = counted(figures, true);
          return audit.record(Actor.system(REQUESTER.name()), AuditAction.POLL_DELETED, pollId, null,
                  "retention: closed before " + cutoff)
              .thenComposeAsync(recorded -> progress.write(next), HERE)
              .thenComposeAsync(written -> each(candidates, index + 1, cutoff, next), HERE);
        }, HERE);
      }, HERE);
    }

    /**
     * Whether the poll itself says it closed before {@code cutoff} (the catalogue knows only when it was created);
     * or it is already deleted while the catalogue still lists it: an erasure that did not finish, which deleting
     * again finishes.
     */
    private CompletionStage<Boolean> expired(String pollId, Instant cutoff) {
      return polls.get(pollId).thenApplyAsync(reply -> reply instanceof Poll.Accepted accepted
          ? accepted.poll().closedAt() != null && accepted.poll().closedAt().isBefore(cutoff)
          : reply instanceof Poll.Rejected rejected && rejected.reason() == Poll.Rejection.UNKNOWN_POLL, HERE);
    }

    private static RetentionProgress.Figures counted(RetentionProgress.Figures f, boolean deleted) {
      return new RetentionProgress.Figures(f.startedAt(), null, f.cutoff(), f.examined() + 1,
          f.deleted() + (deleted ? 1 : 0), f.deletedTotal() + (deleted ? 1 : 0), null);
    }
  }
}
