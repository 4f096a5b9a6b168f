package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.testkit.SeededProperty;
import org.junit.jupiter.api.Test;

/**
 * {@link RequestValidator#isHost} reads the value in place (no substrings per request); it must
 * accept exactly what the straightforward version it replaced accepted, kept here as the reference.
 */
class HostValuePropertyTest {
  private static final String ALPHABET = "ab09-._~%!$&'()*+;=:[]vV, \t/@#?xF\u00e9";

  @Test
  void isHostAcceptsExactlyWhatTheReferenceAccepts() {
    SeededProperty.forAll(HostValuePropertyTest.class.getSimpleName() + "#isHostAcceptsExactlyWhatTheReferenceAccepts",
        50_000, 1, (r, trace) -> {
          StringBuilder b = new StringBuilder();
          int n = r.nextInt(12);
          for (int i = 0; i < n; i++) {
            b.append(ALPHABET.charAt(r.nextInt(ALPHABET.length())));
          }
          String value = b.toString();
          trace.add("value='" + value + "'");
          assertThat(RequestValidator.isHost(value)).as("isHost('%s')", value).isEqualTo(reference(value));
        });
  }

  /** The version before the in-place one (commit c1445b1), with substrings. */
  private static boolean reference(String value) {
    String v = Fields.trimOws(value);
    int portAt = v.lastIndexOf(':');
    String name;
    if (v.startsWith("[")) {
      int close = v.indexOf(']');
      if (close < 0) {
        return false;
      }
      name = v.substring(1, close);
      for (int i = 0; i < name.length(); i++) {
        char c = name.charAt(i);
        if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.' || c == 'v' || c == 'V')) {
          return false;
        }
      }
      portAt = close + 1 < v.length() ? close + 1 : -1;
      if (portAt > 0 && v.charAt(portAt) != ':') {
        return false;
      }
    } else {
      name = portAt < 0 ? v : v.substring(0, portAt);
      for (int i = 0; i < name.length(); i++) {
        char c = name.charAt(i);
        boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
            || "-._~%!$&'()*+;=".indexOf(c) >= 0;
        if (!ok) {
          return false;
        }
      }
    }
    if (portAt >= 0) {
      String port = v.substring(portAt + 1);
      if (port.length() > 5) {
        return false;
      }
      for (int i = 0; i < port.length(); i++) {
        if (port.charAt(i) < '0' || port.charAt(i) > '9') {
          return false;
        }
      }
    }
    return true;
  }
}
