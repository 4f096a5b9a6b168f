package io.freshcache.demo;

/**
 * The proxy contract's matching rule, written out independently of core: whether a response that
 * declared dependency {@code dep} is invalidated by the {@code Cache-Invalidate} entry {@code inv}.
 *
 * <ul>
 *   <li>aspects: {@code T#x} invalidated matches dependencies on {@code T#x} and on whole {@code T};
 *       whole {@code T} invalidated matches {@code T} and every {@code T#x};
 *   <li>patterns (dependencies only): {@code A/*} matches direct children of A, {@code A/**} the
 *       subtree, never A itself;
 *   <li>an entry ending in {@code /**} or {@code /} is a prefix: it matches every dependency whose
 *       name is under it, and every pattern that could match a name under it (approximately: the
 *       demo never sends prefixes).
 * </ul>
 */
final class TagMatch {

  private TagMatch() {}

  record Parsed(String path, char kind, String aspect) {
    static Parsed of(String tag) {
      int hash = tag.indexOf('#');
      String aspect = hash < 0 ? null : tag.substring(hash + 1);
      String body = hash < 0 ? tag : tag.substring(0, hash);
      if (body.endsWith("/**")) {
        return new Parsed(body.substring(0, body.length() - 3), 's', aspect);
      }
      if (body.endsWith("/*")) {
        return new Parsed(body.substring(0, body.length() - 2), 'c', aspect);
      }
      return new Parsed(body, 'e', aspect);
    }
  }

  static boolean matches(String dep, String inv) {
    Parsed d = Parsed.of(dep);
    if (inv.endsWith("/**") || inv.endsWith("/")) {
      String prefix = inv.endsWith("/**") ? inv.substring(0, inv.length() - 2) : inv;
      return (d.path() + "/").startsWith(prefix) && !d.path().equals(prefix.substring(0, prefix.length() - 1))
          || d.kind() != 'e' && prefix.startsWith(d.path() + "/");
    }
    Parsed i = Parsed.of(inv);
    if (i.kind() != 'e') {
      throw new IllegalArgumentException("invalidation: " + inv + " (expected: an exact tag or a prefix)");
    }
    if (d.aspect() != null && i.aspect() != null && !d.aspect().equals(i.aspect())) {
      return false;
    }
    return switch (d.kind()) {
      case 'e' -> d.path().equals(i.path());
      case 'c' -> i.path().startsWith(d.path() + "/") && i.path().indexOf('/', d.path().length() + 1) < 0;
      default -> i.path().startsWith(d.path() + "/");
    };
  }
}
