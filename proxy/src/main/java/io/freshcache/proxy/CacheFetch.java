package io.freshcache.proxy;

import io.freshcache.core.Content;
import io.freshcache.core.Page;
import io.freshcache.core.RenderContext;
import io.freshcache.core.Scope;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache's renderer for one entry: reads the origin's answer to a GET, decides whether it may be
 * stored (RFC 9111 section 3, {@link Storability}) and completes the render stage with the {@link
 * Content} to store, or exceptionally with a {@link PassThrough} (not to be stored nor shared) or an
 * {@link OriginFailure}.
 *
 * <p>Runs on the event loop of the origin call. Whether a response may be stored is decided on its
 * head: one that may not (no explicit freshness, {@code no-store}, a Vary or scope the key did not
 * expect, ...) becomes at once a pass-through that the leader streams on from the live origin call,
 * so an unbounded or slow response (a {@code text/event-stream}, a long poll, a download) reaches
 * its client as the origin sends it instead of when it ends. Only a storable body, a server error's
 * (which a stale entry may replace) and a 304's are aggregated, up to {@link
 * ProxyConfig#maxCacheableBodyBytes()}; beyond it the response becomes a pass-through too.
 * Cache-Invalidate is applied as soon as the response head arrives, before anything is relayed.
 */
final class CacheFetch implements OriginCall.Listener {
  private static final Logger LOG = LoggerFactory.getLogger(CacheFetch.class);

  private final ProxyRuntime rt;
  private final ProxyHandler.Exchange ex;
  private final RenderContext ctx;
  private final CompletableFuture<Content> out;
  /** The stored response this fetch revalidates (the refused entry's), or null for a plain fetch. */
  private final StoredResponse revalidating;
  /** Fetches again without validators, after a 304 that selects no stored response; null: do not. */
  private final Runnable unconditional;
  /** Where the origin's interim responses (103 Early Hints) go: the client whose request this fetch is. */
  private final Consumer<HttpResponse> interim;
  private final long requestTime;
  private final long limit;
  private HttpResponse head;
  private long responseTime;
  private CompositeByteBuf body;
  /** What {@link #decide} found for a storable response: stored by {@link #finish} once its body is in. */
  private Storable storable;

  /** The head's decisions for a response that may be stored, kept until its body is complete. */
  private record Storable(Freshness freshness, Storability.Decision decision, Vary sent) {}

  /**
   * A fetch for {@code ctx}'s entry.
   *
   * @param revalidating the stored response the request revalidates ({@code ctx.previous()}'s), or
   *     null for a plain fetch: a 304 then is an origin error
   * @param unconditional how to fetch again without validators when a 304 does not select {@code
   *     revalidating}, or null
   * @param interim receives the origin's interim responses
   */
  CacheFetch(ProxyRuntime rt, ProxyHandler.Exchange ex, RenderContext ctx, CompletableFuture<Content> out,
      StoredResponse revalidating, Runnable unconditional, Consumer<HttpResponse> interim) {
    this.rt = rt;
    this.ex = ex;
    this.ctx = ctx;
    this.out = out;
    this.revalidating = revalidating;
    this.unconditional = unconditional;
    this.interim = interim;
    this.requestTime = rt.now();
    this.limit = rt.config.maxCacheableBodyBytes();
  }

  @Override
  public void onInterim(OriginCall call, HttpResponse response) {
    interim.accept(response);
  }

  @Override
  public void onResponse(OriginCall call, HttpResponse response) {
    head = response;
    responseTime = Math.max(rt.now(), requestTime);
    if (rt.applyInvalidations(response.headers())) {
      rt.noteWriter(ex.writerKey);
    }
    if (HttpUtil.getContentLength(response, -1L) > limit) {
      out.completeExceptionally(new PassThrough(response, Unpooled.EMPTY_BUFFER, call, "too-large", true));
      return;
    }
    int status = response.status().code();
    if (status != 304 && !isServerError(status)) {
      PassThrough pass = decide(call);
      if (pass != null) {
        out.completeExceptionally(pass);
        return;
      }
    }
    body = Unpooled.compositeBuffer(1024);
    call.read();
  }

