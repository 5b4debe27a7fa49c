package dev.esactors.train.report;

/**
 * The pieces every report page shares: escaping (names, values and paths come from files the user wrote), and the
 * page itself, styled to fit a laptop's window (wide tables scroll inside their own box, never the page).
 */
public final class Html {

    private static final String STYLE = "body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1200px;"
            + "padding:0 1em;color:#111}h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid "
            + "#ddd;padding-bottom:.2em}.scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;"
            + "font-size:.9em;margin:.5em 0}td,th{padding:3px 9px;border-bottom:1px solid #eee;text-align:right;"
            + "white-space:nowrap}th{background:#f6f6f6}td:first-child,th:first-child{text-align:left}"
            + "pre{white-space:pre-wrap;word-break:break-all;background:#f8f8f8;padding:.8em;font-size:.85em}"
            + "p.note{color:#444;font-size:.9em;max-width:60em}";

    private Html() {
    }

    /** Text as HTML shows it literally. */
    public static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** A whole page: {@code title} (escaped here) and {@code body} (HTML already). */
    public static String page(String title, String body) {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                + "content=\"width=device-width\"><title>" + escape(title) + "</title><style>" + STYLE
                + "</style></head><body>\n" + body + "</body></html>\n";
    }

    /** A section heading (escaped here). */
    public static String section(String title) {
        return "<h2>" + escape(title) + "</h2>\n";
    }

    /** A paragraph of explanation, {@code html} already escaped where it must be. */
    public static String note(String html) {
        return "<p class=\"note\">" + html + "</p>\n";
    }
}
