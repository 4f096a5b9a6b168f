package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One step of expanding a response's includes: the path being expanded and the chain of paths that
 * led to it. The data path starts with {@link #root} for the requested page and calls {@link
 * #enter} for each include before fetching it; {@code enter} refuses what would loop or grow without
 * bound:
 *
 * <ul>
 *   <li>a <b>cycle</b>: an include of a path already on the chain ({@code /a -> /b -> /a});
 *   <li>too much <b>depth</b>: nesting beyond {@link EsiLimits#maxDepth} (the page is depth 0);
 *   <li>too many <b>includes</b>: more than {@link EsiLimits#maxIncludes} fetches for the whole
 *       response, counted across all branches and alternatives. This one is {@link EsiError#fatal()}.
 * </ul>
 *
 * <p>Paths are compared as resolved ({@link EsiSrc#resolve}), query included: {@code /a?x=1} and
 * {@code /a?x=2} are different includes (a chain of ever-changing queries ends at the depth limit).
 *
 * <p>Thread-safe: an expansion is immutable except for the include count it shares with its root,
 * which is atomic, so branches may be expanded concurrently.
 */
final class EsiExpansion implements EsiStep {

  private final EsiExpansion parent;
  private final String path;
  private final int depth;
  private final EsiLimits limits;
  private final String originAuthority;
  /** Fetches so far for the whole response; shared by the root and all its descendants. */
  private final AtomicInteger includes;

  private EsiExpansion(EsiExpansion parent, String path, int depth, EsiLimits limits, String originAuthority,
      AtomicInteger includes) {
    this.parent = parent;
    this.path = path;
    this.depth = depth;
    this.limits = limits;
    this.originAuthority = originAuthority;
    this.includes = includes;
  }

  /**
   * The expansion of a requested page.
   *
   * @param path the page's path and query, as sent to the origin (starts with '/')
   * @param originAuthority the origin's authority ({@link ProxyConfig#originAuthority()}), the only
   *     one absolute srcs may name
   * @param limits {@link EsiLimits#maxDepth} and {@link EsiLimits#maxIncludes} apply here
   */
  static EsiExpansion root(String path, String originAuthority, EsiLimits limits) {
    requireNonNull(path, "path");
    requireNonNull(originAuthority, "originAuthority");
    requireNonNull(limits, "limits");
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path: '" + Fields.printable(path) + "' (expected: a path starting with '/')");
    }
    return new EsiExpansion(null, path, 0, limits, originAuthority, new AtomicInteger());
  }

  /** The path (and query) being expanded. */
  String path() {
    return path;
  }

  /** 0 for the page, 1 for its includes, and so on. */
  int depth() {
    return depth;
  }

  /** The limits in force. */
  EsiLimits limits() {
    return limits;
  }

  /** The expansion this one is an include of, or null for the page. */
  EsiExpansion parent() {
    return parent;
  }

  /** How many includes {@link #enter} has admitted for the whole response so far. */
  int includeCount() {
    return includes.get();
  }

  /** The paths from the page down to this one. */
  List<String> chain() {
    List<String> chain = new ArrayList<>(depth + 1);
    for (EsiExpansion e = this; e != null; e = e.parent) {
      chain.add(e.path);
    }
    Collections.reverse(chain);
    return chain;
  }

  /** {@link #chain()} as text: {@code /a -> /b -> /c}. */
  String chainText() {
    return String.join(" -> ", chain());
  }

  /** {@code src} of an include in this template, resolved against {@link #path()} ({@link EsiSrc#resolve}). */
  String resolve(String src) throws EsiException {
    return EsiSrc.resolve(src, path, originAuthority);
  }

  /**
   * Admits an include of {@code includePath} (resolved) from this template: returns its expansion,
   * or the {@link EsiError} that refuses it ({@link EsiError.Kind#CYCLE}, {@link
   * EsiError.Kind#DEPTH}, or {@link EsiError.Kind#LIMIT}), whose message shows the chain. An admitted
   * include counts towards {@link EsiLimits#maxIncludes} whether or not its fetch succeeds.
   */
  EsiStep enter(String includePath) {
    requireNonNull(includePath, "includePath");
    for (EsiExpansion e = this; e != null; e = e.parent) {
      if (e.path.equals(includePath)) {
        return new EsiError(EsiError.Kind.CYCLE, "ESI include cycle: " + chainText() + " -> " + includePath);
      }
    }
    if (depth + 1 > limits.maxDepth()) {
      return new EsiError(EsiError.Kind.DEPTH, "ESI includes nested deeper than " + limits.maxDepth() + ": "
          + chainText() + " -> " + includePath + " (maxDepth: " + limits.maxDepth() + ")");
    }
    int count = includes.incrementAndGet();
    if (count > limits.maxIncludes()) {
      includes.decrementAndGet(); // refused: not fetched, so not counted
      return new EsiError(EsiError.Kind.LIMIT, "more than " + limits.maxIncludes() + " ESI includes for one response, at "
          + chainText() + " -> " + includePath + " (maxIncludes: " + limits.maxIncludes() + ")");
    }
    return new EsiExpansion(this, includePath, depth + 1, limits, originAuthority, includes);
  }

  @Override
  public String toString() {
    return "EsiExpansion[" + chainText() + "]";
  }
}
