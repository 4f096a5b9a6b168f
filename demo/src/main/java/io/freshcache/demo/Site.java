package io.freshcache.demo;

import static io.freshcache.demo.Html.escape;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The wiki's routes: turns a {@link Request} into a {@link Response}, with the caching headers the
 * proxy acts on. No sockets here (see {@link DemoWiki} for the server), so tests call it directly.
 *
 * <p>Every cacheable response states all it depends on in {@code Cache-Tag}; every save states
 * exactly what changed in {@code Cache-Invalidate}. {@code docs/demo.md} has the tag design.
 */
final class Site {

  /**
   * Pages and fragments: kept by the proxy (s-maxage) until invalidated, and revalidated by browsers
   * on every use (max-age=0), so a browser never shows its own stale copy after an edit; the proxy
   * answers those revalidations from its cache with 304.
   */
  static final String PUBLIC = "public, max-age=0, s-maxage=3600";

  /** The same for per-user responses; the proxy keeps them per {@code demo_user} cookie. */
  static final String PRIVATE = "private, max-age=0, s-maxage=3600";

  /** Forms, redirects and errors. */
  static final String NO_STORE = "no-store";

  /** The style sheet and script never change while the origin runs. */
  static final String STATIC = "public, max-age=3600";

  /**
   * Above this many tags (or {@link #MAX_TAG_CHARS} of header), a response is not offered for caching:
   * the proxy takes a bounded number of tags, and one it dropped would be a change it never hears of.
   */
  static final int MAX_TAGS = 200;

  static final int MAX_TAG_CHARS = 8 * 1024;

  static final int MAX_BODY_BYTES = 64 * 1024;
  static final int MAX_TITLE = 120;
  static final int MAX_TEXT = 20_000;

  private static final Pattern LOCAL_PATH = Pattern.compile("/[A-Za-z0-9_./-]*");
  private static final Set<String> FORM_FIELDS_EDIT = Set.of("title", "text", "version");

  private final WikiStore store;
  private final Dashboard dashboard;
  private final boolean esi;
  private final byte[] css = resource("wiki.css");
  private final byte[] js = resource("wiki.js");

  /**
   * @param esi whether holes are left to the proxy as {@code <esi:include>}; if false (the origin
   *     alone), they are filled in here and pages are not cacheable
   */
  Site(WikiStore store, Dashboard dashboard, boolean esi) {
    this.store = store;
    this.dashboard = dashboard;
    this.esi = esi;
  }

  Response handle(Request request) {
    boolean head = request.method().equals("HEAD");
    Response response = route(head ? "GET" : request.method(), request);
    if (head) {
      return new Response(response.status(), response.headers(), new byte[0]);
    }
    return response;
  }

  private Response route(String method, Request r) {
    String path = r.path();
    String user = user(r);
    if (path.equals("/")) {
      return get(method) ? page("Home", user) : notAllowed("GET, HEAD");
    }
    if (path.startsWith("/_")) {
      if (!get(method)) {
        return notAllowed("GET, HEAD");
      }
      return switch (path) {
        case "/_bar" -> bar(user);
        case "/_my" -> my(user);
        case "/_static/wiki.css" -> asset(css, "text/css; charset=utf-8");
        case "/_static/wiki.js" -> asset(js, "text/javascript; charset=utf-8");
        default -> path.startsWith("/_widget/") ? widget(path.substring("/_widget/".length())) : notFound(user);
      };
    }
    if (path.equals("/login")) {
      return method.equals("POST") ? login(r) : get(method) ? loginForm(r, user, null, 200) : notAllowed("GET, HEAD, POST");
    }
    if (path.equals("/logout")) {
      return method.equals("POST") ? logout(r) : notAllowed("POST");
    }
    if (path.startsWith("/edit/")) {
      String name = path.substring("/edit/".length());
      if (!PageNames.isValid(name)) {
        return notFound(user);
      }
      return switch (method) {
        case "GET" -> editForm(name, user);
        case "POST" -> edit(name, user, r);
        default -> notAllowed("GET, HEAD, POST");
      };
    }
    if (path.startsWith("/delete/")) {
      String name = path.substring("/delete/".length());
      if (!PageNames.isValid(name)) {
        return notFound(user);
      }
      return method.equals("POST") ? delete(name, user) : notAllowed("POST");
    }
    String name = path.substring(1);
    if (!PageNames.isValid(name)) {
      return notFound(user);
    }
    return get(method) ? page(name, user) : notAllowed("GET, HEAD");
  }

