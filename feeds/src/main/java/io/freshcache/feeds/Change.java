package io.freshcache.feeds;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One change read from a source: a row written, a document updated, a message published.
 *
 * @param source the name of the source that read it, e.g. {@code postgres-main}
 * @param topic what changed, as the source names it: the table (PostgreSQL), the database
 *     (CouchDB), the routing key (AMQP), the stream key (Redis). YAML rules match it as {@code
 *     topic} or {@code table}
 * @param kind what happened: {@code insert}, {@code update}, {@code delete} for tables, an event or
 *     document type elsewhere; YAML rules match it as {@code kind} or {@code type}
 * @param id the change's own identifier at the source (not necessarily the changed thing's id)
 * @param position the source's position just after this change, opaque to everything but the
 *     source; what the source checkpoints
 * @param payload the change itself as JSON (for tables: {@code {"op", "table", "old", "new"}})
 * @param committedAt when the change was committed at the source, or {@code null} if the source
 *     does not know; used for the commit-to-applied latency
 */
public record Change(String source, String topic, String kind, String id, String position,
    JsonNode payload, Instant committedAt) {

  /** Validates that every component but {@code committedAt} is present. */
  public Change {
    requireNonNull(source, "source");
    requireNonNull(topic, "topic");
    requireNonNull(kind, "kind");
    requireNonNull(id, "id");
    requireNonNull(position, "position");
    requireNonNull(payload, "payload");
  }

  @Override
  public String toString() {
    // The payload can be large and hold user data: keep log lines short.
    return "Change{" + source + " " + topic + " " + kind + " id=" + id + " at " + position + "}";
  }
}
