package dev.esactors.train.report;

import java.util.ArrayList;
import java.util.List;

/**
 * A table of text cells, written once and shown twice: as aligned text lines (the console's summary) and as an HTML
 * table (the report's), so that the two never disagree.
 *
 * @param header the column titles
 * @param rows   the cells, row by row (as many as the header)
 */
public record Table(List<String> header, List<List<String>> rows) {

    public Table {
        header = List.copyOf(header);
        List<List<String>> copied = new ArrayList<>();
        for (List<String> row : rows) {
            if (row.size() != header.size()) {
                throw new IllegalArgumentException("a row of " + row.size() + " cells in a table of " + header.size()
                        + " columns: " + row);
            }
            copied.add(List.copyOf(row));
        }
        rows = List.copyOf(copied);
    }

    /** A table with {@code header}, to fill with {@link #row}. */
    public static Table of(String... header) {
        return new Table(List.of(header), new ArrayList<>());
    }

    /** This table with one more row. */
    public Table row(Object... cells) {
        List<List<String>> more = new ArrayList<>(rows);
        more.add(java.util.Arrays.stream(cells).map(String::valueOf).toList());
        return new Table(header, more);
    }

    /** Aligned text: the first column left-aligned, the others right-aligned, two spaces between. */
    public List<String> lines() {
        int[] widths = new int[header.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = header.get(c).length();
            for (List<String> row : rows) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        List<String> out = new ArrayList<>();
        out.add(line(header, widths));
        rows.forEach(r -> out.add(line(r, widths)));
        return out;
    }

    private static String line(List<String> cells, int[] widths) {
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < cells.size(); c++) {
            String cell = cells.get(c);
            String pad = " ".repeat(widths[c] - cell.length());
            sb.append(c == 0 ? "" : "  ").append(c == 0 ? cell + pad : pad + cell);
        }
        return sb.toString().stripTrailing();
    }

    /** An HTML table (cells escaped), in a box that scrolls sideways if the window is narrower than it. */
    public String html() {
        StringBuilder sb = new StringBuilder("<div class=\"scroll\"><table><tr>");
        header.forEach(h -> sb.append("<th>").append(Html.escape(h)).append("</th>"));
        sb.append("</tr>\n");
        for (List<String> row : rows) {
            sb.append("<tr>");
            row.forEach(c -> sb.append("<td>").append(Html.escape(c)).append("</td>"));
            sb.append("</tr>\n");
        }
        return sb.append("</table></div>\n").toString();
    }
}
