package io.freshcache.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.freshcache.core.Encoding;
import io.freshcache.proxy.ProxyConfig;
import java.lang.reflect.RecordComponent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Merging options, the config file and the environment into a {@link ProxyConfig}; the parsers. */
class ServeOptionsTest {
  private static final Function<String, String> NO_ENV = name -> null;

  @TempDir
  Path dir;

  private Path yaml(String text) throws Exception {
    Path file = dir.resolve("serve.yaml");
    Files.writeString(file, text);
    return file;
  }

  private static Map<String, String> options(String... keysAndValues) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  @Test
  void everyProxyConfigComponentIsASettingInOrder() {
    List<String> components = new ArrayList<>();
    for (RecordComponent c : ProxyConfig.class.getRecordComponents()) {
      components.add(c.getName());
    }
    List<String> keys = ServeOptions.SETTINGS.stream().map(ServeOptions.Setting::key).toList();

    assertThat(keys).isEqualTo(components);
  }

  @Test
  void shownDefaultsAreProxyConfigDefaults() {
    ProxyConfig d = ProxyConfig.builder(URI.create("http://127.0.0.1:3000")).build();
    Map<String, String> shown = new HashMap<>();
    ServeOptions.SETTINGS.forEach(s -> shown.put(s.key(), s.defaultText()));

    assertThat(ServeOptions.address("", shown.get("listen"))).isEqualTo(d.listen());
    assertThat(ServeOptions.size("", shown.get("maximumBytes"))).isEqualTo(d.maximumBytes());
    assertThat(ServeOptions.encoding("", shown.get("compression"))).isEqualTo(d.compression());
    assertThat(ServeOptions.size("", shown.get("compressionMinBytes"))).isEqualTo(d.compressionMinBytes());
    assertThat(ServeOptions.size("", shown.get("maxHeaderBytes"))).isEqualTo(d.maxHeaderBytes());
    assertThat(ServeOptions.size("", shown.get("maxCacheableBodyBytes"))).isEqualTo(d.maxCacheableBodyBytes());
    assertThat(ServeOptions.size("", shown.get("maxRequestBodyBytes"))).isEqualTo(d.maxRequestBodyBytes());
    assertThat(ServeOptions.duration("", shown.get("originConnectTimeout"))).isEqualTo(d.originConnectTimeout());
    assertThat(ServeOptions.duration("", shown.get("originResponseTimeout"))).isEqualTo(d.originResponseTimeout());
    assertThat(ServeOptions.duration("", shown.get("clientHeaderTimeout"))).isEqualTo(d.clientHeaderTimeout());
    assertThat(ServeOptions.duration("", shown.get("clientIdleTimeout"))).isEqualTo(d.clientIdleTimeout());
    assertThat(ServeOptions.duration("", shown.get("clientBodyTimeout"))).isEqualTo(d.clientBodyTimeout());
    assertThat(ServeOptions.duration("", shown.get("shutdownGrace"))).isEqualTo(d.shutdownGrace());
    assertThat(ServeOptions.bool("", shown.get("esi"))).isEqualTo(d.esi());
    assertThat(ServeOptions.bool("", shown.get("accessLog"))).isEqualTo(d.accessLog());
    assertThat(ServeOptions.integer("", shown.get("esiMaxDepth"))).isEqualTo(d.esiMaxDepth());
    assertThat(ServeOptions.integer("", shown.get("esiMaxIncludes"))).isEqualTo(d.esiMaxIncludes());
    assertThat(shown.get("ioThreads")).startsWith(d.ioThreads() + ":");
    assertThat(d.admin()).isNull();
    assertThat(d.adminToken()).isNull();
    assertThat(d.userCookie()).isNull();
    assertThat(d.userHeader()).isNull();
  }

