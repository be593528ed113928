package actors;

/** The points of a rating poll, {@code min} to {@code max} inclusive, with optional labels for both ends. */
public record RatingScale(int min, int max, String minLabel, String maxLabel) implements CborSerializable {
  /** Most points a scale may have. */
  public static final int MAX_POINTS = 101;

  public int points() {
    return max - min + 1;
  }

  public boolean holds(int rating) {
    return rating >= min && rating <= max;
  }
}
