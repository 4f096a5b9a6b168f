package io.freshcache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class FreshcacheCommandTest {

  @Test
  void theJarTurnsNettysLeakDetectorOffUnlessTheUserSetItsLevel() {
    ResourceLeakDetector.Level before = ResourceLeakDetector.getLevel();
    try {
      ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
      System.setProperty("io.netty.leakDetection.level", "paranoid");
      FreshcacheCommand.productionNetty();
      assertThat(ResourceLeakDetector.getLevel()).as("the user's setting wins")
          .isEqualTo(ResourceLeakDetector.Level.SIMPLE);
      System.clearProperty("io.netty.leakDetection.level");
      FreshcacheCommand.productionNetty();
      assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.DISABLED);
    } finally {
      System.clearProperty("io.netty.leakDetection.level");
      ResourceLeakDetector.setLevel(before);
    }
  }

  @Test
  void helpListsTheDemoSubcommand() {
    Run r = Run.of("--help");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("Usage: freshcache").contains("--version").containsPattern("(?m)^\\s+demo\\s+\\S");
    assertThat(r.err()).isEmpty();
  }

  @Test
  void versionNamesTheCommandAndTheJvm() {
    Run r = Run.of("--version");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).startsWith("freshcache ").contains("JVM: " + System.getProperty("java.version"));
  }

  @Test
  void demoHelpDescribesItsPort() {
    Run r = Run.of("demo", "--help");

    assertThat(r.exitCode()).isZero();
    assertThat(r.out()).contains("Usage: freshcache demo").contains("--port=N").contains("8080");
  }

  @Test
  void noSubcommandIsAUsageError() {
    Run r = Run.of();

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("Missing subcommand").contains("Usage: freshcache");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void unknownSubcommandIsAUsageError() {
    Run r = Run.of("nonesuch");

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("Unmatched argument").contains("'nonesuch'");
  }

  @Test
  void jarCommandLineReportsAFailureInOneLine() {
    CommandLine cl = FreshcacheCommand.commandLine();
    cl.addSubcommand("boom", new Boom());
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err, true));

    assertThat(cl.execute("boom")).isEqualTo(1);
    assertThat(err.toString()).isEqualTo("freshcache: boom failed: outer: disk on fire" + System.lineSeparator());
  }

  @Test
  void jarCommandLineBehavesTheSame() {
    assertThat(Run.asJar("--help").out()).contains("demo");
    assertThat(Run.asJar("demo", "--render-ms", "-5").exitCode()).isEqualTo(2);
  }

  @CommandLine.Command(name = "boom")
  static final class Boom implements Callable<Integer> {
    @Override
    public Integer call() {
      throw new IllegalStateException("outer", new java.io.IOException("disk on fire"));
    }
  }
}