  private static boolean get(String method) {
    return method.equals("GET");
  }

  private static String user(Request r) {
    return Users.byId(r.cookie(Users.COOKIE)).map(Users.User::id).orElse(null);
  }

  // ---- pages

  /** A wiki page, or the cacheable "no such page yet" answer that its creation invalidates. */
  Response page(String name, String user) {
    RenderContext ctx = context(user, true);
    ctx.depend(Tags.page(name));
    StringBuilder main = new StringBuilder(2048);
    crumbs(name, ctx, main);
    Optional<WikiStore.Page> page = store.get(name);
    String title;
    int status;
    if (page.isPresent()) {
      WikiStore.Page p = page.get();
      title = p.title();
      status = 200;
      main.append("<h1>").append(escape(title)).append("</h1>\n<article>\n");
      ctx.enter(name);
      Markup.render(p.text(), ctx, main);
      ctx.exit();
      main.append("</article>\n<p class=\"meta\">Version ").append(p.version()).append(", last edited by ")
          .append(escape(p.author())).append(", ").append(Html.time(p.modified()))
          .append(" · <a href=\"/edit/").append(escape(name)).append("\">Edit this page</a></p>\n");
    } else {
      title = name;
      status = 404;
      main.append("<h1>").append(escape(name)).append("</h1>\n<p class=\"empty\">There is no page of this name yet. ")
          .append("<a href=\"/edit/").append(escape(name)).append("\">Create it</a>.</p>\n");
    }
    return cacheable(status, PUBLIC, document(title, main, ctx, esi), ctx);
  }

  private static void crumbs(String name, RenderContext ctx, StringBuilder out) {
    List<String> ancestors = PageNames.ancestors(name);
    if (ancestors.isEmpty()) {
      return;
    }
    out.append("<nav class=\"crumbs\">");
    for (String a : ancestors) {
      Markup.link(a, ctx, out);
      out.append(" / ");
    }
    out.append("</nav>\n");
  }

  /** The signed-in user's own edits: private, one entry per user. */
  private Response my(String user) {
    if (user == null) {
      return forbidden("Log in to see your edits.", null);
    }
    RenderContext ctx = context(user, true);
    ctx.depend(Tags.user(user));
    ctx.depend(Tags.RECENT);
    List<WikiStore.Change> mine = new ArrayList<>();
    for (WikiStore.Change c : store.recent(WikiStore.LOG_SIZE)) {
      if (c.author().equals(user)) {
        mine.add(c);
      }
    }
    StringBuilder main = new StringBuilder(1024);
    main.append("<h1>My edits</h1>\n<p>Your changes among the last ").append(WikiStore.LOG_SIZE)
        .append(". This view is private: the proxy keeps one copy per user.</p>\n");
    Markup.changes(mine, main);
    return cacheable(200, PRIVATE, document("My edits", main, ctx, esi), ctx);
  }

  // ---- fragments

  /** The per-user bar: a hole in every page, so pages stay public. */
  Response bar(String user) {
    StringBuilder out = new StringBuilder(512);
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Cache-Control", PRIVATE);
    if (user == null) {
      out.append("<a class=\"button\" href=\"/login\">Log in</a>");
      headers.put("Cache-Tag", Tags.BAR);
    } else {
      RenderContext ctx = context(user, false);
      ctx.depend(Tags.BAR);
      ctx.depend(Tags.user(user));
      out.append("<span>Signed in as ");
      Markup.link(Users.byId(user).orElseThrow().page(), ctx, out);
      out.append("</span> <a href=\"/_my\">My edits</a> ")
          .append("<form method=\"post\" action=\"/logout\"><button type=\"submit\">Log out</button></form>");
      headers.put("Cache-Tag", String.join(", ", ctx.tags()));
    }
    return Response.html(200, security(headers), out.toString());
  }

