package audit;

import actors.Requester;

/**
 * Who did a privileged action: a subject (an organizer's or admin's name from their token, the operator's user name,
 * or a part of the server) and their role.
 */
public record Actor(String subject, String role) {
  public static final String ORGANIZER = "organizer";
  public static final String ADMIN = "admin";
  public static final String OPERATOR = "operator";
  public static final String SYSTEM = "system";

  /** The organizer or admin behind a request. */
  public static Actor of(Requester requester) {
    return new Actor(requester.name(), requester.admin() ? ADMIN : ORGANIZER);
  }

  public static Actor operator(String user) {
    return new Actor(user, OPERATOR);
  }

  /** A part of the server acting on its own (the retention sweep). */
  public static Actor system(String part) {
    return new Actor(part, SYSTEM);
  }
}