  @Test
  void fileValuesApplyAndOptionsWin() throws Exception {
    Path file = yaml("""
        origin: http://127.0.0.1:3000
        listen: 127.0.0.1:8081
        maximumBytes: 64m
        max-header-bytes: 32k          # the option's spelling works too
        originResponseTimeout: 5s
        esi: false
        accessLog: off
        ioThreads: 2
        userCookie: session
        """);

    ProxyConfig c = ServeOptions.resolve(options("listen", "127.0.0.1:9000", "ioThreads", "4"), file, NO_ENV);

    assertThat(c.origin()).isEqualTo(URI.create("http://127.0.0.1:3000"));
    assertThat(c.listen()).isEqualTo(new InetSocketAddress("127.0.0.1", 9000));
    assertThat(c.ioThreads()).isEqualTo(4);
    assertThat(c.maximumBytes()).isEqualTo(64L << 20);
    assertThat(c.maxHeaderBytes()).isEqualTo(32 * 1024);
    assertThat(c.originResponseTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.esi()).isFalse();
    assertThat(c.accessLog()).isFalse();
    assertThat(c.userCookie()).isEqualTo("session");
    assertThat(c.shutdownGrace()).isEqualTo(Duration.ofSeconds(10)); // untouched default
  }

  @Test
  void clientTimeoutsFromFileAndOptionsAreChecked() throws Exception {
    Path file = yaml("""
        origin: http://127.0.0.1:3000
        clientHeaderTimeout: 5s
        client-idle-timeout: 2m
        """);

    ProxyConfig c = ServeOptions.resolve(options("clientBodyTimeout", "750ms"), file, NO_ENV);

    assertThat(c.clientHeaderTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.clientIdleTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.clientBodyTimeout()).isEqualTo(Duration.ofMillis(750));
    assertThatThrownBy(() -> ServeOptions.resolve(options("origin", "http://127.0.0.1:3000",
        "clientIdleTimeout", "0"), null, NO_ENV)).hasMessage("clientIdleTimeout: PT0S (expected: 1ms..24h)");
    assertThatThrownBy(() -> ServeOptions.resolve(options("origin", "http://127.0.0.1:3000",
        "clientHeaderTimeout", "soon"), null, NO_ENV))
        .hasMessage("--client-header-timeout: 'soon' (expected: a duration such as 500ms, 30s, 2m or 1h)");
  }

  @Test
  void optionsAloneAndDefaults() {
    ProxyConfig c = ServeOptions.resolve(options("origin", "http://localhost:3000"), null, NO_ENV);

    assertThat(c).isEqualTo(ProxyConfig.builder(URI.create("http://localhost:3000")).build());
  }

  @Test
  void adminTokenComesFromOptionThenFileThenEnvironment() throws Exception {
    Function<String, String> env = name -> name.equals(ProxyConfig.ADMIN_TOKEN_ENV) ? "from-env" : null;
    Map<String, String> o = options("origin", "http://127.0.0.1:3000");

    assertThat(ServeOptions.resolve(o, null, env).adminToken()).isEqualTo("from-env");
    assertThat(ServeOptions.resolve(o, null, name -> "").adminToken()).as("empty is unset").isNull();
    Path file = yaml("adminToken: from-file\n");
    assertThat(ServeOptions.resolve(o, file, env).adminToken()).isEqualTo("from-file");
    o.put("adminToken", "from-option");
    assertThat(ServeOptions.resolve(o, file, env).adminToken()).isEqualTo("from-option");
  }

  @Test
  void nonLoopbackAdminWithoutTokenIsRefused() {
    assertThatThrownBy(() -> ServeOptions.resolve(
        options("origin", "http://127.0.0.1:3000", "admin", "0.0.0.0:9090"), null, NO_ENV))
        .hasMessageStartingWith("admin: 0.0.0.0:9090 is not a loopback address and no admin token is set");
    assertThat(ServeOptions.resolve(options("origin", "http://127.0.0.1:3000", "admin", "0.0.0.0:9090"), null,
        name -> "t").admin()).isEqualTo(new InetSocketAddress("0.0.0.0", 9090));
  }

  @Test
  void originIsRequired() throws Exception {
    assertThatThrownBy(() -> ServeOptions.resolve(options(), yaml("listen: 127.0.0.1:1\n"), NO_ENV))
        .hasMessage("origin: missing (expected: --origin http://HOST:PORT, or 'origin:' in a --config file)");
    assertThatThrownBy(() -> ServeOptions.resolve(options("origin", "https://127.0.0.1:3000"), null, NO_ENV))
        .hasMessage("origin: https://127.0.0.1:3000 (expected: http://HOST:PORT)");
    assertThatThrownBy(() -> ServeOptions.resolve(options("origin", "http://a b"), null, NO_ENV))
        .hasMessage("--origin: 'http://a b' (expected: http://HOST:PORT)");
  }

