package io.freshcache.proxy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** The proxy's counters; updated from every event loop, read by {@link FreshcacheProxy#stats()}. */
final class ProxyStats {
  final LongAdder requests = new LongAdder();
  final LongAdder hits = new LongAdder();
  final LongAdder misses = new LongAdder();
  final LongAdder passes = new LongAdder();
  final LongAdder originErrors = new LongAdder();
  final LongAdder notModified = new LongAdder();
  final LongAdder coalesced = new LongAdder();
  final LongAdder staleServed = new LongAdder();
  final LongAdder originRequests = new LongAdder();
  final LongAdder originConnects = new LongAdder();
  final LongAdder bytesOut = new LongAdder();
  final LongAdder clientErrors = new LongAdder();
  /** Connections closed because a request head or body did not arrive in time (408). */
  final LongAdder clientTimeouts = new LongAdder();
  /** ESI responses assembled (or tried), and those that failed (502). */
  final LongAdder esiAssemblies = new LongAdder();
  final LongAdder esiErrors = new LongAdder();
  /**
   * Bodies converted from their stored coding into another for a client (decoded to identity, or a
   * coded form derived once per entry and coding: see {@link StoredResponse#hit}).
   */
  final LongAdder transcodes = new LongAdder();
  /** Interim responses (103 Early Hints, 102) forwarded from the origin to a client. */
  final LongAdder interimResponses = new LongAdder();
  /** Connections switched to another protocol (WebSocket) and tunnelled, and the bytes each way. */
  final LongAdder upgrades = new LongAdder();
  final LongAdder tunnelBytesIn = new LongAdder();
  final LongAdder tunnelBytesOut = new LongAdder();

  Map<String, Object> snapshot() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("requests", requests.sum());
    m.put("hits", hits.sum());
    m.put("misses", misses.sum());
    m.put("passes", passes.sum());
    m.put("coalesced", coalesced.sum());
    m.put("staleServed", staleServed.sum());
    m.put("notModified", notModified.sum());
    m.put("originRequests", originRequests.sum());
    m.put("originConnects", originConnects.sum());
    m.put("originErrors", originErrors.sum());
    m.put("clientErrors", clientErrors.sum());
    m.put("clientTimeouts", clientTimeouts.sum());
    m.put("bytesOut", bytesOut.sum());
    m.put("esiAssemblies", esiAssemblies.sum());
    m.put("esiErrors", esiErrors.sum());
    m.put("transcodes", transcodes.sum());
    m.put("interimResponses", interimResponses.sum());
    m.put("upgrades", upgrades.sum());
    m.put("tunnelBytesIn", tunnelBytesIn.sum());
    m.put("tunnelBytesOut", tunnelBytesOut.sum());
    return m;
  }
}