  private static boolean isServerError(int status) {
    return status == 500 || status == 502 || status == 503 || status == 504;
  }

  @Override
  public void onContent(OriginCall call, HttpContent content) {
    ByteBuf data = content.content();
    if (data.isReadable()) {
      body.addComponent(true, data.retain());
    }
    content.release();
    boolean last = content instanceof LastHttpContent;
    if (body.readableBytes() > limit) {
      CompositeByteBuf b = body;
      body = null;
      out.completeExceptionally(new PassThrough(head, b, last ? null : call, "too-large", true));
      return;
    }
    if (!last) {
      call.read();
      return;
    }
    CompositeByteBuf b = body;
    body = null;
    try {
      finish(b);
    } catch (RuntimeException e) {
      if (!out.isDone()) {
        LOG.warn("caching {} failed", ex.resource, e);
        out.completeExceptionally(new OriginFailure("proxy: " + e, false, e));
      }
      if (b.refCnt() > 0) {
        b.release();
      }
    }
  }

  @Override
  public void onFailure(OriginCall call, OriginFailure failure) {
    if (body != null) {
      body.release();
      body = null;
    }
    out.completeExceptionally(failure);
  }

  /** Decides on a complete response. Takes ownership of {@code b}. */
  private void finish(CompositeByteBuf b) {
    int status = head.status().code();
    Fields response = Fields.of(head.headers());
    Page previous = ctx.previous();
    StoredResponse prev = revalidating;
    Instant reqAt = Instant.ofEpochMilli(requestTime);
    Instant resAt = Instant.ofEpochMilli(responseTime);

    if (status == 304) {
      b.release();
      Fields prevFields = prev == null ? null : prev.fields();
      if (prev == null || !StoredFields.identifies(prevFields, response)) {
        if (prev != null && unconditional != null) {
          // RFC 9111 section 4.3.4: a 304 that selects no stored response updates nothing, and the
          // stored body must not be served as validated: ask for the whole response, once.
          LOG.debug("{}: origin 304 does not match the stored response; fetching it unconditionally", ex.resource);
          unconditional.run();
          return;
        }
        out.completeExceptionally(new OriginFailure(prev == null
            ? "origin: 304 to a request without validators" : "origin: 304 that does not match the stored response",
            false, true, null));
        return;
      }
      Fields freshened = StoredFields.freshen(prevFields, response, resAt).withoutAll(StoredResponse.NOT_STORED);
      Freshness f = Freshness.of(freshened, reqAt, resAt);
      // The freshened response is a new response to store (RFC 9111 section 4.3.4): a 304 that adds
      // Set-Cookie or makes it private must not leave a shared entry carrying them.
      Storability.Decision d = Storability.decide("GET", prev.status, Fields.of(ex.request.headers()), freshened, f,
          ex.identity != null);
      boolean userScoped = d.store() && d.scope() == Storability.Scope.USER;
      if (!d.store() || userScoped && ctx.key().scope().kind() != Scope.Kind.USER) {
        if (userScoped || d.reason() == Storability.Reason.PRIVATE) {
          rt.profiles.put(ex.resource, new ProxyRuntime.Profile(prev.vary.withoutAcceptEncoding(), true));
        }
        passWhole(previous.body(), freshened, d.store() ? "private" : reason(d.reason()), false);
        return;
      }
      withhold(response, d);
      String[] tags = TagHeaders.dependencies(response).tags().isEmpty()
          ? previous.tags().toArray(String[]::new)
          : tagsOf(response);
      if (tags == null) {
        passWhole(previous.body(), freshened, "tags-incomplete", false);
        return;
      }
      declare(tags);
      if (noTransform(freshened, f)) {
        ctx.storeUncompressed();
      }
      ex.revalidated = true;
      StoredResponse sr = new StoredResponse(prev.status, prev.reasonPhrase, freshened, f, prev.vary,
          prev.upstreamCacheStatus, true).withTemplate(prev.template);
      out.complete(new Content(previous.body(), previous.contentType(), sr));
      return;
    }
    if (isServerError(status)) {
      out.completeExceptionally(new PassThrough(head, b, null, "origin-error", false));
      return;
    }
    Storable st = storable;
    Storability.Decision d = st.decision();
    Freshness f = st.freshness();
    Vary sent = st.sent();
    byte[] bytes = ByteBufUtil.getBytes(b);
    b.release();
    Fields stored = StoredFields.forStorage(response, d.strip(), resAt).withoutAll(StoredResponse.NOT_STORED);
    List<String> surrogate = response.all(SurrogateControl.HEADER);
    if (SurrogateControl.targetsAnotherDevice(surrogate, SurrogateControl.DEVICE_TOKEN)) {
      for (String line : surrogate) {
        stored = stored.with(SurrogateControl.HEADER, line); // for the surrogate it is aimed at
      }
    }
    withhold(response, d);
    if (noTransform(response, f)) {
      ctx.storeUncompressed(); // RFC 9110 section 7.7: an intermediary must not change the content
    }
    StoredResponse sr = new StoredResponse(status, StoredResponse.reason(status, head.status().reasonPhrase()),
        stored, f, sent, StoredResponse.upstream(response.all("Cache-Status")), false);
    String type = head.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
    if (rt.config.esi() && SurrogateControl.wantsEsi(response)) {
      EsiTemplate t;
      try {
        t = EsiTemplate.parse(bytes, rt.esiLimits);
      } catch (EsiException e) {
        // The origin's bug: a 502 naming it, for this request and those waiting on it; nothing stored.
        out.completeExceptionally(e);
        return;
      }
      if (t.hasIncludes()) {
        out.complete(new Content(bytes, type, sr.withTemplate(t)));
        return;
      }
      bytes = literalOutput(t); // only removed markup: what every request would get
    }
    out.complete(new Content(bytes, type, sr));
  }

