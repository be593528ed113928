package actors;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The requests in flight that a member's removal sends again: each unanswered one once, an answered one never. */
class ResendsTest {
  @Test
  void aRemovalSendsEveryUnansweredRequestAgainAndNoAnsweredOne() {
    Resends resends = new Resends();
    AtomicInteger first = new AtomicInteger();
    AtomicInteger second = new AtomicInteger();
    CompletableFuture<String> answeredLater = new CompletableFuture<>();
    CompletableFuture<String> answeredNow = new CompletableFuture<>();
    resends.track(answeredLater, first::incrementAndGet);
    resends.track(answeredNow, second::incrementAndGet);
    assertEquals(2, resends.inFlight());

    answeredNow.complete("accepted");
    assertEquals(1, resends.inFlight());
    assertEquals(1, resends.resendAll());
    assertEquals(1, first.get());
    assertEquals(0, second.get());

    // still unanswered: the next removal sends it once more
    assertEquals(1, resends.resendAll());
    assertEquals(2, first.get());

    answeredLater.completeExceptionally(new IllegalStateException("timed out"));
    assertEquals(0, resends.inFlight());
    assertEquals(0, resends.resendAll());
    assertEquals(2, first.get());
  }
}
