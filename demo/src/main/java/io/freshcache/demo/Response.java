package io.freshcache.demo;

import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** A response as the wiki makes it; the server adapter writes it out. */
record Response(int status, Map<String, String> headers, byte[] body) {

  Response {
    headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
  }

  static Response html(int status, Map<String, String> headers, String body) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", "text/html; charset=utf-8");
    h.putAll(headers);
    return new Response(status, h, body.getBytes(StandardCharsets.UTF_8));
  }

  /** A header value, by case-insensitive name, or null. */
  String header(String name) {
    for (Map.Entry<String, String> e : headers.entrySet()) {
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return null;
  }

  String text() {
    return new String(body, StandardCharsets.UTF_8);
  }
}
