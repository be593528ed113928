package actors;

import java.text.Normalizer;
import java.util.Locale;
import java.util.Optional;

/**
 * How a word-cloud entry is read: trimmed, runs of whitespace made one space, Unicode NFC, 1 to {@link #MAX_CHARS}
 * characters; counted case-insensitively under its {@link #key}. Text that would show something other than itself
 * is refused, not cleaned: control characters, bidirectional controls (which reorder what follows them on screen)
 * and zero-width characters (which make two words that look the same count apart, or slip a hidden word back in).
 */
public final class WordCloud {
  /** Longest entry, in Unicode code points after normalization. */
  public static final int MAX_CHARS = 40;
  /** Entries a voter may be allowed per ballot at most ({@code maxWords}). */
  public static final int MAX_WORDS_PER_BALLOT = 10;
  /** Words a view or frame shows: the most frequent ones. */
  public static final int SHOWN_WORDS = 100;

  private WordCloud() {}

  /** The entry as it is counted and shown, or why it is refused. */
  public static PollDefinition.Validated<String> normalize(String text) {
    if (text == null) {
      return PollDefinition.Validated.invalid("a word must be a string");
    }
    StringBuilder collapsed = new StringBuilder(text.length());
    boolean space = false;
    String composed = Normalizer.normalize(text, Normalizer.Form.NFC);
    for (int i = 0; i < composed.length(); ) {
      int c = composed.codePointAt(i);
      i += Character.charCount(c);
      if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        space = true;
        continue;
      }
      Optional<String> refused = refusal(c);
      if (refused.isPresent()) {
        return PollDefinition.Validated.invalid(refused.get());
      }
      if (space && !collapsed.isEmpty()) {
        collapsed.append(' ');
      }
      space = false;
      collapsed.appendCodePoint(c);
    }
    String word = collapsed.toString();
    int length = word.codePointCount(0, word.length());
    if (length < 1 || length > MAX_CHARS) {
      return PollDefinition.Validated.invalid("a word must be 1 to " + MAX_CHARS
          + " characters after trimming and collapsing whitespace");
    }
    return PollDefinition.Validated.valid(word);
  }

  /** What two spellings of one word share: they count as one word. */
  public static String key(String normalized) {
    return normalized.toLowerCase(Locale.ROOT);
  }

  private static Optional<String> refusal(int c) {
    if (Character.isISOControl(c)) {
      return Optional.of("a word must not hold control characters (U+" + hex(c) + ")");
    }
    if (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE) {
      return Optional.of("a word must be valid Unicode text (a lone surrogate U+" + hex(c) + ")");
    }
    if ((c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F
        || c == 0x061C) {
      return Optional.of("a word must not hold bidirectional controls (U+" + hex(c) + ")");
    }
    if ((c >= 0x200B && c <= 0x200D) || c == 0x2060 || c == 0xFEFF || c == 0x180E || c == 0x00AD) {
      return Optional.of("a word must not hold zero-width or invisible characters (U+" + hex(c) + ")");
    }
    return Optional.empty();
  }

  private static String hex(int c) {
    return String.format(Locale.ROOT, "%04X", c);
  }
}
