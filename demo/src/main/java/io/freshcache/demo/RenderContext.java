package io.freshcache.demo;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Function;

/**
 * One render: the store it reads, the tags it has come to depend on, the pages being included (to
 * stop cycles), and how holes (ESI includes) are written.
 *
 * <p>The rule that keeps pages fresh: whoever reads something from the store declares the tag for
 * what it shows, in the same place it reads it, so no read goes undeclared.
 */
final class RenderContext {

  /** How deep {@code {{include}}} may nest. */
  static final int MAX_INCLUDE_DEPTH = 4;

  final WikiStore store;
  private final Set<String> tags = new LinkedHashSet<>();
  private final Deque<String> including = new ArrayDeque<>();
  private final Function<String, String> holes;
  private boolean hasHoles;

  /**
   * @param holes the markup that stands for the fragment at a path: an {@code <esi:include>}, or the
   *     fragment itself when the origin runs without the proxy
   */
  RenderContext(WikiStore store, Function<String, String> holes) {
    this.store = store;
    this.holes = holes;
  }

  void depend(String tag) {
    tags.add(tag);
  }

  Set<String> tags() {
    return tags;
  }

  String hole(String src) {
    hasHoles = true;
    return holes.apply(src);
  }

  boolean hasHoles() {
    return hasHoles;
  }

  /** Starts including {@code name}; false (and nothing started) if that would cycle or nest too deep. */
  boolean enter(String name) {
    if (including.contains(name) || including.size() >= MAX_INCLUDE_DEPTH) {
      return false;
    }
    including.push(name);
    return true;
  }

  void exit() {
    including.pop();
  }
}
