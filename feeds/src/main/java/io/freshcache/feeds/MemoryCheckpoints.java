package io.freshcache.feeds;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** {@link Checkpoints#inMemory()}. */
final class MemoryCheckpoints implements Checkpoints {
  private final ConcurrentHashMap<String, String> positions = new ConcurrentHashMap<>();

  @Override
  public Optional<String> load(String source) {
    return Optional.ofNullable(positions.get(source));
  }

  @Override
  public void save(String source, String position) {
    positions.put(source, position);
  }
}
