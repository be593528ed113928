package http;

/**
 * A text cell of a CSV export that no spreadsheet reads as a formula, whatever list separator it splits on.
 *
 * <p>A spreadsheet evaluates a cell that starts with {@code = + - @} (and some, a tab or carriage return followed by
 * one). A quoted field is one cell for a spreadsheet that splits on commas, but one that splits on semicolons, tabs
 * or pipes (the list separator of many locales, or an import dialog's choice) ignores the comma quoting and makes a
 * cell of every fragment: {@code x;=8+9} becomes {@code x} and {@code =8+9}. So every fragment that begins the text or
 * follows a separator or a line break, leading blanks and quotes skipped, gets a single quote before a formula character, and the
 * whole text is quoted with its quotes doubled (RFC 4180).
 */
final class CsvCell {
  /** Characters that start a formula in Excel, LibreOffice Calc, Google Sheets or Numbers. */
  private static final String FORMULA_STARTS = "=+-@\t\r";
  /** Characters a spreadsheet may split a line on, or start a new row at. */
  private static final String SEPARATORS = ",;\t|\r\n";

  private CsvCell() {}

  /** {@code text} as one quoted CSV field, every fragment that would start a formula prefixed with {@code '}. */
  static String of(String text) {
    StringBuilder out = new StringBuilder(text.length() + 8).append('"');
    boolean fragmentStart = true;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (fragmentStart && (c == ' ' || c == '"')) {
        // blanks, and a quote a splitting spreadsheet may take for the fragment's own, do not hide a formula
        out.append(c == '"' ? "\"\"" : " ");
        continue;
      }
      if (fragmentStart && FORMULA_STARTS.indexOf(c) >= 0) {
        out.append('\'');
      }
      out.append(c == '"' ? "\"\"" : String.valueOf(c));
      // a tab or CR that started a formula is itself a separator: what follows it is a fragment again
      fragmentStart = SEPARATORS.indexOf(c) >= 0;
    }
    return out.append('"').toString();
  }
}
