package dev.esactors.train.study;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A study file's arms, as {@link StudyPlan} reads them: each a name, a method, the run keys it fixes and up to two
 * axes; refused here, naming the key, are unknown keys, duplicate names, values written twice and keys the study
 * sets in every run itself.
 */
final class StudyArms {

    private static final Set<String> ARM_KEYS = Set.of("name", "method", "set", "axes", "axis", "values");
    /** Keys the study sets in every run itself: an arm or an axis setting them would be overridden or mislabelled. */
    private static final Set<String> OWNED = Set.of("method", "run.id", "run.dir", "run.seed", "run.iterations",
            "run.token-budget", "run.core-seconds", "evaluators.local", "eval.every", "eval.validation", "es.seed");

    private StudyArms() {
    }

    /**
     * Reads the study's arms into {@code arms}, and each arm's fixed run keys into {@code fixed}: study.arms, or the
     * old es and grpo blocks (one axis each, named after their method). With {@code iterationsBound} (a budget in
     * core-seconds) an arm may fix run.iterations: there it is only each run's upper bound and the pace of its
     * held-out rounds, and ES and GRPO buy very different numbers of steps with the same core-seconds.
     */
    static void read(Config study, List<StudyPlan.Arm> arms, List<Config> fixed, boolean iterationsBound) {
        if (study.hasPath("arms") && (study.hasPath("es") || study.hasPath("grpo"))) {
            throw new IllegalArgumentException("study.arms and the study.es / study.grpo blocks are two ways of "
                    + "naming arms: use study.arms only");
        }
        List<Config> blocks = new ArrayList<>();
        List<String> legacy = new ArrayList<>();
        if (study.hasPath("arms")) {
            blocks.addAll(study.getConfigList("arms"));
        } else {
            for (String method : List.of("es", "grpo")) {
                if (study.hasPath(method)) {
                    blocks.add(study.getConfig(method));
                    legacy.add(method);
                }
            }
        }
        if (blocks.isEmpty()) {
            throw new IllegalArgumentException("study has no arms (study.arms, or an es or grpo block)");
        }
        Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < blocks.size(); i++) {
            Config block = blocks.get(i);
            String at = legacy.isEmpty() ? "study.arms[" + i + "]" : "study." + legacy.get(i);
            for (String key : block.root().keySet()) {
                if (!ARM_KEYS.contains(key)) {
                    throw new IllegalArgumentException("unknown key '" + at + "." + key + "' (known: " + ARM_KEYS
                            + ")");
                }
            }
            String method = legacy.isEmpty() ? block.getString("method") : legacy.get(i);
            if (!method.equals("es") && !method.equals("grpo")) {
                throw new IllegalArgumentException(at + ".method must be es or grpo, got '" + method + "'");
            }
            String name = legacy.isEmpty() ? block.getString("name") : method;
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9.+-]*") || !names.add(name)) {
                throw new IllegalArgumentException(at + ".name '" + name + "' must be unique and made of letters, "
                        + "digits, '.', '+' and '-'");
            }
            List<StudyPlan.Axis> axes = new ArrayList<>();
            if (block.hasPath("axes")) {
                for (Config axis : block.getConfigList("axes")) {
                    axes.add(axis(at, axis.getString("key"), axis.getList("values")));
                }
            } else if (block.hasPath("axis")) {
                axes.add(axis(at, block.getString("axis"), block.getList("values")));
            }
            if (axes.size() > 2 || (axes.size() == 2 && axes.get(0).key().equals(axes.get(1).key()))) {
                throw new IllegalArgumentException(at + " has " + axes.size() + " axes: an arm searches one or two "
                        + "distinct keys, or none");
            }
            Config set = block.hasPath("set") ? block.getConfig("set") : com.typesafe.config.ConfigFactory.empty();
            for (Map.Entry<String, ConfigValue> entry : set.entrySet()) {
                if (!(iterationsBound && entry.getKey().equals("run.iterations"))) {
                    owned(at + ".set", entry.getKey());
                }
            }
            arms.add(new StudyPlan.Arm(name, method, axes));
            fixed.add(set);
        }
    }

    private static StudyPlan.Axis axis(String at, String key, List<? extends ConfigValue> values) {
        owned(at + " axis", key);
        if (values.isEmpty()) {
            throw new IllegalArgumentException(at + ": the values of axis " + key + " are empty");
        }
        List<String> texts = values.stream().map(v -> String.valueOf(v.unwrapped())).toList();
        if (Set.copyOf(texts).size() != texts.size()) {
            throw new IllegalArgumentException(at + ": axis " + key + " repeats a value: " + texts);
        }
        if (texts.stream().allMatch(StudyArms::numeric) && texts.stream().map(Double::parseDouble).distinct().count()
                != texts.size()) {
            throw new IllegalArgumentException(at + ": axis " + key + " names one number twice: " + texts);
        }
        return new StudyPlan.Axis(key, texts);
    }

    private static void owned(String at, String key) {
        if (OWNED.contains(key)) {
            throw new IllegalArgumentException(at + " sets " + key + ", which the study sets in every run itself "
                    + "(its method, directory, seed, budget and evaluation pace)");
        }
    }

    static boolean numeric(String value) {
        try {
            Double.parseDouble(value);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
