package io.freshcache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.freshcache.proxy.ProxyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * {@code freshcache serve --config FILE} files from a fuzzer. Oracle: the file resolves to a
 * configuration, or is refused with an {@link IllegalArgumentException} whose message names the
 * file or a setting: never another exception, which {@code serve} would show as a stack trace.
 *
 * <p>In {@code mvn test} this runs once per input under
 * {@code src/test/resources/io/freshcache/cli/ServeOptionsFuzzTestInputs/}; docs/fuzzing.md says how
 * to fuzz it.
 */
class ServeOptionsFuzzTest {
  private static Path file;

  private static synchronized Path file() throws IOException {
    if (file == null) {
      file = Files.createTempFile("freshcache-fuzz", ".yaml");
      file.toFile().deleteOnExit();
    }
    return file;
  }

  @FuzzTest(maxDuration = "2m")
  void aConfigFileResolvesOrSaysWhy(byte[] yaml) throws IOException {
    Path f = file();
    Files.write(f, yaml);
    try {
      ProxyConfig c = ServeOptions.resolve(Map.of(), f, name -> null);
      assertThat(c.origin()).isNotNull();
    } catch (IllegalArgumentException refused) {
      assertThat(refused.getMessage()).as("a refusal says what").isNotBlank();
    }
  }
}
