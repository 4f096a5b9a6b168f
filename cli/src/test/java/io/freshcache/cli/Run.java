package io.freshcache.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/** Runs {@code freshcache} in-process and captures what it writes. */
record Run(int exitCode, String out, String err) {

  static Run of(String... args) {
    return run(new CommandLine(new FreshcacheCommand()), args);
  }

  /** Like {@link #of}, on the command line the jar's main method uses. */
  static Run asJar(String... args) {
    return run(FreshcacheCommand.commandLine(), args);
  }

  private static Run run(CommandLine cl, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Run(code, out.toString(), err.toString());
  }
}