  @Test
  void fileErrorsNameTheFileAndTheKey() throws Exception {
    Path file = yaml("origin: http://127.0.0.1:3000\nmaxBytes: 1g\n");
    assertThatThrownBy(() -> ServeOptions.resolve(options(), file, NO_ENV))
        .hasMessageStartingWith("config " + file + ": unknown key 'maxBytes' (expected one of: origin, listen, admin,");

    Path twice = yaml("maximumBytes: 1g\nmax-bytes: 2g\n");
    assertThatThrownBy(() -> ServeOptions.readFile(twice))
        .hasMessage("config " + twice + ": 'maximumBytes' and 'max-bytes' are the same setting (expected: one of them)");

    Path bad = yaml("origin: http://127.0.0.1:3000\nmaximumBytes: lots\n");
    assertThatThrownBy(() -> ServeOptions.resolve(options(), bad, NO_ENV))
        .hasMessage("maximumBytes in " + bad + ": 'lots' (expected: a size such as 123k, 256m or 1g, or a number of bytes)");
    // The same value given as an option is named as the option, and wins over the file's bad one.
    assertThatThrownBy(() -> ServeOptions.resolve(options("maximumBytes", "12x"), bad, NO_ENV))
        .hasMessageStartingWith("--max-bytes: '12x' (expected: a size");
    assertThat(ServeOptions.resolve(options("maximumBytes", "1m"), bad, NO_ENV).maximumBytes()).isEqualTo(1 << 20);

    Path lz4 = yaml("origin: http://127.0.0.1:3000\ncompression: lz4\n");
    assertThatThrownBy(() -> ServeOptions.resolve(options(), lz4, NO_ENV))
        .hasMessage("compression in " + lz4 + ": 'lz4' (expected: gzip, br, zstd or identity)");
    assertThat(ServeOptions.resolve(options("compression", "br"), lz4, NO_ENV).compression()).isEqualTo(Encoding.BR);

    Path nested = yaml("listen:\n  host: 127.0.0.1\n");
    assertThatThrownBy(() -> ServeOptions.readFile(nested))
        .hasMessage("config " + nested + ": listen: a YAML mapping (expected: a single value)");
    Path list = yaml("- origin\n");
    assertThatThrownBy(() -> ServeOptions.readFile(list))
        .hasMessage("config " + list + ": a YAML list (expected: a mapping of settings such as 'origin: http://127.0.0.1:3000')");
    Path broken = yaml("origin: [unclosed\n");
    assertThatThrownBy(() -> ServeOptions.readFile(broken)).hasMessageStartingWith("config " + broken + ": not valid YAML: ")
        .hasMessageContaining("line ").hasMessageNotContaining("\n");
    Path dup = yaml("origin: a\norigin: b\n");
    assertThatThrownBy(() -> ServeOptions.readFile(dup)).hasMessageStartingWith("config " + dup + ": not valid YAML: ")
        .hasMessageContaining("origin");
    Path missing = dir.resolve("nope.yaml");
    assertThatThrownBy(() -> ServeOptions.readFile(missing)).hasMessage("config " + missing + ": no such file");
  }

  @Test
  void emptyFileAndNullValuesMeanDefaults() throws Exception {
    assertThat(ServeOptions.readFile(yaml(""))).isEmpty();
    assertThat(ServeOptions.readFile(yaml("# nothing\n"))).isEmpty();
    assertThat(ServeOptions.readFile(yaml("admin:\nesi: true\n"))).containsExactly(Map.entry("esi", "true"));
  }

  @Test
  void sizes() {
    assertThat(ServeOptions.size("s", "123")).isEqualTo(123);
    assertThat(ServeOptions.size("s", "123k")).isEqualTo(123 * 1024);
    assertThat(ServeOptions.size("s", "256m")).isEqualTo(256L << 20);
    assertThat(ServeOptions.size("s", "1g")).isEqualTo(1L << 30);
    assertThat(ServeOptions.size("s", "1G")).isEqualTo(1L << 30);
    assertThat(ServeOptions.size("s", "2GiB")).isEqualTo(2L << 30);
    assertThat(ServeOptions.size("s", "64kb")).isEqualTo(64 * 1024);
    assertThat(ServeOptions.size("s", "512b")).isEqualTo(512);
    for (String bad : List.of("", "-1", "1.5m", "1 m", "m", "1x", "12ib", "1mm")) {
      assertThatThrownBy(() -> ServeOptions.size("--max-bytes", bad)).as(bad)
          .hasMessage("--max-bytes: '" + bad + "' (expected: a size such as 123k, 256m or 1g, or a number of bytes)");
    }
    assertThatThrownBy(() -> ServeOptions.size("s", "9999999999999t")).hasMessage("s: '9999999999999t' (expected: at most 9223372036854775807 bytes)");
    assertThatThrownBy(() -> ServeOptions.intSize("s", "2g")).hasMessage("s: '2g' (expected: at most 2147483647 bytes)");
  }