  private Response widget(String name) {
    String html = Dashboard.WIDGETS.contains(name) ? dashboard.render(name) : null;
    if (html == null) {
      return Response.html(404, security(Map.of("Cache-Control", NO_STORE)), "<p>No such widget.</p>");
    }
    return Response.html(200, security(Map.of("Cache-Control", PUBLIC, "Cache-Tag", Tags.widget(name))), html);
  }

  private static Response asset(byte[] body, String type) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Content-Type", type);
    h.put("Cache-Control", STATIC);
    h.put("Cache-Tag", Tags.STATIC);
    return new Response(200, security(h), body);
  }

  // ---- editing

  private Response editForm(String name, String user) {
    if (user == null) {
      return forbidden("Log in to edit pages.", "/edit/" + name);
    }
    Optional<WikiStore.Page> page = store.get(name);
    String title = page.map(WikiStore.Page::title).orElse(PageNames.leaf(name));
    String text = page.map(WikiStore.Page::text).orElse("");
    long version = page.map(WikiStore.Page::version).orElse(0L);
    return form(200, name, title, text, version, null, user);
  }

  private Response edit(String name, String user, Request r) {
    if (user == null) {
      return forbidden("Log in to edit pages.", "/edit/" + name);
    }
    Map<String, String> form;
    try {
      form = form(r, FORM_FIELDS_EDIT);
    } catch (BadRequest e) {
      return e.response;
    }
    String title = form.getOrDefault("title", "").strip();
    String text = form.getOrDefault("text", "").replace("\r\n", "\n").replace('\r', '\n');
    long version;
    try {
      version = Long.parseLong(form.getOrDefault("version", ""));
    } catch (NumberFormatException e) {
      version = -1;
    }
    String problem = version < 0 ? "version: '" + form.get("version") + "' (expected: a number >= 0)"
        : title.isEmpty() ? "title: empty (expected: 1 to " + MAX_TITLE + " characters)"
        : title.length() > MAX_TITLE ? "title: " + title.length() + " characters (expected: <= " + MAX_TITLE + ")"
        : hasControl(title, false) ? "title: contains control characters (expected: plain text)"
        : text.length() > MAX_TEXT ? "text: " + text.length() + " characters (expected: <= " + MAX_TEXT + ")"
        : hasControl(text, true) ? "text: contains control characters (expected: plain text, lines, tabs)"
        : null;
    if (problem != null) {
      return form(400, name, title, text, Math.max(version, 0), problem, user);
    }
    WikiStore.SaveResult result = store.save(name, title, text, user, version);
    if (result instanceof WikiStore.SaveResult.Conflict c) {
      long current = c.current() == null ? 0 : c.current().version();
      return form(409, name, title, text, current,
          "This page was changed (or deleted) since you opened the editor; it is now at version " + current
              + ". Your text is below; saving again will replace the current version.", user);
    }
    List<String> invalidate = new ArrayList<>();
    if (result instanceof WikiStore.SaveResult.Saved s) {
      invalidate = changedTags(s.before(), s.after());
    }
    return redirect("/" + name, invalidate);
  }

  /**
   * Exactly what a save changed. Only the aspects that changed, so that links (which show only the
   * title) survive text edits; a new page as a whole, which also reaches every {@code P/*} and {@code
   * P/**} pattern above it.
   */
  static List<String> changedTags(WikiStore.Page before, WikiStore.Page after) {
    List<String> tags = new ArrayList<>();
    if (before == null) {
      tags.add(Tags.page(after.name()));
    } else {
      if (!before.title().equals(after.title())) {
        tags.add(Tags.title(after.name()));
      }
      if (!before.text().equals(after.text())) {
        tags.add(Tags.text(after.name()));
      }
    }
    tags.add(Tags.RECENT);
    return tags;
  }

  private Response delete(String name, String user) {
    if (user == null) {
      return forbidden("Log in to delete pages.", "/edit/" + name);
    }
    if (store.hasChildren(name)) {
      return message(409, "Cannot delete", "Page " + name + " has pages below it; delete those first.", user);
    }
    if (store.delete(name, user).isEmpty()) {
      return notFound(user);
    }
    String parent = PageNames.parent(name);
    // Whole: the page's own view, its links, includes and the parent's listings all change.
    return redirect(parent == null ? "/" : "/" + parent, List.of(Tags.page(name), Tags.RECENT));
  }

  private static boolean hasControl(String s, boolean allowLines) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if ((c < 0x20 && !(allowLines && (c == '\n' || c == '\t'))) || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        return true;
      }
    }
    return false;
  }

  private Response form(int status, String name, String title, String text, long version, String problem, String user) {
    RenderContext ctx = context(user, false);
    StringBuilder main = new StringBuilder(4096);
    crumbs(name, ctx, main);
    main.append("<h1>Edit ").append(escape(name)).append("</h1>\n");
    if (problem != null) {
      main.append("<p class=\"problem\">").append(escape(problem)).append("</p>\n");
    }
    main.append("<form class=\"edit\" method=\"post\" action=\"/edit/").append(escape(name)).append("\">\n")
        .append("<input type=\"hidden\" name=\"version\" value=\"").append(version).append("\">\n")
        .append("<label>Title <input name=\"title\" required maxlength=\"").append(MAX_TITLE).append("\" value=\"")
        .append(escape(title)).append("\"></label>\n")
        .append("<label>Text <textarea name=\"text\" rows=\"16\" maxlength=\"").append(MAX_TEXT).append("\">")
        .append(escape(text)).append("</textarea></label>\n")
        .append("<p><button type=\"submit\">Save</button> <a href=\"/").append(escape(name)).append("\">Cancel</a></p>\n")
        .append("</form>\n");
    if (version > 0) {
      main.append("<form class=\"delete\" method=\"post\" action=\"/delete/").append(escape(name))
          .append("\"><button type=\"submit\" class=\"danger\">Delete page</button></form>\n");
    }
    main.append("<aside class=\"help\"><b>Markup</b>: blank line between paragraphs · <code>**bold**</code> · ")
        .append("<code>== Heading</code> · <code>* item</code> · <code>[[Projects/Alpha]]</code> links show the title · ")
        .append("on their own line: <code>{{include Page}}</code> <code>{{children Page}}</code> ")
        .append("<code>{{tree Page}}</code> <code>{{recent 5}}</code> <code>{{widget builds}}</code>.<br>")
        .append("Saving sends <code>Cache-Invalidate</code> with what changed: <code>page:X#text</code> for the text, ")
        .append("<code>page:X#title</code> for the title, <code>recent</code>; a new page is <code>page:X</code> whole.</aside>\n");
    return uncacheable(status, document("Edit " + name, main, ctx, false), Map.of());
  }

  // ---- login

  private Response loginForm(Request r, String user, String problem, int status) {
    RenderContext ctx = context(user, false);
    String back = localPath(r.header("referer"));
    StringBuilder main = new StringBuilder(1024);
    main.append("<h1>Log in</h1>\n");
    if (problem != null) {
      main.append("<p class=\"problem\">").append(escape(problem)).append("</p>\n");
    }
    main.append("<p>Demo users have no passwords: pick one. The cookie <code>").append(Users.COOKIE)
        .append("</code> tells the proxy whose private entries to use.</p>\n")
        .append("<form class=\"login\" method=\"post\" action=\"/login\">\n")
        .append("<input type=\"hidden\" name=\"return\" value=\"").append(escape(back)).append("\">\n");
    for (Users.User u : Users.ALL) {
      main.append("<button type=\"submit\" name=\"user\" value=\"").append(u.id()).append("\">")
          .append(u.id()).append("</button>\n");
    }
    main.append("</form>\n");
    return uncacheable(status, document("Log in", main, ctx, false), Map.of());
  }

  private Response login(Request r) {
    Map<String, String> form;
    try {
      form = form(r, Set.of("user", "return"));
    } catch (BadRequest e) {
      return e.response;
    }
    Optional<Users.User> user = Users.byId(form.get("user"));
    if (user.isEmpty()) {
      return loginForm(r, null, "user: '" + form.get("user") + "' (expected: alice, bob or carol)", 400);
    }
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Set-Cookie", Users.COOKIE + "=" + user.get().id() + "; Path=/; HttpOnly; SameSite=Lax");
    return see(localPath(form.get("return")), h);
  }

  private Response logout(Request r) {
    Map<String, String> h = new LinkedHashMap<>();
    h.put("Set-Cookie", Users.COOKIE + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
    return see(localPath(r.header("referer")), h);
  }

  /** A path on this site to go back to: the path of {@code uri} if it is a plain one, else "/". */
  static String localPath(String uri) {
    if (uri == null) {
      return "/";
    }
    String path;
    try {
      path = uri.startsWith("/") ? uri : URI.create(uri).getRawPath();
    } catch (IllegalArgumentException e) {
      return "/";
    }
    if (path == null || !LOCAL_PATH.matcher(path).matches() || path.startsWith("//")
        || path.equals("/login") || path.startsWith("/_")) {
      return "/";
    }
    return path;
  }

  // ---- building responses

  private RenderContext context(String user, boolean cacheable) {
    Function<String, String> holes;
    if (esi && cacheable) {
      holes = src -> "<esi:include src=\"" + escape(src) + "\"/>";
    } else {
      // Without the proxy (or in a response it will not keep), fill the hole here, as the viewer.
      holes = src -> route("GET", Request.get(src, user)).text();
    }
    return new RenderContext(store, holes);
  }

  /** A whole HTML document around {@code main}, with the site header, the bar and the debug footer. */
  private String document(String title, CharSequence main, RenderContext ctx, boolean cached) {
    String bar = ctx.hole("/_bar");
    StringBuilder out = new StringBuilder(main.length() + 2048);
    out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<title>").append(escape(title)).append(" · Freshcache wiki</title>\n")
        .append("<link rel=\"stylesheet\" href=\"/_static/wiki.css\">\n")
        .append("<script src=\"/_freshcache/live.js\" defer></script>\n")
        .append("<script src=\"/_static/wiki.js\" defer></script>\n")
        .append("</head>\n<body>\n<header class=\"top\">\n<a class=\"brand\" href=\"/\">Freshcache <span>wiki</span></a>\n")
        .append("<nav class=\"site\"><a href=\"/Home\">Home</a> <a href=\"/Projects\">Projects</a> ")
        .append("<a href=\"/People\">People</a> <a href=\"/Recent\">Recent changes</a> <a href=\"/Dashboard\">Dashboard</a></nav>\n")
        .append("<div class=\"bar\" data-freshcache-fragment=\"/_bar\">").append(bar).append("</div>\n</header>\n")
        .append("<main>\n").append(main).append("</main>\n")
        .append("<footer class=\"debug\">\n<div><span class=\"label\">Cache-Tag</span> ");
    if (!cached) {
      out.append("<em>none: this response is not cached</em>");
    } else {
      for (String t : ctx.tags()) {
        out.append("<code>").append(escape(t)).append("</code> ");
      }
    }
    out.append("</div>\n<div><span class=\"label\">Cache-Status</span> <code id=\"fc-status\">…</code></div>\n")
        .append("<div class=\"note\">The tags this page's cache entry depends on. The bar and the widgets are ")
        .append("separate entries (ESI), each with its own tags and scope.</div>\n</footer>\n</body>\n</html>\n");
    return out.toString();
  }

  private Response cacheable(int status, String cacheControl, String body, RenderContext ctx) {
    Map<String, String> h = new LinkedHashMap<>();
    String tags = String.join(", ", ctx.tags());
    if (esi) {
      boolean tooMany = ctx.tags().size() > MAX_TAGS || tags.length() > MAX_TAG_CHARS;
      h.put("Cache-Control", tooMany ? NO_STORE : cacheControl);
      if (!tooMany) {
        h.put("Cache-Tag", tags);
      }
      if (ctx.hasHoles()) {
        h.put("Surrogate-Control", "content=\"ESI/1.0\"");
      }
    } else {
      // The holes were filled for one viewer: nobody may keep this.
      h.put("Cache-Control", NO_STORE);
    }
    return Response.html(status, security(h), body);
  }

  private static Response uncacheable(int status, String body, Map<String, String> headers) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put("Cache-Control", NO_STORE);
    return Response.html(status, security(h), body);
  }

  private static Response redirect(String location, List<String> invalidate) {
    Map<String, String> h = new LinkedHashMap<>();
    if (!invalidate.isEmpty()) {
      h.put("Cache-Invalidate", String.join(", ", invalidate));
    }
    return see(location, h);
  }

  private static Response see(String location, Map<String, String> headers) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put("Location", location);
    h.put("Cache-Control", NO_STORE);
    return Response.html(303, security(h), "<p>See <a href=\"" + escape(location) + "\">" + escape(location) + "</a>.</p>\n");
  }

  private Response forbidden(String why, String back) {
    StringBuilder main = new StringBuilder(256);
    main.append("<h1>Log in first</h1>\n<p>").append(escape(why)).append(" <a href=\"/login\">Log in</a>")
        .append(back == null ? "" : ", then <a href=\"" + escape(back) + "\">try again</a>").append(".</p>\n");
    return uncacheable(403, document("Log in first", main, context(null, false), false), Map.of());
  }

  private Response notFound(String user) {
    return message(404, "Not found", "There is nothing at this address.", user);
  }

  private Response message(int status, String title, String text, String user) {
    StringBuilder main = new StringBuilder(256);
    main.append("<h1>").append(escape(title)).append("</h1>\n<p>").append(escape(text)).append("</p>\n");
    return uncacheable(status, document(title, main, context(user, false), false), Map.of());
  }

  private static Response notAllowed(String allow) {
    return uncacheable(405, "<p>Method not allowed.</p>\n", Map.of("Allow", allow));
  }

  /** Headers every response gets: a script policy, so that an escaping slip still runs no script. */
  private static Map<String, String> security(Map<String, String> headers) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put("X-Content-Type-Options", "nosniff");
    h.put("Content-Security-Policy", "script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'");
    return h;
  }

  // ---- forms

  /** A request that cannot be served, with the response to send. */
  private static final class BadRequest extends Exception {
    private static final long serialVersionUID = 1L;
    final transient Response response;

    BadRequest(int status, String message) {
      super(message, null, false, false);
      this.response = uncacheable(status, "<p>" + escape(message) + "</p>\n", Map.of());
    }
  }

  /** The fields of a urlencoded form body, each at most once, none but {@code allowed}. */
  static Map<String, String> form(Request r, Set<String> allowed) throws BadRequest {
    String type = r.header("content-type");
    if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
      throw new BadRequest(415, "Content-Type: " + type + " (expected: application/x-www-form-urlencoded)");
    }
    if (r.body().length > MAX_BODY_BYTES) {
      throw new BadRequest(413, "body: " + r.body().length + " bytes (expected: <= " + MAX_BODY_BYTES + ")");
    }
    Map<String, String> fields = new LinkedHashMap<>();
    String body = new String(r.body(), UTF_8);
    if (body.isEmpty()) {
      return fields;
    }
    for (String pair : body.split("&")) {
      int eq = pair.indexOf('=');
      String name;
      String value;
      try {
        name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), UTF_8);
        value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), UTF_8);
      } catch (IllegalArgumentException e) {
        throw new BadRequest(400, "form: malformed encoding (expected: application/x-www-form-urlencoded)");
      }
      if (!allowed.contains(name)) {
        throw new BadRequest(400, "form field: '" + name + "' (expected: one of " + String.join(", ", allowed) + ")");
      }
      if (fields.put(name, value) != null) {
        throw new BadRequest(400, "form field: '" + name + "' given twice (expected: once)");
      }
    }
    return fields;
  }

  private static byte[] resource(String name) {
    try (InputStream in = Site.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("resource missing: io/freshcache/demo/" + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
