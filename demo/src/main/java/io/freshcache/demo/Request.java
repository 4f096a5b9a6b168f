package io.freshcache.demo;

import java.util.Locale;
import java.util.Map;

/**
 * A request as the wiki sees it, independent of the HTTP server, so tests can drive the wiki
 * without sockets.
 *
 * @param method the method, upper case
 * @param path the raw path, without query
 * @param headers field names in lower case; repeated fields joined with ", " (Cookie with "; ")
 * @param body the request body (empty if none)
 */
record Request(String method, String path, Map<String, String> headers, byte[] body) {

  Request {
    headers = Map.copyOf(headers);
  }

  static Request get(String path, String user) {
    return new Request("GET", path, user == null ? Map.of() : Map.of("cookie", Users.COOKIE + "=" + user), new byte[0]);
  }

  String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }

  /** The value of a cookie, or null. */
  String cookie(String name) {
    String header = header("cookie");
    if (header == null) {
      return null;
    }
    for (String part : header.split(";")) {
      int eq = part.indexOf('=');
      if (eq > 0 && part.substring(0, eq).strip().equals(name)) {
        return part.substring(eq + 1).strip();
      }
    }
    return null;
  }
}
