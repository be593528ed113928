package actors;

/** Who asks for an organizer-only change to a poll: an organizer by name, or an admin (who may change any poll). */
public record Requester(String name, boolean admin) implements CborSerializable {
  /** The closing schedule, which closes any poll when its time is due. */
  public static final Requester SCHEDULE = new Requester("closing-schedule", true);

  boolean mayManage(PollDefinition poll) {
    return mayManage(poll.owner());
  }

  /** Whether this requester may manage (and see the analytics of) what {@code owner} owns. */
  public boolean mayManage(String owner) {
    return admin || (owner != null && owner.equals(name));
  }
}
