package dev.esactors.train.report;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chart writer's axes, labels and escaping, without a browser (ReportBrowserTest looks at them in one). */
class ChartTest {

    private static List<String> labels(Chart.Axis axis) {
        return axis.ticks().stream().map(axis::label).toList();
    }

    @Test
    void axesTickAtRoundValuesAndConstantDataGetsARange() {
        assertEquals(List.of("0", "0.2", "0.4", "0.6", "0.8", "1.0"), labels(Chart.Axis.of(0, 0)),
                "all zeros: 0 to 1, not a 1e-9 sliver");
        assertEquals(List.of("0", "5k", "10k", "15k", "20k"), labels(Chart.Axis.of(0, 19_200)));
        assertEquals(List.of("0.15", "0.20", "0.25", "0.30"), labels(Chart.Axis.of(0.16, 0.29)));
        Chart.Axis constant = Chart.Axis.of(0.25, 0.25);
        assertTrue(constant.lo() < 0.25 && constant.hi() > 0.25 && constant.ticks().size() >= 3, constant.toString());
        assertEquals(List.of("-1.0", "-0.5", "0", "0.5", "1.0"), labels(Chart.Axis.of(-1, 1)));
    }

    @Test
    void aChartHasTicksOnBothAxesALegendAndNothingUnescaped() {
        String svg = Chart.svg("t", List.of(Chart.Series.line("<b>arm</b>", "#000", new double[] {1, 2, 3},
                new double[] {0.1, 0.3, 0.2})), "iteration", "accuracy");
        assertTrue(svg.contains(">&lt;b&gt;arm&lt;/b&gt;</text>"), svg);
        assertFalse(svg.contains("<b>"));
        assertTrue(svg.contains(">0.10</text>") && svg.contains(">0.30</text>") && svg.contains(">2.0</text>"), svg);
        assertEquals("", Chart.svg("t", List.of(Chart.Series.line("a", "#000", new double[] {1},
                new double[] {Double.NaN})), "x", "y"), "nothing finite: no chart");
    }

    @Test
    void theMovingAverageTrailsAndSkipsGaps() {
        assertArrayEquals(new double[] {1, 1.5, 2.5, 3.5}, Chart.movingAverage(new double[] {1, 2, 3, 4}, 2));
        assertArrayEquals(new double[] {1, 1, 3}, Chart.movingAverage(new double[] {1, Double.NaN, 3}, 2));
    }
}