  /**
   * Decides on the head of a response other than a 304 or a server error whether it may be stored:
   * null if it may (what was found is kept in {@link #storable}), else the pass-through that streams
   * it on from {@code call}. The body plays no part in the decision.
   */
  private PassThrough decide(OriginCall call) {
    int status = head.status().code();
    if (ProxyHandler.contentCoding(head.headers().get(HttpHeaderNames.CONTENT_ENCODING)) != null) {
      // We asked for identity; a coded body would need decoding to be served to every client.
      return new PassThrough(head, Unpooled.EMPTY_BUFFER, call, "content-encoding", true);
    }
    if (isEventStream(head.headers().get(HttpHeaderNames.CONTENT_TYPE))) {
      // Live by nature and without end: stored, it would be held back until maxCacheableBodyBytes,
      // whatever freshness the origin gave it.
      return new PassThrough(head, Unpooled.EMPTY_BUFFER, call, "event-stream", true);
    }
    Fields response = Fields.of(head.headers());
    Freshness f = Freshness.of(response, Instant.ofEpochMilli(requestTime), Instant.ofEpochMilli(responseTime));
    Fields request = Fields.of(ex.request.headers());
    Storability.Decision d = Storability.decide("GET", status, request, response, f, ex.identity != null);
    Vary sent = Vary.of(response);
    // The key's Vary: the fill asked for identity whatever the client accepts, so the client's
    // Accept-Encoding selected nothing (the origin's Vary is still sent, see StoredResponse).
    Vary vary = sent.withoutAcceptEncoding();
    if (!d.store()) {
      boolean hfp = switch (d.reason()) {
        case REQUEST_NO_STORE, AUTHORIZATION, PRIVATE -> false;
        default -> true;
      };
      if (d.reason() == Storability.Reason.PRIVATE) {
        rt.profiles.put(ex.resource, new ProxyRuntime.Profile(vary.isStar() ? Vary.NONE : vary, true));
      }
      return new PassThrough(head, Unpooled.EMPTY_BUFFER, call, reason(d.reason()), hfp);
    }
    boolean userScoped = d.scope() == Storability.Scope.USER;
    if (!vary.equals(ex.vary) || userScoped && ctx.key().scope().kind() != Scope.Kind.USER) {
      // The key was computed with what we knew before this response: learn, pass this one through.
      rt.profiles.put(ex.resource, new ProxyRuntime.Profile(vary, userScoped));
      return new PassThrough(head, Unpooled.EMPTY_BUFFER, call, !vary.equals(ex.vary) ? "vary-changed" : "private", false);
    }
    // The default (no Vary, shared) is what no profile means: only other profiles are kept.
    ProxyRuntime.Profile known = rt.profiles.getIfPresent(ex.resource);
    boolean isDefault = !userScoped && vary.equals(Vary.NONE);
    if (isDefault) {
      if (known != null) {
        rt.profiles.invalidate(ex.resource);
      }
    } else if (known == null || known.userScoped() != userScoped || !known.vary().equals(vary)) {
      rt.profiles.put(ex.resource, new ProxyRuntime.Profile(vary, userScoped));
    }
    String[] tags = tagsOf(response);
    if (tags == null) {
      return new PassThrough(head, Unpooled.EMPTY_BUFFER, call, "tags-incomplete", true);
    }
    declare(tags);
    storable = new Storable(f, d, sent);
    return null;
  }

