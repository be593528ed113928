package http;

import actors.Poll;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import metrics.Metrics;

/** Counts what became of each ballot the edge sent to its poll, REST or live socket alike. */
final class BallotOutcome {
  /** Runs a callback on the thread that completes the reply: a counter update needs no thread of its own. */
  private static final Executor CALLING_THREAD = Runnable::run;

  private BallotOutcome() {}

  /** {@code reply} itself, observed once it completes; {@code receivedNanos}: when the ballot arrived. */
  static CompletionStage<Poll.Reply> observe(CompletionStage<Poll.Reply> reply, long receivedNanos) {
    reply.whenCompleteAsync((answer, failure) -> {
      if (answer instanceof Poll.Accepted) {
        Metrics.ballotAccepted(receivedNanos);
      } else if (answer instanceof Poll.Rejected rejected) {
        Metrics.ballotRejected(rejected.reason().name().toLowerCase(Locale.ROOT));
      } else {
        Metrics.ballotRejected(Metrics.NO_ANSWER);
      }
    }, CALLING_THREAD);
    return reply;
  }
}
