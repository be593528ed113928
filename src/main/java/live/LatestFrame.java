package live;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import metrics.Metrics;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SourceShape;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;

/**
 * A socket's end of the fan-out: its first frame (the snapshot), then the newest state of its poll each time it can
 * take one, in {@code seq} order and never the same state twice. It holds one frame at most, owns no timer and wakes
 * only when a newer frame arrives while its socket waits for one, or when the fan-out's keep-alive sweep finds that
 * its socket has been sent nothing for the keep-alive interval (it then sends the keep-alive frame, which carries no
 * state).
 *
 * <p>A socket with a {@link Fanout.Lease} ends with the lease's last frame when the fan-out's lease sweep finds that
 * it no longer holds.
 *
 * <p>A reader that has taken nothing for {@code slowReaderTimeout} while newer frames kept arriving is cut off: the
 * check happens when a frame is offered, so it costs nothing while the poll is quiet (and a quiet poll's slow reader
 * costs only the one frame it holds).
 */
final class LatestFrame<F> extends GraphStage<SourceShape<F>> {
  /** A socket cut off because it read nothing for too long. */
  static final class SlowReader extends RuntimeException {
    SlowReader(Duration timeout) {
      super("the client read nothing for " + timeout + " while its poll changed; closing the socket", null, false,
          false);
    }
  }

  private static final Object WAKE = new Object();
  private static final Object EVICT = new Object();
  private static final Object LEAVE = new Object();
  private static final Object KEEP_ALIVE = new Object();

  private final Outlet<F> out = Outlet.create("LatestFrame.out");
  private final Fanout<F> fanout;
  private final String pollId;
  private final Frame<F> first;
  private final Duration slowReaderTimeout;
  /** Null: the socket holds no lease. */
  private final Fanout.Lease<F> lease;

  LatestFrame(Fanout<F> fanout, String pollId, Frame<F> first, Duration slowReaderTimeout, Fanout.Lease<F> lease) {
    this.fanout = fanout;
    this.pollId = pollId;
    this.first = first;
    this.slowReaderTimeout = slowReaderTimeout;
    this.lease = lease;
  }

  @Override
  public SourceShape<F> shape() {
    return SourceShape.of(out);
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new Logic();
  }

  private final class Logic extends GraphStageLogic implements Audience.Slot<F> {
    private final long slowReaderNanos = slowReaderTimeout.toNanos();
    /** The newest frame offered and not yet taken; written by the publisher, taken by this stage. */
    private final AtomicReference<Frame<F>> offered = new AtomicReference<>();
    /** Whether this stage waits for a frame: the publisher that clears it must wake the stage. */
    private final AtomicBoolean waiting = new AtomicBoolean();
    /** When a frame was offered that the socket was not ready for (0: ready); cleared by each push. */
    private volatile long stalledSince;
    /** When the socket was last handed a frame (any frame); read by the keep-alive sweep. */
    private volatile long lastPushed = System.nanoTime();
    private volatile F last;
    /** Set by the lease sweep once the lease no longer holds, so that it is not asked again. */
    private volatile boolean leaseEnded;
    private AsyncCallback<Object> wake;
    private Audience<F> audience;
    private boolean firstSent;
    private boolean leaving;
    /** The seq of the last frame pushed; only this stage reads and writes it. */
    private long sent;

    Logic() {
      super(LatestFrame.this.shape());
      setHandler(out, new AbstractOutHandler() {
        @Override
        public void onPull() {
          if (!firstSent) {
            firstSent = true;
            sent = first.seq();
            pushFrame(first.payload());
          } else {
            deliverOrWait();
          }
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          completeStage();
        }
      });
    }

    @Override
    public void preStart() {
      wake = createAsyncCallback(this::onWake);
      audience = fanout.join(pollId, this);
      Frame<F> latest = audience == null ? null : audience.add(this);
      if (latest != null && latest.seq() > first.seq()) {
        // published before this socket joined: the publisher's next offer would replace it with a newer one
        offered.compareAndSet(null, latest);
      }
      Metrics.liveSocketOpened();
      if (audience == null) {
        // the node is already leaving
        onWake(LEAVE);
      }
    }

    @Override
    public void postStop() {
      if (audience != null) {
        audience.remove(this);
        fanout.part(pollId);
      }
      Metrics.liveSocketClosed();
    }

    @Override
    public void offer(Frame<F> frame, long nanoTime) {
      offered.set(frame);
      if (waiting.compareAndSet(true, false)) {
        wake.invoke(WAKE);
        return;
      }
      long since = stalledSince;
      if (since == 0) {
        stalledSince = nanoTime;
      } else if (nanoTime - since > slowReaderNanos) {
        wake.invoke(EVICT);
      }
    }

    @Override
    public void keepAlive(long nanoTime, long quietNanos) {
      if (nanoTime - lastPushed >= quietNanos && waiting.get()) {
        wake.invoke(KEEP_ALIVE);
      }
    }

    @Override
    public void checkLease() {
      if (lease == null || leaseEnded) {
        return;
      }
      lease.ended().ifPresent(frame -> {
        leaseEnded = true;
        leave(frame);
      });
    }

    @Override
    public void leave(F frame) {
      last = frame;
      wake.invoke(LEAVE);
    }

    private void onWake(Object signal) {
      if (leaving) {
        return;
      }
      if (signal == EVICT) {
        long since = stalledSince;
        if (since != 0 && System.nanoTime() - since > slowReaderNanos) {
          failStage(new SlowReader(slowReaderTimeout));
        }
      } else if (signal == LEAVE) {
        leaving = true;
        F goodbye = last == null ? fanout.leavingFrame() : last;
        if (!firstSent) {
          firstSent = true;
          emitMultiple(out, java.util.List.of(first.payload(), goodbye).iterator(), this::completeStage);
        } else {
          emit(out, goodbye, this::completeStage);
        }
      } else if (signal == KEEP_ALIVE) {
        // only while the socket still waits: a publisher that cleared the flag is delivering a frame instead
        if (isAvailable(out) && waiting.compareAndSet(true, false)) {
          pushFrame(fanout.keepAliveFrame());
        }
      } else if (isAvailable(out)) {
        deliverOrWait();
      }
    }

    private void pushFrame(F frame) {
      lastPushed = System.nanoTime();
      push(out, frame);
    }

    /** Pushes the newest frame if there is one the socket has not had; else waits to be woken by the next one. */
    private void deliverOrWait() {
      while (true) {
        Frame<F> frame = offered.getAndSet(null);
        if (frame != null && frame.seq() > sent) {
          sent = frame.seq();
          stalledSince = 0;
          Metrics.liveFrameSent();
          pushFrame(frame.payload());
          return;
        }
        if (frame != null) {
          continue; // an older state than the socket has: look again
        }
        waiting.set(true);
        // a frame offered between the look above and the flag: whoever clears the flag delivers it
        if (offered.get() == null || !waiting.compareAndSet(true, false)) {
          return;
        }
      }
    }
  }
}