  /** Whether a Content-Type is {@code text/event-stream} (Server-Sent Events), parameters aside. */
  static boolean isEventStream(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim()
        .equalsIgnoreCase("text/event-stream");
  }

  /**
   * Whether the response forbids intermediaries to transform its content (RFC 9111 section 5.2.2.6):
   * {@code no-transform} in the field that governs this cache, or in {@code Cache-Control}, which
   * speaks to every intermediary even when a targeted field sets this cache's policy.
   */
  static boolean noTransform(Fields response, Freshness f) {
    return f.directives().noTransform()
        || CacheDirectives.parse(response.all("Cache-Control")).has("no-transform");
  }

  /** Keeps for the request that fetched {@code response} the lines the decision does not let the cache store. */
  private void withhold(Fields response, Storability.Decision d) {
    if (!d.strip().isEmpty()) {
      Fields withheld = response.filter(line -> d.strip().contains(Fields.lower(line.name())));
      ex.fillerOnly = withheld.lines().isEmpty() ? null : withheld;
    }
  }

  /** The response's dependency tags, malformed ones logged and skipped; null if a limit cut some off. */
  private String[] tagsOf(Fields response) {
    TagHeaders.Dependencies deps = TagHeaders.dependencies(response);
    for (TagHeaders.Rejected r : deps.rejected()) {
      LOG.warn("{}: skipped tag '{}': {}", ex.resource, r.text(), r.reason());
    }
    if (!deps.complete()) {
      return null;
    }
    return deps.tags().stream().map(Object::toString).toArray(String[]::new);
  }

  private void declare(String[] tags) {
    for (String t : tags) {
      try {
        ctx.dependsOn(t);
      } catch (IllegalArgumentException e) {
        LOG.warn("{}: skipped tag '{}': {}", ex.resource, Fields.printable(t), e.getMessage());
      }
    }
  }

  /** The revalidated response built from freshened fields, passed through (a freshened entry that may not be stored). */
  private void passWhole(byte[] bytes, Fields fields, String why, boolean hfp) {
    io.netty.handler.codec.http.DefaultHttpResponse r = new io.netty.handler.codec.http.DefaultHttpResponse(
        head.protocolVersion(), io.netty.handler.codec.http.HttpResponseStatus.valueOf(revalidating.status),
        fields.toNetty());
    r.headers().set(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
    out.completeExceptionally(new PassThrough(r, Unpooled.wrappedBuffer(bytes), null, why, hfp));
  }

  /** The output of a template without includes: its literal parts. */
  static byte[] literalOutput(EsiTemplate t) {
    if (t.isVerbatim()) {
      return t.body();
    }
    byte[] out = new byte[(int) t.literalBytes()];
    int at = 0;
    for (EsiTemplate.Part p : t.parts()) {
      EsiTemplate.Literal l = (EsiTemplate.Literal) p;
      System.arraycopy(l.array(), l.offset(), out, at, l.length());
      at += l.length();
    }
    return out;
  }

  private static String reason(Storability.Reason r) {
    return r.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }
}
