package audit;

/** The privileged actions the audit log records; {@link #code} is how the log and its API name each one. */
public enum AuditAction {
  POLL_CREATED("poll-created"),
  POLL_CLOSED("poll-closed"),
  RESULTS_REVEALED("results-revealed"),
  ROUND_STARTED("round-started"),
  WORD_HIDDEN("word-hidden"),
  WORD_SHOWN("word-shown"),
  INVITES_MINTED("invites-minted"),
  INVITE_REVOKED("invite-revoked"),
  POLL_DELETED("poll-deleted"),
  PROJECTION_PAUSED("projection-paused"),
  PROJECTION_RESUMED("projection-resumed"),
  PROJECTION_REBUILT("projection-rebuilt");

  private final String code;

  AuditAction(String code) {
    this.code = code;
  }

  public String code() {
    return code;
  }
}
