package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

import io.freshcache.proxy.EsiAssembler.Fetched;
import io.freshcache.proxy.EsiAssembler.Outcome;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * Assembles one ESI response without blocking: fetches its includes concurrently and fills them in
 * with {@link EsiAssembler}'s rules, which stay in one place.
 *
 * <p><b>How.</b> A pass is a synchronous {@link EsiAssembler#assemble} whose {@code fetch} answers
 * from the fragments already here, and for any other path starts its fetch and answers {@link
 * Fetched#PENDING}. A pass that met a pending fragment ends {@link Outcome.Incomplete}; every
 * arrival schedules another pass (arrivals in the same turn of the executor share one), which
 * discovers the next level of includes, or the alternatives of failed ones, and starts them. The
 * first pass that meets nothing pending decides, exactly as a synchronous run with the same
 * fragments would. A pass walks templates already in memory, so passes are cheap next to fetches;
 * there is at most one per fetch.
 *
 * <p>So the includes of a template are fetched together, and a fragment's own includes as soon as
 * the fragment arrives. Each path is fetched at most once per response. A pass that meets pending
 * fragments may reach includes a final pass would not (siblings after an include that turns out to
 * fail its template); such fetches are wasted, never used. As a backstop, more than twice {@link
 * EsiLimits#maxIncludes} fetches fail the response ({@link EsiError.Kind#LIMIT}).
 *
 * <p><b>Threading.</b> All state is touched on {@code executor} (the client's event loop), which
 * must run tasks one at a time; {@code fetch} is called there and may complete on any thread.
 */
final class EsiAssembly {

  /**
   * One fragment as the data path got it.
   *
   * @param fetched its template, or why it failed
   * @param etag a validator of its content (its ETag, or a hash of its body), null for a failure
   * @param shared whether it came from a public cache entry: false for a per-user entry and for a
   *     response fetched for this request only (it may be personal)
   */
  record Part(Fetched fetched, String etag, boolean shared) {
    /** Checks the arguments. */
    Part {
      requireNonNull(fetched, "fetched");
      if (fetched instanceof Fetched.Pending) {
        throw new IllegalArgumentException("fetched: PENDING (expected: a fragment or a failure)");
      }
    }

    /** A fragment that could not be had. */
    static Part failure(String reason) {
      return new Part(Fetched.failure(reason), null, true);
    }
  }

  /**
   * The result.
   *
   * @param outcome {@link Outcome.Assembled} or {@link Outcome.Failed}, never incomplete
   * @param consulted the fragments the deciding pass looked at, in the order it did, by path: with
   *     the page's validator they determine the output, so they make its ETag
   * @param all every fragment fetched for this response, used or not
   */
  record Result(Outcome outcome, Map<String, Part> consulted, Map<String, Part> all) {
    /** Whether every fragment fetched came from a public entry. */
    boolean allShared() {
      for (Part p : all.values()) {
        if (!p.shared()) {
          return false;
        }
      }
      return true;
    }
  }

  private final EsiTemplate template;
  private final String path;
  private final String originAuthority;
  private final EsiLimits limits;
  private final Executor executor;
  private final Function<String, CompletionStage<Part>> fetch;
  private final CompletableFuture<Result> result = new CompletableFuture<>();
  /** Fragments that arrived, by path. */
  private final Map<String, Part> known = new LinkedHashMap<>();
  /** Paths whose fetch was started (arrived or not). */
  private final Map<String, Boolean> started = new HashMap<>();
  private boolean passScheduled;

  private EsiAssembly(EsiTemplate template, String path, String originAuthority, EsiLimits limits, Executor executor,
      Function<String, CompletionStage<Part>> fetch) {
    this.template = template;
    this.path = path;
    this.originAuthority = originAuthority;
    this.limits = limits;
    this.executor = executor;
    this.fetch = fetch;
  }

  /**
   * Starts assembling; call on {@code executor}. The first pass runs at once, so a page whose
   * fragments are all at hand completes before this returns.
   *
   * @param template the page's template
   * @param path the page's path and query (the root of {@link EsiExpansion})
   * @param originAuthority the only authority absolute srcs may name
   * @param limits the limits of the response
   * @param executor where passes run (the client's event loop)
   * @param fetch a fragment by resolved path, as the data path gets it; called on {@code executor}
   * @return the result; it fails only on a bug (the data path answers 502)
   */
  static CompletableFuture<Result> start(EsiTemplate template, String path, String originAuthority, EsiLimits limits,
      Executor executor, Function<String, CompletionStage<Part>> fetch) {
    EsiAssembly a = new EsiAssembly(requireNonNull(template, "template"), requireNonNull(path, "path"),
        requireNonNull(originAuthority, "originAuthority"), requireNonNull(limits, "limits"),
        requireNonNull(executor, "executor"), requireNonNull(fetch, "fetch"));
    a.pass();
    return a.result;
  }

  private void pass() {
    passScheduled = false;
    if (result.isDone()) {
      return;
    }
    try {
      Map<String, Part> consulted = new LinkedHashMap<>();
      Outcome o = EsiAssembler.assemble(template, EsiExpansion.root(path, originAuthority, limits), p -> {
        Part part = known.get(p);
        if (part == null && started.putIfAbsent(p, Boolean.TRUE) == null) {
          part = begin(p);
        }
        if (part == null) {
          return Fetched.PENDING;
        }
        consulted.put(p, part);
        return part.fetched();
      });
      if (started.size() > 2 * limits.maxIncludes()) {
        result.complete(new Result(new Outcome.Failed(new EsiError(EsiError.Kind.LIMIT, "more than "
            + 2 * limits.maxIncludes() + " ESI include fetches for " + path + " (maxIncludes: " + limits.maxIncludes()
            + ")")), Map.of(), Collections.unmodifiableMap(new LinkedHashMap<>(known))));
        return;
      }
      if (!(o instanceof Outcome.Incomplete)) {
        result.complete(new Result(o, Collections.unmodifiableMap(consulted), Collections.unmodifiableMap(new LinkedHashMap<>(known))));
      }
    } catch (RuntimeException | Error e) {
      result.completeExceptionally(e);
    }
  }

  /** Starts the fetch of {@code p}; returns its part if it is there at once, else null. */
  private Part begin(String p) {
    CompletableFuture<Part> f;
    try {
      f = requireNonNull(fetch.apply(p), "fetch returned null").toCompletableFuture();
    } catch (RuntimeException e) {
      Part failed = Part.failure(e.toString());
      known.put(p, failed);
      return failed;
    }
    if (f.isDone() && !f.isCompletedExceptionally()) {
      Part part = requireNonNull(f.join(), "fetch completed with null");
      known.put(p, part);
      return part;
    }
    f.whenComplete((part, err) -> executor.execute(() -> arrived(p, part, err)));
    return null;
  }

  private void arrived(String p, Part part, Throwable err) {
    known.put(p, err != null || part == null
        ? Part.failure(err == null ? "fetch completed with null" : ProxyHandler.unwrap(err).toString())
        : part);
    if (!passScheduled) {
      passScheduled = true;
      executor.execute(this::pass);
    }
  }
}
