package actors;

import java.util.ArrayList;
import java.util.List;
import scala.jdk.javaapi.OptionConverters;

/**
 * Ballots per word of a word cloud, keyed case-insensitively ({@link WordCloud#key}), each shown in its most frequent
 * spelling. Immutable and persistent (a hash trie), so a ballot costs O(log n) however many words the poll holds.
 *
 * <p>Memory is bounded by the poll's cap on distinct words (checked when a ballot is decided) and by
 * {@link #SPELLINGS_KEPT} spellings per word: further spellings still count for their word but are not candidates
 * for how it is shown. A word whose count falls to zero is removed.
 */
final class WordCounts {
  static final WordCounts EMPTY = new WordCounts(scala.collection.immutable.HashMap$.MODULE$.empty());
  /** Spellings of one word kept as candidates for showing it. */
  static final int SPELLINGS_KEPT = 4;

  /** One word: its ballots, and its kept spellings with theirs (the first of the most frequent is shown). */
  private record Entry(long count, List<String> spellings, List<Long> spellingCounts) {
    String shown() {
      int best = 0;
      for (int i = 1; i < spellings.size(); i++) {
        if (spellingCounts.get(i) > spellingCounts.get(best)) {
          best = i;
        }
      }
      return spellings.get(best);
    }

    Entry plus(String spelling) {
      List<String> names = new ArrayList<>(spellings);
      List<Long> counts = new ArrayList<>(spellingCounts);
      int at = names.indexOf(spelling);
      if (at >= 0) {
        counts.set(at, counts.get(at) + 1);
      } else if (names.size() < SPELLINGS_KEPT) {
        names.add(spelling);
        counts.add(1L);
      }
      return new Entry(count + 1, List.copyOf(names), List.copyOf(counts));
    }

    Entry minus(String spelling) {
      List<String> names = new ArrayList<>(spellings);
      List<Long> counts = new ArrayList<>(spellingCounts);
      int at = names.indexOf(spelling);
      if (at >= 0) {
        if (counts.get(at) == 1) {
          names.remove(at);
          counts.remove(at);
        } else {
          counts.set(at, counts.get(at) - 1);
        }
      }
      if (names.isEmpty() && count > 1) {
        // every kept spelling was taken back: show the one being taken back until a new one arrives
        names.add(spelling);
        counts.add(0L);
      }
      return new Entry(count - 1, List.copyOf(names), List.copyOf(counts));
    }
  }

  /** Visits each word: its key, how it is shown, its ballots. */
  interface Visitor {
    void visit(String key, String shown, long count);
  }

  private final scala.collection.immutable.HashMap<String, Entry> byKey;

  private WordCounts(scala.collection.immutable.HashMap<String, Entry> byKey) {
    this.byKey = byKey;
  }

  /** Distinct words counted now. */
  int size() {
    return byKey.size();
  }

  boolean contains(String key) {
    return byKey.contains(key);
  }

  /** The word's ballots now (zero if none). */
  long count(String key) {
    return OptionConverters.toJava(byKey.get(key)).map(Entry::count).orElse(0L);
  }

  WordCounts plus(List<String> words) {
    scala.collection.immutable.HashMap<String, Entry> next = byKey;
    for (String word : words) {
      String key = WordCloud.key(word);
      Entry entry = OptionConverters.toJava(next.get(key)).orElse(new Entry(0, List.of(), List.of()));
      next = next.updated(key, entry.plus(word));
    }
    return new WordCounts(next);
  }

  WordCounts minus(List<String> words) {
    scala.collection.immutable.HashMap<String, Entry> next = byKey;
    for (String word : words) {
      String key = WordCloud.key(word);
      var entry = OptionConverters.toJava(next.get(key));
      if (entry.isEmpty()) {
        continue;
      }
      next = entry.get().count() <= 1 ? next.removed(key) : next.updated(key, entry.get().minus(word));
    }
    return new WordCounts(next);
  }

  void forEach(Visitor visitor) {
    byKey.foreachEntry((key, entry) -> {
      visitor.visit(key, entry.shown(), entry.count());
      return null;
    });
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof WordCounts that && byKey.equals(that.byKey);
  }

  @Override
  public int hashCode() {
    return byKey.hashCode();
  }

  @Override
  public String toString() {
    return "WordCounts(" + size() + " words)";
  }
}
