package io.freshcache.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.freshcache.core.Encoding;
import io.freshcache.proxy.ProxyConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns {@code freshcache serve}'s options and its YAML config file into a {@link ProxyConfig}, and
 * the feeds file and checkpoints directory ({@link #SERVE_SETTINGS}, which are not the proxy's).
 *
 * <p>Every {@link ProxyConfig} component is one {@link Setting}: its YAML key (the component's name),
 * its option, the default as shown in help and docs, and how its text is parsed. Options win over
 * the file; the admin token falls back to {@value ProxyConfig#ADMIN_TOKEN_ENV}. Values are given as
 * text on both sides (a YAML number or boolean is read as its text), so one parser per kind serves
 * both, and every error names where the value came from ({@code --max-bytes} or {@code maximumBytes
 * in FILE}) and what was expected. Range checks are left to {@link ProxyConfig}.
 *
 * <p>Errors are {@link IllegalArgumentException}s with a one-line message.
 */
final class ServeOptions {

  /** How a value's text is applied to the builder; {@code what} names the value for messages. */
  interface Applier {
    void apply(ProxyConfig.Builder b, String what, String text);
  }

  /**
   * One {@link ProxyConfig} component.
   *
   * @param key the component's name, which is the YAML key
   * @param option the command-line option; without its dashes, also accepted as a YAML key
   * @param defaultText the default as help and docs show it
   * @param applier parses and applies a value; null for {@link #SERVE_SETTINGS}
   */
  record Setting(String key, String option, String defaultText, Applier applier) {
    /** The option's name without its leading dashes: the kebab-case YAML spelling. */
    String kebab() {
      return option.substring(2);
    }
  }

  /** Every component of {@link ProxyConfig}, in its order. A test checks none is missing. */
  static final List<Setting> SETTINGS = List.of(
      new Setting("origin", "--origin", "none", (b, w, v) -> b.origin(uri(w, v))),
      new Setting("listen", "--listen", "127.0.0.1:8080", (b, w, v) -> b.listen(address(w, v))),
      new Setting("admin", "--admin", "none: no admin API", (b, w, v) -> b.admin(address(w, v))),
      new Setting("adminToken", "--admin-token", "$" + ProxyConfig.ADMIN_TOKEN_ENV + ", else none",
          (b, w, v) -> b.adminToken(v)),
      new Setting("userCookie", "--user-cookie", "none", (b, w, v) -> b.userCookie(v)),
      new Setting("userHeader", "--user-header", "none", (b, w, v) -> b.userHeader(v)),
      new Setting("maximumBytes", "--max-bytes", "256m", (b, w, v) -> b.maximumBytes(size(w, v))),
      new Setting("compression", "--compression", "gzip", (b, w, v) -> b.compression(encoding(w, v))),
      new Setting("compressionMinBytes", "--compression-min", "1k",
          (b, w, v) -> b.compressionMinBytes(intSize(w, v))),
      new Setting("maxHeaderBytes", "--max-header-bytes", "16k", (b, w, v) -> b.maxHeaderBytes(intSize(w, v))),
      new Setting("maxCacheableBodyBytes", "--max-cacheable-body", "8m",
          (b, w, v) -> b.maxCacheableBodyBytes(size(w, v))),
      new Setting("maxRequestBodyBytes", "--max-request-body", "16m", (b, w, v) -> b.maxRequestBodyBytes(size(w, v))),
      new Setting("originConnectTimeout", "--connect-timeout", "2s",
          (b, w, v) -> b.originConnectTimeout(duration(w, v))),
      new Setting("originResponseTimeout", "--origin-timeout", "30s",
          (b, w, v) -> b.originResponseTimeout(duration(w, v))),
      new Setting("clientHeaderTimeout", "--client-header-timeout", "10s",
          (b, w, v) -> b.clientHeaderTimeout(duration(w, v))),
      new Setting("clientIdleTimeout", "--client-idle-timeout", "60s",
          (b, w, v) -> b.clientIdleTimeout(duration(w, v))),
      new Setting("clientBodyTimeout", "--client-body-timeout", "30s",
          (b, w, v) -> b.clientBodyTimeout(duration(w, v))),
      new Setting("clientSendTimeout", "--client-send-timeout", "60s",
          (b, w, v) -> b.clientSendTimeout(duration(w, v))),
      new Setting("esi", "--esi", "on", (b, w, v) -> b.esi(bool(w, v))),
      new Setting("esiMaxDepth", "--esi-max-depth", "3", (b, w, v) -> b.esiMaxDepth(integer(w, v))),
      new Setting("esiMaxIncludes", "--esi-max-includes", "64", (b, w, v) -> b.esiMaxIncludes(integer(w, v))),
      new Setting("accessLog", "--access-log", "on", (b, w, v) -> b.accessLog(bool(w, v))),
      new Setting("ioThreads", "--io-threads", "0: one per core", (b, w, v) -> b.ioThreads(integer(w, v))),
      new Setting("shutdownGrace", "--shutdown-grace", "10s", (b, w, v) -> b.shutdownGrace(duration(w, v))),
      new Setting("rebuild", "--rebuild", "none", (b, w, v) -> b.rebuild(globs(w, v))),
      new Setting("rebuildRate", "--rebuild-rate", "50", (b, w, v) -> b.rebuildRate(integer(w, v))),
      new Setting("rebuildConcurrency", "--rebuild-concurrency", "4", (b, w, v) -> b.rebuildConcurrency(integer(w, v))),
      new Setting("staleWhileRebuild", "--stale-while-rebuild", "off", (b, w, v) -> b.staleWhileRebuild(bool(w, v))),
      new Setting("transport", "--transport", "nio", (b, w, v) -> b.transport(v)),
      new Setting("bodyFileDir", "--body-file-dir", "auto", (b, w, v) -> b.bodyFileDir(v)));

  /**
   * Settings of {@code serve} itself rather than of {@link ProxyConfig} (no applier): the feeds
   * file and where its sources keep their checkpoints. Same spellings and table as the others.
   */
  static final List<Setting> SERVE_SETTINGS = List.of(
      new Setting("feeds", "--feeds", "none", null),
      new Setting("feedsCheckpoints", "--feeds-checkpoints", "freshcache-checkpoints next to the feeds file", null));

  /**
   * What {@code serve} runs with.
   *
   * @param proxy the proxy's configuration
   * @param feeds the feeds file, or null for none
   * @param feedsCheckpoints the checkpoints directory (null without feeds)
   */
  record Resolved(ProxyConfig proxy, Path feeds, Path feedsCheckpoints) {}

  private static final Pattern SIZE = Pattern.compile("(\\d{1,19})([kmgt]?)(i?b)?", Pattern.CASE_INSENSITIVE);
  private static final Pattern DURATION = Pattern.compile("(\\d{1,12})(ms|s|m|h)", Pattern.CASE_INSENSITIVE);
  private static final String SIZE_EXPECTED = "expected: a size such as 123k, 256m or 1g, or a number of bytes";
  private static final String DURATION_EXPECTED = "expected: a duration such as 500ms, 30s, 2m or 1h";

  /** The YAML reader: duplicate keys are an error, not "last one wins". */
  private static final YAMLMapper YAML = YAMLMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .build();

  /**
   * A value's text and where it came from, for messages; {@code base} is the directory a relative
   * path in it is relative to (the config file's, or null for the working directory).
   */
  private record Value(String text, String what, Path base) {
    Value(String text, String what) {
      this(text, what, null);
    }

    Path path() {
      Path p = Path.of(text.strip());
      return base == null ? p : base.resolve(p);
    }
  }

  private ServeOptions() {}

  /**
   * The configuration from options, an optional config file and the environment.
   *
   * @param options option values by {@link Setting#key()}, for the options given on the command line
   * @param file the YAML config file, or null
   * @param env the environment (for {@value ProxyConfig#ADMIN_TOKEN_ENV})
   * @throws IllegalArgumentException naming the first bad, unknown or missing value
   */
  static ProxyConfig resolve(Map<String, String> options, Path file, Function<String, String> env) {
    return resolveAll(options, file, env).proxy();
  }

  /**
   * {@link #resolve}, and the feeds settings. A relative path in the config file is relative to the
   * file's directory; one given as an option, to the working directory. The checkpoints default to
   * {@code freshcache-checkpoints} in the feeds file's directory: a place that does not move with
   * the working directory of whoever starts the process, since a checkpoint not found again means
   * replaying (or, for some sources, a gap).
   *
   * @throws IllegalArgumentException naming the first bad, unknown or missing value
   */
  static Resolved resolveAll(Map<String, String> options, Path file, Function<String, String> env) {
    Map<String, Value> values = new LinkedHashMap<>();
    if (file != null) {
      Path base = file.toAbsolutePath().getParent();
      readFile(file).forEach((key, text) -> values.put(key, new Value(text, key + " in " + file, base)));
    }
    for (Map.Entry<String, String> e : options.entrySet()) {
      Setting s = setting(e.getKey());
      if (s == null) {
        throw new IllegalArgumentException("no such setting: " + e.getKey()); // a bug in ServeCommand
      }
      if (e.getValue() != null) {
        values.put(s.key(), new Value(e.getValue(), s.option()));
      }
    }
    if (!values.containsKey("adminToken")) {
      String token = env.apply(ProxyConfig.ADMIN_TOKEN_ENV);
      if (token != null && !token.isEmpty()) {
        values.put("adminToken", new Value(token, "$" + ProxyConfig.ADMIN_TOKEN_ENV));
      }
    }
    Value origin = values.get("origin");
    if (origin == null) {
      throw new IllegalArgumentException("origin: missing (expected: --origin http://HOST:PORT, or 'origin:' in a --config file)");
    }
    ProxyConfig.Builder b = ProxyConfig.builder(uri(origin.what(), origin.text()));
    for (Setting s : SETTINGS) {
      Value v = values.get(s.key());
      if (v != null) {
        s.applier().apply(b, v.what(), v.text());
      }
    }
    ProxyConfig proxy = b.build();
    Value feeds = values.get("feeds");
    Value checkpoints = values.get("feedsCheckpoints");
    if (feeds == null) {
      if (checkpoints != null) {
        throw new IllegalArgumentException(checkpoints.what() + ": '" + checkpoints.text()
            + "' without a feeds file (expected: --feeds FILE, or 'feeds:' in a --config file)");
      }
      return new Resolved(proxy, null, null);
    }
    Path feedsFile = path(feeds);
    Path dir = checkpoints != null ? path(checkpoints)
        : feedsFile.toAbsolutePath().getParent().resolve("freshcache-checkpoints");
    return new Resolved(proxy, feedsFile, dir);
  }

  private static Path path(Value v) {
    try {
      return v.path();
    } catch (java.nio.file.InvalidPathException e) {
      throw new IllegalArgumentException(v.what() + ": '" + v.text() + "' (expected: a file path)");
    }
  }

  /** The setting whose YAML key or option name (without dashes) is {@code name}, or null. */
  static Setting setting(String name) {
    for (Setting s : allSettings()) {
      if (s.key().equals(name) || s.kebab().equals(name)) {
        return s;
      }
    }
    return null;
  }

  /**
   * The settings in a YAML file, by {@link Setting#key()}, as text. A null value is left out (the
   * default applies).
   *
   * @throws IllegalArgumentException if the file cannot be read or parsed, or has an unknown key, a
   *     key given twice (in either spelling) or a value that is not a scalar
   */
  static Map<String, String> readFile(Path file) {
    String where = "config " + file;
    JsonNode root;
    try {
      root = YAML.readTree(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(where + ": no such file");
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(where + ": not valid YAML: " + describe(e));
    } catch (IOException e) {
      throw new IllegalArgumentException(where + ": cannot read it: " + e.getMessage());
    }
    Map<String, String> out = new LinkedHashMap<>();
    if (root == null || root.isMissingNode() || root.isNull()) {
      return out; // an empty file: all defaults
    }
    if (!root.isObject()) {
      throw new IllegalArgumentException(where + ": a YAML " + type(root)
          + " (expected: a mapping of settings such as 'origin: http://127.0.0.1:3000')");
    }
    Map<String, String> spelledAs = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String name = field.getKey();
      Setting s = setting(name);
      if (s == null) {
        throw new IllegalArgumentException(where + ": unknown key '" + name + "' (expected one of: " + keys() + ")");
      }
      String earlier = spelledAs.put(s.key(), name);
      if (earlier != null) {
        throw new IllegalArgumentException(where + ": '" + earlier + "' and '" + name + "' are the same setting (expected: one of them)");
      }
      JsonNode value = field.getValue();
      if (value.isContainerNode()) {
        throw new IllegalArgumentException(where + ": " + name + ": a YAML " + type(value) + " (expected: a single value)");
      }
      if (!value.isNull()) {
        out.put(s.key(), value.asText());
      }
    }
    return out;
  }

  /** {@link #SETTINGS}, then {@link #SERVE_SETTINGS}: every key of the config file, in table order. */
  static List<Setting> allSettings() {
    List<Setting> all = new ArrayList<>(SETTINGS);
    all.addAll(SERVE_SETTINGS);
    return all;
  }

  private static String keys() {
    List<String> keys = new ArrayList<>();
    for (Setting s : allSettings()) {
      keys.add(s.key());
    }
    return String.join(", ", keys);
  }

  // ---------------------------------------------------------------- parsers

  /** {@code http://HOST:PORT}; {@link ProxyConfig} checks the rest. */
  static URI uri(String what, String text) {
    try {
      return new URI(text.strip());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException(what + ": '" + text + "' (expected: http://HOST:PORT)");
    }
  }

  /**
   * {@code HOST:PORT}, with an IPv6 host in brackets ({@code [::1]:8080}); port 0 picks a free one.
   * The host is resolved now, so a typo fails at startup rather than at bind time.
   */
  static InetSocketAddress address(String what, String text) {
    String s = text.strip();
    String expected = " (expected: HOST:PORT such as 127.0.0.1:8080, IPv6 in brackets as [::1]:8080)";
    String host;
    String port;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
        throw new IllegalArgumentException(what + ": '" + text + "'" + expected);
      }
      host = s.substring(1, close);
      port = s.substring(close + 2);
    } else {
      int colon = s.lastIndexOf(':');
      if (colon < 0 || s.indexOf(':') != colon) {
        throw new IllegalArgumentException(what + ": '" + text + "'" + expected);
      }
      host = s.substring(0, colon);
      port = s.substring(colon + 1);
    }
    if (host.isEmpty()) {
      throw new IllegalArgumentException(what + ": '" + text + "' has no host" + expected);
    }
    int p;
    try {
      p = Integer.parseInt(port);
    } catch (NumberFormatException e) {
      p = -1;
    }
    if (p < 0 || p > 65535 || !port.chars().allMatch(Character::isDigit)) {
      throw new IllegalArgumentException(what + ": '" + text + "': port '" + port + "' (expected: 0..65535)");
    }
    try {
      return new InetSocketAddress(InetAddress.getByName(host), p);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(what + ": '" + text + "': unknown host '" + host + "'");
    }
  }

  /** Bytes: {@code 123}, {@code 123k}, {@code 256m}, {@code 1g} (binary: k is 1024; "kb"/"kib" too). */
  static long size(String what, String text) {
    Matcher m = SIZE.matcher(text.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException(what + ": '" + text + "' (" + SIZE_EXPECTED + ")");
    }
    if (m.group(3) != null && m.group(2).isEmpty() && m.group(3).length() == 2) {
      throw new IllegalArgumentException(what + ": '" + text + "' (" + SIZE_EXPECTED + ")"); // "12ib"
    }
    int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "k" -> 10;
      case "m" -> 20;
      case "g" -> 30;
      case "t" -> 40;
      default -> 0;
    };
    try {
      long n = Long.parseLong(m.group(1));
      if (n > Long.MAX_VALUE >> shift) {
        throw new NumberFormatException();
      }
      return n << shift;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + ": '" + text + "' (expected: at most " + Long.MAX_VALUE + " bytes)");
    }
  }

  /** A {@link #size} that fits an int. */
  static int intSize(String what, String text) {
    long n = size(what, text);
    if (n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(what + ": '" + text + "' (expected: at most " + Integer.MAX_VALUE + " bytes)");
    }
    return (int) n;
  }

  /** {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, {@code 0}, or ISO-8601 ({@code PT1M30S}). */
  static Duration duration(String what, String text) {
    String s = text.strip();
    if (s.equals("0")) {
      return Duration.ZERO;
    }
    if (s.startsWith("P") || s.startsWith("p")) {
      try {
        return Duration.parse(s);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(what + ": '" + text + "' (" + DURATION_EXPECTED + ")");
      }
    }
    Matcher m = DURATION.matcher(s);
    if (!m.matches()) {
      throw new IllegalArgumentException(what + ": '" + text + "' (" + DURATION_EXPECTED + ")");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      default -> Duration.ofHours(n);
    };
  }

  /** {@code true}/{@code false}, {@code on}/{@code off}, {@code yes}/{@code no}. */
  static boolean bool(String what, String text) {
    switch (text.strip().toLowerCase(Locale.ROOT)) {
      case "true", "on", "yes":
        return true;
      case "false", "off", "no":
        return false;
      default:
        throw new IllegalArgumentException(what + ": '" + text + "' (expected: true or false)");
    }
  }

  /** A comma-separated list of path globs ({@code /wiki/**,/news/*}); checked by ProxyConfig. */
  static List<String> globs(String what, String text) {
    List<String> out = new java.util.ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        out.add(part.strip());
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(what + ": '" + text + "' (expected: path globs such as /wiki/**,/news/*)");
    }
    return out;
  }

  /** A stored coding: {@code gzip}, {@code br}, {@code zstd} or {@code identity} (any case). */
  static Encoding encoding(String what, String text) {
    try {
      return Encoding.ofToken(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(what + ": '" + text + "' (expected: gzip, br, zstd or identity)");
    }
  }

  static int integer(String what, String text) {
    try {
      return Integer.parseInt(text.strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + ": '" + text + "' (expected: an integer)");
    }
  }

  private static String type(JsonNode node) {
    return node.isArray() ? "list" : node.isObject() ? "mapping" : node.getNodeType().toString().toLowerCase(Locale.ROOT);
  }

  private static String describe(JsonProcessingException e) {
    String message = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
    int newline = message.indexOf('\n');
    if (newline >= 0) {
      message = message.substring(0, newline); // YAML errors add the offending line and a caret below
    }
    JsonLocation at = e.getLocation();
    return message + (at == null || at.getLineNr() < 1 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")");
  }
}
