package dev.esactors.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the es-actors command line in this JVM, capturing what it prints. */
final class Cli {

    /** Exit code, standard output and standard error of one invocation. */
    record Result(int code, String out, String err) {
    }

    private Cli() {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = EsActorsCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(code, out.toString(), err.toString());
    }
}