  @Test
  void durations() {
    assertThat(ServeOptions.duration("d", "500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(ServeOptions.duration("d", "30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(ServeOptions.duration("d", "2m")).isEqualTo(Duration.ofMinutes(2));
    assertThat(ServeOptions.duration("d", "1h")).isEqualTo(Duration.ofHours(1));
    assertThat(ServeOptions.duration("d", "0")).isEqualTo(Duration.ZERO);
    assertThat(ServeOptions.duration("d", "PT1M30S")).isEqualTo(Duration.ofSeconds(90));
    for (String bad : List.of("", "30", "1.5s", "-1s", "10 s", "1d", "Pfoo")) {
      assertThatThrownBy(() -> ServeOptions.duration("--origin-timeout", bad)).as(bad)
          .hasMessage("--origin-timeout: '" + bad + "' (expected: a duration such as 500ms, 30s, 2m or 1h)");
    }
    assertThatThrownBy(() -> ServeOptions.resolve(options("origin", "http://h:1", "originResponseTimeout", "0"), null, NO_ENV))
        .hasMessage("originResponseTimeout: PT0S (expected: > 0)");
  }

  @Test
  void addresses() throws Exception {
    assertThat(ServeOptions.address("a", "127.0.0.1:8080")).isEqualTo(new InetSocketAddress("127.0.0.1", 8080));
    assertThat(ServeOptions.address("a", "[::1]:8080"))
        .isEqualTo(new InetSocketAddress(InetAddress.getByName("::1"), 8080));
    assertThat(ServeOptions.address("a", "localhost:0").getAddress().isLoopbackAddress()).isTrue();
    assertThat(ServeOptions.address("a", "0.0.0.0:65535").getPort()).isEqualTo(65535);
    String expected = " (expected: HOST:PORT such as 127.0.0.1:8080, IPv6 in brackets as [::1]:8080)";
    assertThatThrownBy(() -> ServeOptions.address("--listen", "8080")).hasMessage("--listen: '8080'" + expected);
    assertThatThrownBy(() -> ServeOptions.address("--listen", "::1:8080")).hasMessage("--listen: '::1:8080'" + expected);
    assertThatThrownBy(() -> ServeOptions.address("--listen", "[::1]")).hasMessage("--listen: '[::1]'" + expected);
    assertThatThrownBy(() -> ServeOptions.address("--listen", "[::1]8080")).hasMessage("--listen: '[::1]8080'" + expected);
    assertThatThrownBy(() -> ServeOptions.address("--listen", ":8080")).hasMessage("--listen: ':8080' has no host" + expected);
    assertThatThrownBy(() -> ServeOptions.address("--listen", "127.0.0.1:70000"))
        .hasMessage("--listen: '127.0.0.1:70000': port '70000' (expected: 0..65535)");
    assertThatThrownBy(() -> ServeOptions.address("--listen", "127.0.0.1:+80"))
        .hasMessage("--listen: '127.0.0.1:+80': port '+80' (expected: 0..65535)");
    assertThatThrownBy(() -> ServeOptions.address("--listen", "no-such-host.invalid:80"))
        .hasMessage("--listen: 'no-such-host.invalid:80': unknown host 'no-such-host.invalid'");
  }

  @Test
  void booleansAndIntegers() {
    assertThat(ServeOptions.bool("b", "Yes")).isTrue();
    assertThat(ServeOptions.bool("b", "off")).isFalse();
    assertThatThrownBy(() -> ServeOptions.bool("esi in f", "maybe")).hasMessage("esi in f: 'maybe' (expected: true or false)");
    assertThatThrownBy(() -> ServeOptions.integer("--io-threads", "two")).hasMessage("--io-threads: 'two' (expected: an integer)");
  }
}
