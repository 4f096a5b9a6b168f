package io.freshcache.proxy;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Fills a template's includes and returns the assembled bytes. One pass is synchronous; the data
 * path ({@link EsiAssembly}) fetches includes concurrently by running passes with a {@code fetch}
 * that answers {@link Fetched#PENDING} for what has not arrived yet, so every rule below lives here
 * only.
 *
 * <p><b>Includes are holes.</b> Each include is its own request to the origin and its own cache
 * entry, with its own tags and scope; the {@code fetch} function the caller passes does that (cache
 * lookup, origin fetch on a miss) and returns the fragment. A fragment that is itself ESI (its
 * response asked for it) is returned as its parsed template and expanded here, one level deeper.
 *
 * <p><b>Failures</b> (W3C ESI 1.0 section 3.1). An include fails when its src is not same-origin,
 * when it would loop or nest too deeply, when the fetch fails, or when the fragment's own includes
 * fail. Then its {@code alt} is tried once; if that fails too (or there is none), an include with
 * {@code onerror="continue"} produces nothing, and any other fails the response (the proxy answers
 * 502). {@link EsiError#fatal() Fatal} errors, too many includes or too much output, fail the
 * response whatever onerror says: they protect the proxy, and a page silently cut short would look
 * like a good one.
 *
 * <p>A path is fetched at most once per assembly: a fragment included twice is the same bytes
 * twice. {@code fetch} is called on the caller's thread; an exception it throws is an include
 * failure (with the exception's text), not an exception from {@link #assemble}. A {@code fetch}
 * that may answer {@link Fetched#PENDING} makes {@link #assemble} one pass of several: it returns
 * {@link Outcome.Incomplete} until a pass meets no pending fragment, and that pass decides exactly
 * as a synchronous run with the same fragments would.
 */
final class EsiAssembler {

  /** What {@code fetch} returns for one path. */
  sealed interface Fetched permits Fetched.Fragment, Fetched.Failure, Fetched.Pending {

    /** Not known yet (the fetch is under way): the pass leaves the include out and ends {@link Outcome.Incomplete}. */
    Fetched PENDING = new Pending();

    /** A fragment: its template ({@link EsiTemplate#literal} for a response without ESI). */
    record Fragment(EsiTemplate template) implements Fetched {
      /** Checks the argument. */
      public Fragment {
        requireNonNull(template, "template");
      }
    }

    /**
     * The fragment could not be had.
     *
     * @param reason for the log, such as {@code "origin answered 503"}
     */
    record Failure(String reason) implements Fetched {
      /** Checks the argument. */
      public Failure {
        requireNonNull(reason, "reason");
      }
    }

    /** See {@link #PENDING}. */
    record Pending() implements Fetched {}

    /** A fragment whose body is used as it is. */
    static Fetched body(byte[] body) {
      return new Fragment(EsiTemplate.literal(body));
    }

    /** A fragment with ESI markup of its own, already parsed. */
    static Fetched template(EsiTemplate template) {
      return new Fragment(template);
    }

    /** A failed fetch. */
    static Fetched failure(String reason) {
      return new Failure(reason);
    }
  }

  /** The result of {@link #assemble}. */
  sealed interface Outcome permits Outcome.Assembled, Outcome.Failed, Outcome.Incomplete {

    /**
     * The assembled body.
     *
     * @param body the bytes to send (a new array)
     * @param includes how many includes were admitted for this response (fetched, or tried)
     */
    record Assembled(byte[] body, int includes) implements Outcome {}

    /** The response fails: answer 502 and log the error's message. */
    record Failed(EsiError error) implements Outcome {}

    /**
     * {@code fetch} answered {@link Fetched#PENDING} at least once: run another pass once more
     * fragments are known. Nothing else of this pass counts, errors included (a pending include
     * that turns out to fail may change which error it is, or the alternatives tried).
     */
    record Incomplete() implements Outcome {}
  }

  /** The output so far: slices of template bodies. */
  private final List<EsiTemplate.Literal> slices = new ArrayList<>();
  private final Map<String, Fetched> fetched = new HashMap<>();
  private final Function<String, Fetched> fetch;
  private final long maxOutputBytes;
  private long total;
  private boolean incomplete;

  private EsiAssembler(Function<String, Fetched> fetch, long maxOutputBytes) {
    this.fetch = fetch;
    this.maxOutputBytes = maxOutputBytes;
  }

  /**
   * Assembles {@code template}, the body of the page {@code expansion} stands for.
   *
   * @param template the page's template
   * @param expansion {@link EsiExpansion#root} for the page (its limits apply, {@link
   *     EsiLimits#maxOutputBytes} included)
   * @param fetch the fragment for a resolved path, as described above
   */
  static Outcome assemble(EsiTemplate template, EsiExpansion expansion, Function<String, Fetched> fetch) {
    requireNonNull(template, "template");
    requireNonNull(expansion, "expansion");
    requireNonNull(fetch, "fetch");
    EsiAssembler a = new EsiAssembler(fetch, expansion.limits().maxOutputBytes());
    EsiError error = a.expand(template, expansion);
    if (a.incomplete) {
      return new Outcome.Incomplete();
    }
    if (error != null) {
      return new Outcome.Failed(error);
    }
    byte[] out = new byte[(int) a.total]; // at most maxOutputBytes, which fits an array
    int at = 0;
    for (EsiTemplate.Literal s : a.slices) {
      System.arraycopy(s.array(), s.offset(), out, at, s.length());
      at += s.length();
    }
    return new Outcome.Assembled(out, expansion.includeCount());
  }

  /**
   * What a failed include leaves: null to continue (it produces nothing), or the error that fails
   * the template it is in. The rule in one place, for a data path that fetches concurrently.
   *
   * @param include the include
   * @param srcError why its src failed
   * @param altError why its alt failed, or null if it has none
   */
  static EsiError onError(EsiTemplate.Include include, EsiError srcError, EsiError altError) {
    if (srcError.fatal()) {
      return srcError;
    }
    if (altError != null && altError.fatal()) {
      return altError;
    }
    if (include.continueOnError()) {
      return null;
    }
    if (altError == null) {
      return srcError;
    }
    return new EsiError(EsiError.Kind.FETCH, srcError.message() + "; alt failed too: " + altError.message());
  }

  /** Appends the output of {@code template}; returns null, or the error that fails it. */
  private EsiError expand(EsiTemplate template, EsiExpansion expansion) {
    for (EsiTemplate.Part part : template.parts()) {
      if (part instanceof EsiTemplate.Literal literal) {
        EsiError e = append(literal, expansion);
        if (e != null) {
          return e;
        }
        continue;
      }
      EsiTemplate.Include include = (EsiTemplate.Include) part;
      int mark = slices.size();
      long markTotal = total;
      EsiError srcError = include(include.src(), expansion);
      if (srcError == null) {
        continue;
      }
      rollback(mark, markTotal);
      EsiError altError = null;
      if (include.alt() != null && !srcError.fatal()) {
        altError = include(include.alt(), expansion);
        if (altError == null) {
          continue;
        }
        rollback(mark, markTotal);
      }
      EsiError e = onError(include, srcError, altError);
      if (e != null) {
        return e;
      }
    }
    return null;
  }

  /** Appends the output of one include; returns null, or why it failed. */
  private EsiError include(String src, EsiExpansion expansion) {
    String path;
    try {
      path = expansion.resolve(src);
    } catch (EsiException e) {
      return new EsiError(e.error().kind(), e.error().message() + " (in " + expansion.chainText() + ")");
    }
    EsiStep step = expansion.enter(path);
    if (step instanceof EsiError e) {
      return e;
    }
    EsiExpansion child = (EsiExpansion) step;
    Fetched f = fetched.get(path);
    if (f == null) {
      try {
        f = requireNonNull(fetch.apply(path), "fetch returned null");
      } catch (RuntimeException e) {
        f = new Fetched.Failure(e.toString());
      }
      fetched.put(path, f);
    }
    if (f instanceof Fetched.Pending) {
      incomplete = true;
      return null; // nothing for now; neither its alt nor its onerror is decided on in this pass
    }
    if (f instanceof Fetched.Failure failure) {
      return new EsiError(EsiError.Kind.FETCH, "ESI include " + path + " failed: " + Fields.printable(failure.reason())
          + " (in " + child.chainText() + ")");
    }
    return expand(((Fetched.Fragment) f).template(), child);
  }

  private EsiError append(EsiTemplate.Literal literal, EsiExpansion expansion) {
    total += literal.length();
    if (total > maxOutputBytes) {
      return new EsiError(EsiError.Kind.LIMIT, "ESI output of more than " + maxOutputBytes + " bytes, at "
          + expansion.chainText() + " (maxOutputBytes: " + maxOutputBytes + ")");
    }
    slices.add(literal);
    return null;
  }

  private void rollback(int mark, long markTotal) {
    slices.subList(mark, slices.size()).clear();
    total = markTotal;
  }
}
