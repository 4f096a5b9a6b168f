package io.freshcache.proxy;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The response cache directives that govern this proxy (a shared cache), interpreted from the field
 * RFC 9213 tells us to use.
 *
 * <p><b>Which field.</b> The target list is {@code [Freshcache-Cache-Control, CDN-Cache-Control]}:
 * the first of them that is present, valid and non-empty is used and {@code Cache-Control} and
 * {@code Expires} are then ignored entirely (RFC 9213 section 2.2); otherwise {@code Cache-Control}
 * (and {@code Expires}, see {@link Freshness}) apply. {@link #source()} says which it was.
 *
 * <p><b>Values</b> (delta-seconds, RFC 9111 section 1.2.2): {@value #ABSENT} means absent. Values
 * above 2^31 are 2^31 ({@value #MAX_DELTA}), as the RFC requires on overflow. In Cache-Control a
 * token or a quoted-string is accepted (section 5.2: "recipients ought to accept both forms"); in a
 * targeted field only an sf-integer is (RFC 9213 section 2.1: a String or Decimal violates the
 * inferred constraint and "SHOULD NOT" be consumed).
 *
 * <p><b>Invalid and duplicate directives</b> (RFC 9111 section 4.2.1: "either the first occurrence
 * should be used, or the response should be considered stale ... the most restrictive directive
 * should be honored ... invalid freshness information ... stale"). We always take the restrictive
 * reading:
 *
 * <ul>
 *   <li>{@code max-age}, {@code s-maxage}: an invalid value (not digits, negative, missing, quoted
 *       junk), or occurrences that disagree, make the value 0: the response is stale (and still has
 *       explicit freshness, so it can be stored for revalidation).
 *   <li>{@code stale-while-revalidate}, {@code stale-if-error}: invalid or disagreeing means absent,
 *       i.e. no stale serving.
 *   <li>{@code no-cache}, {@code private}: qualified ({@code ="a, b"}) only if every occurrence is
 *       qualified with a valid list of field names; an unqualified occurrence, an argument that is not
 *       a field-name list, an empty list, or (targeted) a non-String value means the unqualified form.
 *   <li>{@code no-store}, {@code must-revalidate}, {@code proxy-revalidate}, {@code must-understand},
 *       {@code no-transform}: present if they occur at all, whatever their (disallowed) argument.
 *   <li>{@code public}: only honoured without argument (it widens what may be stored, so a
 *       malformed one is ignored).
 * </ul>
 *
 * @param source the field the directives came from
 * @param sMaxAge seconds, or {@value #ABSENT}
 * @param maxAge seconds, or {@value #ABSENT}
 * @param noStore no-store
 * @param noCache unqualified no-cache: every reuse needs validation
 * @param noCacheFields qualified no-cache: lower-case names of fields not to reuse (nor store)
 * @param isPrivate unqualified private: not for a shared cache
 * @param privateFields qualified private: lower-case names of fields a shared cache must not store
 * @param isPublic public
 * @param mustRevalidate must-revalidate
 * @param proxyRevalidate proxy-revalidate
 * @param mustUnderstand must-understand
 * @param noTransform no-transform
 * @param staleWhileRevalidate seconds (RFC 5861), or {@value #ABSENT}
 * @param staleIfError seconds (RFC 5861), or {@value #ABSENT}
 */
record ResponseDirectives(
    Source source,
    long sMaxAge,
    long maxAge,
    boolean noStore,
    boolean noCache,
    Set<String> noCacheFields,
    boolean isPrivate,
    Set<String> privateFields,
    boolean isPublic,
    boolean mustRevalidate,
    boolean proxyRevalidate,
    boolean mustUnderstand,
    boolean noTransform,
    long staleWhileRevalidate,
    long staleIfError) {

  /** An absent delta-seconds directive. */
  static final long ABSENT = -1;

  /** The largest delta-seconds value: 2^31 (RFC 9111 section 1.2.2). */
  static final long MAX_DELTA = 2147483648L;

  /** The targeted fields this proxy obeys, most specific first (RFC 9213 target list). */
  static final List<String> TARGET_LIST = List.of("Freshcache-Cache-Control", "CDN-Cache-Control");

  /** Which field the directives came from. */
  enum Source {
    /** {@code Freshcache-Cache-Control}: for this proxy only. */
    FRESHCACHE_CACHE_CONTROL,
    /** {@code CDN-Cache-Control} (RFC 9213). */
    CDN_CACHE_CONTROL,
    /** {@code Cache-Control}. */
    CACHE_CONTROL,
    /** None of them is present (or usable). */
    NONE;

    /** Whether {@code Expires} applies: not when a targeted field was used (RFC 9213 section 2.2). */
    boolean usesExpires() {
      return this == CACHE_CONTROL || this == NONE;
    }
  }

  /** No directives at all. */
  static final ResponseDirectives NONE = from(CacheDirectives.NONE, Source.NONE);

  /** Copies the sets. */
  ResponseDirectives {
    noCacheFields = Set.copyOf(noCacheFields);
    privateFields = Set.copyOf(privateFields);
  }

  /**
   * Selects and interprets the governing field of a response: the first valid, non-empty targeted
   * field of {@link #TARGET_LIST}, else {@code Cache-Control}.
   */
  static ResponseDirectives of(Fields response) {
    for (int i = 0; i < TARGET_LIST.size(); i++) {
      CacheDirectives targeted = CacheDirectives.parseStructured(response.all(TARGET_LIST.get(i)));
      if (targeted != null) {
        return from(targeted, i == 0 ? Source.FRESHCACHE_CACHE_CONTROL : Source.CDN_CACHE_CONTROL);
      }
    }
    List<String> cacheControl = response.all("Cache-Control");
    return cacheControl.isEmpty()
        ? NONE
        : from(CacheDirectives.parse(cacheControl), Source.CACHE_CONTROL);
  }

  /** Interprets parsed directives (see the class comment for the rules). */
  static ResponseDirectives from(CacheDirectives d, Source source) {
    FieldList noCache = fieldList(d, "no-cache");
    FieldList priv = fieldList(d, "private");
    boolean isPublic = false;
    for (CacheDirectives.Directive p : d.all("public")) {
      isPublic |= p.kind() == CacheDirectives.Kind.NONE;
    }
    return new ResponseDirectives(
        source,
        freshness(d, "s-maxage"),
        freshness(d, "max-age"),
        d.has("no-store"),
        noCache.unqualified,
        noCache.unqualified ? Set.of() : noCache.names,
        priv.unqualified,
        priv.unqualified ? Set.of() : priv.names,
        isPublic,
        d.has("must-revalidate"),
        d.has("proxy-revalidate"),
        d.has("must-understand"),
        d.has("no-transform"),
        permission(d, "stale-while-revalidate"),
        permission(d, "stale-if-error"));
  }

  /** Whether a freshness directive (s-maxage or max-age) is present: explicit freshness. */
  boolean hasExplicitMaxAge() {
    return sMaxAge != ABSENT || maxAge != ABSENT;
  }

  /**
   * Whether the origin forbids serving this response stale when it otherwise could be (RFC 9111
   * section 4.2.4): unqualified no-cache, must-revalidate, proxy-revalidate. Used for the origin's
   * own stale permissions (stale-while-revalidate, stale-if-error). {@code s-maxage} is deliberately
   * not here: it implies proxy-revalidate, but an origin that sends {@code s-maxage=60,
   * stale-while-revalidate=30} asks for exactly that combination, and RFC 9111 lets a cache-control
   * extension modify the base directives (section 5.2.3).
   */
  boolean forbidsStale() {
    return noCache || mustRevalidate || proxyRevalidate;
  }

  /**
   * Whether a client's permission to receive stale responses (max-stale) is overridden: {@link
   * #forbidsStale()} or s-maxage, which for a shared cache "incorporates the proxy-revalidate
   * response directive's semantics" (RFC 9111 section 5.2.2.10).
   */
  boolean forbidsClientStale() {
    return forbidsStale() || sMaxAge != ABSENT;
  }

  /** The lower-case names of fields a shared cache must not store: qualified private and no-cache. */
  Set<String> fieldsNotToStore() {
    if (privateFields.isEmpty()) {
      return noCacheFields;
    }
    Set<String> all = new LinkedHashSet<>(privateFields);
    all.addAll(noCacheFields);
    return all;
  }

  // ------------------------------------------------------------------ interpretation helpers

  private static final long INVALID = -2;

  /** max-age / s-maxage: absent, else the agreed valid value, else 0 (invalid or conflicting: stale). */
  private static long freshness(CacheDirectives d, String name) {
    long v = agreed(d, name);
    return v == INVALID ? 0 : v;
  }

  /** stale-while-revalidate / stale-if-error: absent, else the agreed valid value, else absent. */
  private static long permission(CacheDirectives d, String name) {
    long v = agreed(d, name);
    return v == INVALID ? ABSENT : v;
  }

  /** The value all occurrences agree on; ABSENT if none; INVALID if one is invalid or they differ. */
  private static long agreed(CacheDirectives d, String name) {
    long value = ABSENT;
    for (CacheDirectives.Directive x : d.all(name)) {
      long v = deltaSeconds(x, d.structured());
      if (v < 0 || value != ABSENT && value != v) {
        return INVALID;
      }
      value = v;
    }
    return value;
  }

  /**
   * The delta-seconds argument of a directive, capped at 2^31, or -1 if invalid. Classic: a token or
   * quoted-string of 1*DIGIT. Structured: a non-negative sf-integer.
   */
  static long deltaSeconds(CacheDirectives.Directive x, boolean structured) {
    if (structured ? x.kind() != CacheDirectives.Kind.INTEGER
        : x.kind() != CacheDirectives.Kind.TOKEN && x.kind() != CacheDirectives.Kind.STRING) {
      return -1;
    }
    return parseDelta(x.argument());
  }

  /** 1*DIGIT as a number capped at 2^31, or -1 if {@code s} is not 1*DIGIT. */
  static long parseDelta(String s) {
    if (s == null || s.isEmpty()) {
      return -1;
    }
    long v = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      if (v < MAX_DELTA) {
        v = v * 10 + (c - '0');
      }
    }
    return Math.min(v, MAX_DELTA);
  }

  private record FieldList(boolean unqualified, Set<String> names) {}

  /** no-cache / private: unqualified if any occurrence is, or is not a valid non-empty field-name list. */
  private static FieldList fieldList(CacheDirectives d, String name) {
    List<CacheDirectives.Directive> all = d.all(name);
    Set<String> names = new LinkedHashSet<>();
    for (CacheDirectives.Directive x : all) {
      boolean listForm = d.structured()
          ? x.kind() == CacheDirectives.Kind.STRING
          : x.kind() == CacheDirectives.Kind.STRING || x.kind() == CacheDirectives.Kind.TOKEN;
      if (!listForm) {
        return new FieldList(true, Set.of());
      }
      List<String> members = new ArrayList<>();
      for (String m : Fields.listMembers(List.of(x.argument()))) {
        if (!Fields.isToken(m)) {
          return new FieldList(true, Set.of());
        }
        members.add(Fields.lower(m));
      }
      if (members.isEmpty()) {
        return new FieldList(true, Set.of());
      }
      names.addAll(members);
    }
    return new FieldList(false, names);
  }
}
