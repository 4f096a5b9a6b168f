package io.freshcache.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.freshcache.core.Freshcache;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.File;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's library example compiles against the real API and runs. */
class ReadmeExampleTest {

  @Test
  void javaExampleCompilesAndRuns(@TempDir Path dir) throws Exception {
    Path readme = Path.of("").toAbsolutePath().resolveSibling("README.md");
    assumeTrue(Files.isRegularFile(readme), "README.md next to the cli module");
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assumeTrue(javac != null, "a JDK (javax.tools)");

    Matcher block = Pattern.compile("(?s)```java\\n(.*?)```").matcher(Files.readString(readme));
    assertThat(block.find()).as("a ```java block in README.md").isTrue();
    StringBuilder imports = new StringBuilder();
    StringBuilder body = new StringBuilder();
    for (String line : block.group(1).split("\n")) {
      (line.startsWith("import ") ? imports : body).append(line).append('\n');
    }
    Path source = dir.resolve("ReadmeExample.java");
    Files.writeString(source, imports + "public final class ReadmeExample {\n"
        + "  public static void run() throws Exception {\n" + body + "  }\n}\n");

    String classpath = location(Freshcache.class) + File.pathSeparator + location(MeterBinder.class);
    StringWriter diagnostics = new StringWriter();
    boolean ok = javac.getTask(diagnostics, null, null,
        List.of("-classpath", classpath, "-d", dir.toString(), "--release", "17", "-Xlint:all", "-Werror"),
        null, javac.getStandardFileManager(null, null, null).getJavaFileObjects(source.toFile())).call();
    assertThat(ok).as("README example compiles:%n%s", diagnostics).isTrue();

    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      loader.loadClass("ReadmeExample").getMethod("run").invoke(null);
    }
  }

  private static String location(Class<?> c) throws URISyntaxException {
    return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
  }
}
