package live;

/**
 * One state of a poll as its watchers receive it: the poll's {@code seq} (its journal sequence number, so a newer
 * state always has a higher one) and what goes on the wire, rendered once per change per node and shared by every
 * socket that sends it.
 */
public record Frame<F>(long seq, F payload) {}
