package http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.junit.jupiter.api.Test;

class CsvCellTest {
  @Test
  void plainTextIsQuotedAndUnchanged() {
    assertEquals("\"Blue sky\"", CsvCell.of("Blue sky"));
    assertEquals("\"\"", CsvCell.of(""));
    assertEquals("\"say \"\"hi\"\"\"", CsvCell.of("say \"hi\""));
  }

  @Test
  void aCellThatStartsAFormulaIsNeutralised() {
    assertEquals("\"'=1+2\"", CsvCell.of("=1+2"));
    assertEquals("\"'+1\"", CsvCell.of("+1"));
    assertEquals("\"'-1+2\"", CsvCell.of("-1+2"));
    assertEquals("\"'@SUM(A1)\"", CsvCell.of("@SUM(A1)"));
    assertEquals("\"'\t'=1\"", CsvCell.of("\t=1"), "a tab is neutralised, and so is what follows it");
    assertEquals("\"  '=1\"", CsvCell.of("  =1"), "leading blanks do not hide a formula");
  }

  @Test
  void aFragmentAfterAnySeparatorCannotStartAFormula() {
    // the issue's label: one cell where commas separate, two where semicolons do
    assertEquals("\"x;'=8+9\"", CsvCell.of("x;=8+9"));
    assertEquals("\"x,'=8+9\"", CsvCell.of("x,=8+9"));
    assertEquals("\"x|'@A1\"", CsvCell.of("x|@A1"));
    assertEquals("\"x; '-2\"", CsvCell.of("x; -2"));
    assertEquals("\"a\n'=HYPERLINK(1)\"", CsvCell.of("a\n=HYPERLINK(1)"));
  }

  @Test
  void noFragmentOfAnyCellStartsAFormulaWhateverTheSeparator() {
    List<String> hostile = List.of("=cmd|' /C calc'!A0", "x;=8+9", "a,b;c\t=d", "\"=1\";=2", " +3", "@x", "\r=1",
        "ok;\"-2\"", "x;;=1");
    for (String text : hostile) {
      String cell = CsvCell.of(text);
      String field = cell.substring(1, cell.length() - 1).replace("\"\"", "\"");
      for (String separator : List.of(",", ";", "\t", "\\|", "\r", "\n")) {
        for (String fragment : field.split(separator, -1)) {
          String start = fragment.stripLeading().replace("\"", "");
          assertFalse(!start.isEmpty() && "=+-@".indexOf(start.charAt(0)) >= 0,
              () -> text + " split on " + separator + " gives a formula fragment: " + fragment);
        }
      }
    }
  }
}
