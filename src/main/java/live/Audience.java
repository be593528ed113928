package live;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The watchers of one poll on this node: a set of one-frame slots, one per socket. Publishing a frame puts it in each
 * slot and wakes the sockets that are waiting for one: constant work per socket, and nothing walked per socket
 * besides this one pass. A slot holds only the newest frame, so a socket that cannot keep up skips to the latest
 * state instead of building a backlog.
 */
final class Audience<F> {
  private final Set<Slot<F>> slots = ConcurrentHashMap.newKeySet();
  private volatile Frame<F> latest;
  /** The actor that brings this node the poll's changes; set once, when the audience forms. */
  private ActorRef<Object> feed;
  /** Sockets that joined and have not left; changed only under the fan-out's lock. */
  private int members;

  /** What a socket's end of the fan-out offers to its audience. */
  interface Slot<F> {
    /** A newer frame than any offered before; called by one publisher at a time. */
    void offer(Frame<F> frame, long nanoTime);

    /** The node is leaving: send {@code last} after what is pending, then end. */
    void leave(F last);

    /** Sends the keep-alive frame if the socket waits for a frame and has been sent nothing for {@code quietNanos}. */
    void keepAlive(long nanoTime, long quietNanos);

    /** Ends the socket with its lease's last frame if it holds a lease that no longer holds. */
    void checkLease();
  }

  /** Adds a slot; returns the newest frame published so far, if any, which the slot may not have seen. */
  Frame<F> add(Slot<F> slot) {
    slots.add(slot);
    return latest;
  }

  void remove(Slot<F> slot) {
    slots.remove(slot);
  }

  void publish(Frame<F> frame, long nanoTime) {
    latest = frame;
    for (Slot<F> slot : slots) {
      slot.offer(frame, nanoTime);
    }
  }

  void keepAlive(long nanoTime, long quietNanos) {
    for (Slot<F> slot : slots) {
      slot.keepAlive(nanoTime, quietNanos);
    }
  }

  void checkLeases() {
    for (Slot<F> slot : slots) {
      slot.checkLease();
    }
  }

  void leave(F last) {
    for (Slot<F> slot : slots) {
      slot.leave(last);
    }
  }

  ActorRef<Object> feed() {
    return feed;
  }

  void feed(ActorRef<Object> feed) {
    this.feed = feed;
  }

  int members() {
    return members;
  }

  void members(int count) {
    members = count;
  }
}
