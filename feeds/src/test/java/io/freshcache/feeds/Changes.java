package io.freshcache.feeds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;

/** Builds changes for tests. */
final class Changes {
  static final ObjectMapper JSON = new ObjectMapper();

  private Changes() {}

  static Change row(String source, String table, String op, String payloadJson) {
    try {
      return new Change(source, table, op, "1", "pos-1", JSON.readTree(payloadJson), Instant.now());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
