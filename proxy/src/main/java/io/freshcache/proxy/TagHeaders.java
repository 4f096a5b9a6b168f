package io.freshcache.proxy;

import io.freshcache.core.Tag;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The origin's tag headers: the dependencies of a response and the invalidations it requests.
 *
 * <p><b>Dependencies</b> ({@link #dependencies}): {@code Cache-Tag: t1, t2} (comma-separated, as
 * Cloudflare and Akamai write it), {@code Surrogate-Key: t1 t2} and {@code xkey: t1 t2}
 * (space-separated, as Fastly and Varnish write them). A tag cannot contain white space or commas
 * ({@link Tag#parse}), so all three are split on both, which accepts either style in any header.
 * Each tag is validated with {@link Tag#parse}; patterns ({@code page:Projects/*}, {@code
 * page:Projects/**}) are allowed, as renderers may depend on them. Duplicates are dropped (first
 * occurrence kept).
 *
 * <p><b>Invalidations</b> ({@link #invalidations}): {@code Cache-Invalidate: t1, page:Projects/**}
 * on any origin response. Exact tags (with or without aspect) go to {@code invalidate}. Core cannot
 * invalidate a pattern, so a pattern becomes a prefix for {@code invalidatePrefix}:
 *
 * <ul>
 *   <li>{@code p/**} becomes prefix {@code p/}: exactly the tags the pattern matches (a pattern never
 *       matches its own base, and neither does the prefix);
 *   <li>{@code p/*} (children) also becomes prefix {@code p/}: it invalidates grandchildren as well.
 *       Over-invalidating costs a re-render; under-invalidating would serve stale pages;
 *   <li>an aspect on a pattern ({@code p/**#title}) is dropped: the whole subtree is invalidated,
 *       again erring on the side of freshness.
 * </ul>
 *
 * Prefixes covered by a shorter prefix are dropped (each one is a scan of all tag states in core).
 *
 * <p><b>Bad input.</b> Invalid tags are skipped and reported in {@code rejected} with the reason.
 * Limits guard against a misbehaving origin: at most {@value #MAX_TAGS} distinct dependency tags per
 * response and at most {@value #MAX_HEADER_CHARS} characters of their field values in all; what lies
 * beyond is rejected too. Dropping a <em>valid</em> dependency would leave a cached response that an
 * invalidation cannot reach, so {@link Dependencies#complete()} is false then, and the server must
 * not store the response. An invalid tag, by contrast, could never be invalidated anyway ({@code
 * invalidate} rejects it just the same), so skipping it keeps the result complete.
 *
 * <p>Invalidations have no such limit: dropping one would serve stale pages to the very client
 * that made the change. They are bounded by the origin's header section ({@value
 * #MAX_INVALIDATION_CHARS} characters, the origin client's limit), each costs a version bump, and
 * covered prefixes are merged in one sort.
 */
final class TagHeaders {

  /** The most distinct dependency tags taken from one response. */
  static final int MAX_TAGS = 256;

  /** The most characters of dependency field values read from one response. */
  static final int MAX_HEADER_CHARS = 16 * 1024;

  /** The most characters of Cache-Invalidate values read: the whole header section the origin client accepts. */
  static final int MAX_INVALIDATION_CHARS = 64 * 1024;

  /** The dependency headers, in the order they are read. */
  static final List<String> DEPENDENCY_HEADERS = List.of("Cache-Tag", "Surrogate-Key", "xkey");

  /** The invalidation header. */
  static final String INVALIDATE_HEADER = "Cache-Invalidate";

  /**
   * A tag that was not taken.
   *
   * @param text the text as found (possibly cut, with control characters shown as '?')
   * @param reason why
   */
  record Rejected(String text, String reason) {}

  /**
   * The dependencies of a response.
   *
   * @param tags the valid distinct tags, in order of appearance
   * @param rejected what was skipped, and why
   * @param complete false if a limit cut off input (valid tags may be missing: do not store)
   */
  record Dependencies(List<Tag> tags, List<Rejected> rejected, boolean complete) {
    /** Copies the lists. */
    Dependencies {
      tags = List.copyOf(tags);
      rejected = List.copyOf(rejected);
    }
  }

  /**
   * The invalidations a response requests.
   *
   * @param exact tags for {@code Freshcache.invalidate}, in their textual form
   * @param prefixes prefixes for {@code Freshcache.invalidatePrefix}
   * @param rejected what was skipped, and why
   * @param complete false if a limit cut off input
   */
  record Invalidations(List<String> exact, List<String> prefixes, List<Rejected> rejected, boolean complete) {
    /** Copies the lists. */
    Invalidations {
      exact = List.copyOf(exact);
      prefixes = List.copyOf(prefixes);
      rejected = List.copyOf(rejected);
    }

    /** Whether there is nothing to invalidate. */
    boolean isEmpty() {
      return exact.isEmpty() && prefixes.isEmpty();
    }
  }

  private TagHeaders() {}

  /** The dependencies declared by a response's Cache-Tag, Surrogate-Key and xkey fields. */
  static Dependencies dependencies(Fields response) {
    List<String> lines = new ArrayList<>();
    for (String h : DEPENDENCY_HEADERS) {
      lines.addAll(response.all(h));
    }
    return dependencies(lines);
  }

  /**
   * The dependencies in tag field lines (of any of the three fields: separators are commas and
   * white space).
   */
  static Dependencies dependencies(List<String> lines) {
    Scan scan = scan(lines, MAX_HEADER_CHARS);
    Map<String, Tag> tags = new LinkedHashMap<>();
    for (String token : scan.tokens) {
      Tag tag = parse(token, scan);
      if (tag == null) {
        continue;
      }
      String canonical = tag.toString();
      if (tags.containsKey(canonical)) {
        continue;
      }
      if (tags.size() == MAX_TAGS) {
        scan.rejected.add(new Rejected(Fields.printable(token),
            "tag limit reached: " + MAX_TAGS + " distinct tags per response (expected: at most " + MAX_TAGS
                + "; use a pattern or a broader tag)"));
        scan.complete = false;
        continue;
      }
      tags.put(canonical, tag);
    }
    return new Dependencies(new ArrayList<>(tags.values()), scan.rejected, scan.complete);
  }

  /** The tag {@code token} names, or null after recording in {@code scan} why it names none. */
  private static Tag parse(String token, Scan scan) {
    try {
      return Tag.parse(token);
    } catch (IllegalArgumentException e) {
      scan.rejected.add(new Rejected(Fields.printable(token), e.getMessage()));
      return null;
    }
  }

  /** The invalidations requested by a response's Cache-Invalidate fields. */
  static Invalidations invalidations(Fields response) {
    return invalidations(response.all(INVALIDATE_HEADER));
  }

  /** The invalidations in Cache-Invalidate field lines. */
  static Invalidations invalidations(List<String> lines) {
    Scan scan = scan(lines, MAX_INVALIDATION_CHARS);
    Set<String> exact = new LinkedHashSet<>();
    Set<String> prefixes = new LinkedHashSet<>();
    for (String token : scan.tokens) {
      Tag tag = parse(token, scan);
      if (tag != null) {
        (tag.isPattern() ? prefixes : exact).add(tag.isPattern() ? tag.path() + "/" : tag.toString());
      }
    }
    return new Invalidations(new ArrayList<>(exact), minimalPrefixes(prefixes), scan.rejected, scan.complete);
  }

  /**
   * The prefixes not covered by a shorter one, sorted. Those that start with a given prefix sort
   * right after it, together, so one pass keeping the last kept prefix finds them all.
   */
  private static List<String> minimalPrefixes(Set<String> prefixes) {
    List<String> sorted = new ArrayList<>(prefixes);
    java.util.Collections.sort(sorted);
    List<String> out = new ArrayList<>();
    String kept = null;
    for (String p : sorted) {
      if (kept == null || !p.startsWith(kept)) {
        out.add(p);
        kept = p;
      }
    }
    return out;
  }

  private static final class Scan {
    final List<String> tokens = new ArrayList<>();
    final List<Rejected> rejected = new ArrayList<>();
    boolean complete = true;
  }

  /** Splits lines on commas and white space, up to {@code limit} characters. */
  private static Scan scan(List<String> lines, int limit) {
    Scan scan = new Scan();
    int budget = limit;
    for (String line : lines) {
      String text = line;
      if (text.length() > budget) {
        String kept = cutAtSeparator(text, budget);
        scan.rejected.add(new Rejected(Fields.printable(text.substring(kept.length())),
            "beyond " + limit + " characters of tag fields (expected: at most "
                + limit + " characters per response)"));
        scan.complete = false;
        text = kept;
        budget = kept.length(); // nothing after a cut is read, even if it would fit
      }
      budget -= text.length();
      int start = -1;
      for (int i = 0; i <= text.length(); i++) {
        boolean separator = i == text.length() || isSeparator(text.charAt(i));
        if (separator && start >= 0) {
          scan.tokens.add(text.substring(start, i));
          start = -1;
        } else if (!separator && start < 0) {
          start = i;
        }
      }
    }
    return scan;
  }

  /** {@code text} cut at {@code limit}, backing up to a separator so no tag is cut in half. */
  private static String cutAtSeparator(String text, int limit) {
    int end = limit;
    while (end > 0 && !isSeparator(text.charAt(end))) {
      end--;
    }
    return text.substring(0, end);
  }

  private static boolean isSeparator(char c) {
    return c == ',' || c == ' ' || c == '\t';
  }
}
