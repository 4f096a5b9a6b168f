package io.freshcache.cli;

import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The top-level {@code freshcache} command: {@code --help}, {@code --version} and the subcommands.
 * Run without a subcommand it reports a usage error.
 *
 * <p>Exit codes: 0 on success, 1 when a command failed while running, 2 for a usage error (unknown
 * option, bad option value, missing subcommand).
 */
@Command(
    name = "freshcache",
    mixinStandardHelpOptions = true,
    versionProvider = FreshcacheCommand.Version.class,
    description = {"A page and fragment cache that knows what each cached entry depends on.", ""},
    subcommands = {DemoCommand.class, ServeCommand.class, FeedsCommand.class, CommandLine.HelpCommand.class},
    usageHelpAutoWidth = true)
public final class FreshcacheCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  /** Creates the command; picocli fills in its fields. */
  public FreshcacheCommand() {}

  /** Runs the command line and exits with its exit code. */
  public static void main(String[] args) {
    productionNetty();
    System.exit(commandLine().execute(args));
  }

  /**
   * Netty's buffer leak detector off, unless the user set its level: at its default level it
   * records a stack trace for one buffer in 128, on every server's hot path, to find bugs that the
   * tests (which run with it on) are there to find. {@code -Dio.netty.leakDetection.level=simple}
   * turns it back on.
   */
  static void productionNetty() {
    if (System.getProperty("io.netty.leakDetection.level") == null
        && System.getProperty("io.netty.leakDetectionLevel") == null) {
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }
  }

  /**
   * A command line for this command as the jar runs it: an exception escaping a subcommand is
   * reported as one line on the error writer (exit code 1) rather than as a stack trace.
   */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new FreshcacheCommand());
    cl.setExecutionExceptionHandler((ex, failed, parseResult) -> {
      failed.getErr().println("freshcache: " + failed.getCommandName() + " failed: " + describe(ex));
      failed.getErr().flush();
      return CommandLine.ExitCode.SOFTWARE;
    });
    return cl;
  }

  /** No subcommand given: a usage error. */
  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand (try 'freshcache demo')");
  }

  /**
   * The message of {@code ex} followed by those of its causes that add something, for one-line
   * error reports.
   */
  static String describe(Throwable ex) {
    StringBuilder sb = new StringBuilder(String.valueOf(ex.getMessage() != null ? ex.getMessage() : ex));
    for (Throwable c = ex.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      if (c.getMessage() != null && !sb.toString().contains(c.getMessage())) {
        sb.append(": ").append(c.getMessage());
      }
    }
    return sb.toString();
  }

  /** {@code --version}: the project version (from the build) and the running JVM. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "freshcache " + projectVersion(),
        "JVM: " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.vendor") + ", "
            + System.getProperty("java.vm.name") + ")"
      };
    }

    /** The version Maven wrote into {@code version.properties}, or "unknown" outside a Maven build. */
    static String projectVersion() {
      try (InputStream in = FreshcacheCommand.class.getResourceAsStream("version.properties")) {
        if (in == null) {
          return "unknown";
        }
        Properties p = new Properties();
        p.load(in);
        String v = p.getProperty("version", "unknown");
        return v.startsWith("${") ? "unknown" : v;
      } catch (IOException e) {
        return "unknown";
      }
    }
  }
}
