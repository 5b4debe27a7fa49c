package dev.esactors.rewards.arc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.esactors.rewards.DatasetException;
import dev.esactors.rewards.Score;
import dev.esactors.rewards.Task;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * ARC-AGI-1 and ARC-AGI-2: infer the rule from demonstration pairs and produce the test output grid. Reward 1 for
 * the exact grid; optionally {@code partial} x cell accuracy when the shape is right. Range [0, 1].
 */
public final class ArcTask implements Task<ArcItem> {

    private final double partial;

    public ArcTask(double partial) {
        if (!(partial >= 0 && partial < 1)) {
            throw new IllegalArgumentException("partial credit weight must be in [0, 1), got " + partial);
        }
        this.partial = partial;
    }

    @Override
    public String name() {
        return "arc";
    }

    @Override
    public String description() {
        return "ARC-AGI-1/2 grid puzzles: reward 1 for the exact output grid, else partial x cell accuracy when the "
                + "shape is right (default partial 0)";
    }

    /** A task file ({@code train}, {@code test}) or a directory of them: one item per test pair. */
    @Override
    public List<ArcItem> load(Path path) {
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(path)) {
            try (Stream<Path> list = Files.list(path)) {
                list.filter(p -> p.toString().endsWith(".json")).sorted().forEach(files::add);
            } catch (IOException e) {
                throw new DatasetException(path, 0, "cannot list the directory: " + e.getMessage());
            }
        } else if (Files.isRegularFile(path)) {
            files.add(path);
        } else {
            throw new DatasetException(path, 0, "file not found");
        }
        ObjectMapper json = new ObjectMapper();
        List<ArcItem> items = new ArrayList<>();
        for (Path file : files) {
            JsonNode root;
            try {
                root = json.readTree(file.toFile());
            } catch (IOException e) {
                throw new DatasetException(file, 0, "bad JSON: " + e.getMessage());
            } catch (StackOverflowError e) { // Jackson 2.11 parses nesting by recursion
                throw new DatasetException(file, 0, "JSON nested too deeply");
            }
            String taskId = file.getFileName().toString().replaceFirst("\\.json$", "");
            items.addAll(items(root, taskId, file.toString()));
        }
        return items;
    }

    private static List<ArcItem> items(JsonNode root, String taskId, String where) {
        if (root == null || !root.isObject()) {
            throw new DatasetException(where, "an ARC task is a JSON object with 'train' and 'test'");
        }
        List<ArcItem.Pair> train = pairs(root, "train", where, true);
        List<ArcItem.Pair> test = pairs(root, "test", where, true);
        List<ArcItem> out = new ArrayList<>();
        for (int i = 0; i < test.size(); i++) {
            out.add(new ArcItem(taskId + "#" + i, train, test.get(i).input(), test.get(i).output()));
        }
        return out;
    }

    private static List<ArcItem.Pair> pairs(JsonNode root, String field, String where, boolean needOutput) {
        JsonNode array = root.get(field);
        if (array == null || !array.isArray() || array.isEmpty()) {
            throw new DatasetException(where, "missing non-empty array '" + field + "'");
        }
        List<ArcItem.Pair> pairs = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            String at = where + " " + field + "[" + i + "]";
            pairs.add(new ArcItem.Pair(grid(array.get(i).get("input"), at + ".input"),
                    grid(array.get(i).get("output"), at + ".output")));
        }
        return pairs;
    }

    private static int[][] grid(JsonNode node, String where) {
        if (node == null || !node.isArray() || node.isEmpty() || node.size() > ArcGrids.MAX_SIDE) {
            throw new DatasetException(where, "a grid is a non-empty array of at most 30 rows");
        }
        int[][] grid = new int[node.size()][];
        for (int r = 0; r < node.size(); r++) {
            JsonNode row = node.get(r);
            if (!row.isArray() || row.isEmpty() || row.size() > ArcGrids.MAX_SIDE || row.size() != node.get(0).size()) {
                throw new DatasetException(where, "row " + r + " must be a non-empty array as long as row 0");
            }
            grid[r] = new int[row.size()];
            for (int c = 0; c < row.size(); c++) {
                int v = row.get(c).asInt(-1);
                if (!row.get(c).isInt() || v < 0 || v > 9) {
                    throw new DatasetException(where, "cell (" + r + ", " + c + ") must be a digit 0-9, got " + row.get(c));
                }
                grid[r][c] = v;
            }
        }
        return grid;
    }

    @Override
    public ArcItem parseItem(JsonNode node, String where) {
        List<ArcItem> items = items(node, node.path("id").asText(where), where);
        return items.get(0);
    }

    @Override
    public String userPrompt(ArcItem item) {
        StringBuilder sb = new StringBuilder("Find the common rule that maps each input grid to its output grid in "
                + "the examples, then apply it to the test input. Grids are rows of digits 0-9.\n");
        for (int i = 0; i < item.train().size(); i++) {
            sb.append("\nExample ").append(i + 1).append(" input:\n").append(ArcGrids.render(item.train().get(i).input()))
                    .append("\nExample ").append(i + 1).append(" output:\n")
                    .append(ArcGrids.render(item.train().get(i).output())).append('\n');
        }
        sb.append("\nTest input:\n").append(ArcGrids.render(item.input()))
                .append("\n\nGive the test output grid, one row per line, inside <answer></answer>.");
        return sb.toString();
    }

    @Override
    public Score score(ArcItem item, String completion) {
        int[][] grid = ArcGrids.parse(completion);
        if (grid == null) {
            return new Score(0, false, false, "", "no rectangular digit grid found");
        }
        String extracted = ArcGrids.render(grid);
        if (Arrays.deepEquals(grid, item.output())) {
            return new Score(1, true, true, extracted, "exact grid");
        }
        boolean shape = grid.length == item.output().length && grid[0].length == item.output()[0].length;
        if (!shape) {
            return new Score(0, true, false, extracted, "shape " + grid.length + "x" + grid[0].length + ", expected "
                    + item.output().length + "x" + item.output()[0].length);
        }
        int right = 0;
        int cells = grid.length * grid[0].length;
        for (int r = 0; r < grid.length; r++) {
            for (int c = 0; c < grid[0].length; c++) {
                right += grid[r][c] == item.output()[r][c] ? 1 : 0;
            }
        }
        return new Score(partial * right / cells, true, false, extracted, "shape right, " + right + "/" + cells + " cells right");
    }
}
