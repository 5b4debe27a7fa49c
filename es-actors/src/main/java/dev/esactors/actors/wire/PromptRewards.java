package dev.esactors.actors.wire;

/**
 * Members' rewards on each prompt (per-prompt shaping's input) as they cross the network: one {@link WireUpdate} of
 * the rows laid end to end, so that outcome rewards travel as one byte each. A failed member's row (empty) travels
 * as a row of NaN and is read back as empty.
 */
public final class PromptRewards {

    private PromptRewards() {
    }

    /** {@code rows} as one code; null when there are none (shapings other than per-prompt). */
    public static WireUpdate encode(double[][] rows) {
        int width = 0;
        for (double[] row : rows) {
            width = Math.max(width, row.length);
        }
        if (rows.length == 0 || width == 0) {
            return null;
        }
        double[] flat = new double[rows.length * width];
        for (int n = 0; n < rows.length; n++) {
            for (int p = 0; p < width; p++) {
                flat[n * width + p] = rows[n].length == 0 ? Double.NaN : rows[n][p];
            }
        }
        return WireUpdate.of(flat, false);
    }

    /** The {@code members} rows of {@code code} (none for null). */
    public static double[][] decode(WireUpdate code, int members) {
        if (code == null) {
            return new double[0][];
        }
        double[] flat = code.rewards();
        if (members == 0 || flat.length % members != 0) {
            throw new IllegalArgumentException(flat.length + " prompt rewards do not make rows for " + members
                    + " members");
        }
        int width = flat.length / members;
        double[][] rows = new double[members][];
        for (int n = 0; n < members; n++) {
            double[] row = java.util.Arrays.copyOfRange(flat, n * width, (n + 1) * width);
            rows[n] = java.util.Arrays.stream(row).allMatch(Double::isNaN) ? new double[0] : row;
        }
        return rows;
    }
}
