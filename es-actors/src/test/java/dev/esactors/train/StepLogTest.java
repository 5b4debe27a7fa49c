package dev.esactors.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StepLogTest {

    @TempDir
    Path dir;

    @Test
    void aTornLineIsDroppedAndAResumeCutsBackToItsCheckpoint() throws Exception {
        Path file = dir.resolve(StepLog.COUNTS);
        StepLog log = new StepLog(file);
        log.append(0, 8, 100, 0);
        log.append(1, 8, 90, 0);
        log.append(2, 8, 80, 0);
        Files.writeString(file, "8.0 7x", StandardOpenOption.APPEND); // a torn last line
        StepLog reopened = new StepLog(file);
        assertEquals(3, reopened.steps().size(), "the torn line is not a step");
        reopened.keep(2, true);
        assertEquals(2, new StepLog(file).steps().size(), "cut back on disk too");
        assertArrayEquals(new double[] {16, 190, 0}, StepLog.totals(dir));
        assertThrows(IllegalStateException.class, () -> reopened.append(3, 1, 1, 1), "steps in order");
    }

    @Test
    void aDamagedLineWithStepsAfterItIsAnErrorNamingTheLine() throws Exception {
        Path file = dir.resolve(StepLog.COUNTS);
        Files.writeString(file, "8.0 100.0 0.0\n8.0 9x 0.0\n8.0 80.0 0.0\n");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new StepLog(file));
        assertTrue(e.getMessage().contains(file + " line 2 is not a step's numbers ('8.0 9x 0.0')"), e.getMessage());
        Files.writeString(file, "8.0 100.0 0.0\n8.0 9x\n\n"); // torn last, then blank lines: still a torn write
        assertEquals(1, new StepLog(file).steps().size());
    }

    @Test
    void stepsALogMissesAreUnknownNotZero() {
        StepLog log = new StepLog(dir.resolve(StepLog.COUNTS));
        log.append(0, 8, 100, 0);
        assertThrows(IllegalStateException.class, () -> log.keep(2, true));
        log.keep(2, false); // the process died between committing step 1 and logging it
        double[] totals = StepLog.totals(dir);
        assertTrue(Double.isNaN(totals[1]), "tokens unknown: " + java.util.Arrays.toString(totals));
        assertTrue(Double.isNaN(StepLog.totals(dir.resolve("elsewhere"))[0]), "no log: unknown");
    }
}
