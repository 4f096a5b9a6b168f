package io.freshcache.proxy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.proxy.EsiAssembler.Fetched;
import io.freshcache.proxy.EsiAssembler.Outcome;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link EsiAssembler}: filling includes, and the onerror and alt rules. */
class EsiAssemblerTest {

  private static final String ORIGIN = "origin:8081";

  /** A fake origin: path to body (ESI when it contains markup), or to a failure when absent. */
  private final Map<String, String> origin = new HashMap<>();
  private final List<String> fetched = new ArrayList<>();

  private Fetched fetch(String path) {
    fetched.add(path);
    String body = origin.get(path);
    if (body == null) {
      return Fetched.failure("origin answered 503");
    }
    try {
      return Fetched.template(EsiTemplate.parse(body.getBytes(UTF_8), EsiLimits.DEFAULTS));
    } catch (EsiException e) {
      return Fetched.failure(e.getMessage());
    }
  }

  private Outcome assemble(String page, EsiLimits limits) throws EsiException {
    EsiTemplate t = EsiTemplate.parse(page.getBytes(UTF_8), limits);
    return EsiAssembler.assemble(t, EsiExpansion.root("/dir/page", ORIGIN, limits), this::fetch);
  }

  private String ok(String page) throws EsiException {
    Outcome o = assemble(page, EsiLimits.DEFAULTS);
    assertThat(o).isInstanceOf(Outcome.Assembled.class);
    return new String(((Outcome.Assembled) o).body(), UTF_8);
  }

  private EsiError failed(String page) throws EsiException {
    return failed(page, EsiLimits.DEFAULTS);
  }

  private EsiError failed(String page, EsiLimits limits) throws EsiException {
    Outcome o = assemble(page, limits);
    assertThat(o).isInstanceOf(Outcome.Failed.class);
    return ((Outcome.Failed) o).error();
  }

  @Test
  void aPageWithoutIncludesIsItsLiterals() throws Exception {
    assertThat(ok("a<esi:remove>x</esi:remove>b")).isEqualTo("ab");
    assertThat(fetched).isEmpty();
  }

  @Test
  void includesAreFilledAndResolvedAgainstTheirOwnParent() throws Exception {
    origin.put("/dir/head", "H<esi:include src=\"parts/nav?x=1&amp;y=2\"/>h");
    origin.put("/dir/parts/nav?x=1&y=2", "N<esi:include src=\"../foot\"/>n");
    origin.put("/dir/foot", "F");
    assertThat(ok("<p><esi:include src=\"head\"/></p>")).isEqualTo("<p>HNFnh</p>");
    assertThat(fetched).containsExactly("/dir/head", "/dir/parts/nav?x=1&y=2", "/dir/foot");
  }

  @Test
  void aPathIsFetchedOncePerAssembly() throws Exception {
    origin.put("/x", "X");
    assertThat(ok("<esi:include src=\"/x\"/>-<esi:include src=\"/x\"/>")).isEqualTo("X-X");
    assertThat(fetched).containsExactly("/x");
  }

  @Test
  void aFailedIncludeFailsTheResponseWithItsChain() throws Exception {
    origin.put("/a", "A<esi:include src=\"/b\"/>");
    EsiError e = failed("<esi:include src=\"/a\"/>");
    assertThat(e.kind()).isEqualTo(EsiError.Kind.FETCH);
    assertThat(e.message()).isEqualTo("ESI include /b failed: origin answered 503 (in /dir/page -> /a -> /b)");
  }

  @Test
  void onerrorContinueLeavesNothing() throws Exception {
    assertThat(ok("a<esi:include src=\"/missing\" onerror=\"continue\"/>b")).isEqualTo("ab");
  }

  @Test
  void theAltIsTriedOnce() throws Exception {
    origin.put("/alt", "ALT");
    assertThat(ok("a<esi:include src=\"/missing\" alt=\"/alt\"/>b")).isEqualTo("aALTb");
    assertThat(fetched).containsExactly("/missing", "/alt");
    fetched.clear();
    assertThat(ok("a<esi:include src=\"/missing\" alt=\"/gone\" onerror=\"continue\"/>b")).isEqualTo("ab");
    assertThat(fetched).containsExactly("/missing", "/gone");
    EsiError e = failed("<esi:include src=\"/missing\" alt=\"/gone\"/>");
    assertThat(e.message()).isEqualTo("ESI include /missing failed: origin answered 503 (in /dir/page -> /missing)"
        + "; alt failed too: ESI include /gone failed: origin answered 503 (in /dir/page -> /gone)");
  }

  @Test
  void aFragmentWhoseOwnIncludeFailsIsAFailedIncludeAndLeavesNoPartialOutput() throws Exception {
    origin.put("/a", "PARTIAL<esi:include src=\"/missing\"/>");
    origin.put("/alt", "ALT");
    assertThat(ok("[<esi:include src=\"/a\" onerror=\"continue\"/>]")).isEqualTo("[]");
    assertThat(ok("[<esi:include src=\"/a\" alt=\"/alt\"/>]")).isEqualTo("[ALT]");
  }

  @Test
  void aFragmentThatDoesNotParseIsAFailedInclude() throws Exception {
    origin.put("/bad", "<esi:choose>");
    assertThat(failed("<esi:include src=\"/bad\"/>").message()).contains("unsupported ESI element <esi:choose>");
    assertThat(ok("<esi:include src=\"/bad\" onerror=\"continue\"/>")).isEmpty();
  }

  @Test
  void cyclesAndDepthAreIncludeFailures() throws Exception {
    origin.put("/a", "A<esi:include src=\"/b\"/>");
    origin.put("/b", "B<esi:include src=\"/a\"/>");
    EsiError e = failed("<esi:include src=\"/a\"/>");
    assertThat(e.kind()).isEqualTo(EsiError.Kind.CYCLE);
    assertThat(e.message()).isEqualTo("ESI include cycle: /dir/page -> /a -> /b -> /a");
    origin.put("/c", "C<esi:include src=\"/a\" onerror=\"continue\"/>");
    assertThat(ok("<esi:include src=\"/a\" onerror=\"continue\"/>|<esi:include src=\"/c\"/>")).isEqualTo("|C");
    // Where the cycle closes with onerror="continue", only the closing include is left out.
    origin.put("/a2", "A<esi:include src=\"/b2\"/>");
    origin.put("/b2", "B<esi:include src=\"/a2\" onerror=\"continue\"/>");
    assertThat(ok("<esi:include src=\"/a2\"/>")).isEqualTo("AB");
    // A self-include is a cycle at once.
    assertThat(failed("<esi:include src=\"page\"/>").kind()).isEqualTo(EsiError.Kind.CYCLE);

    origin.put("/1", "1<esi:include src=\"/2\"/>");
    origin.put("/2", "2<esi:include src=\"/3\"/>");
    origin.put("/3", "3<esi:include src=\"/4\" onerror=\"continue\"/>");
    origin.put("/4", "4");
    assertThat(ok("<esi:include src=\"/1\"/>")).isEqualTo("123"); // depth 3 is the default limit
    EsiLimits shallow = new EsiLimits(64, 1, 100, 1 << 20);
    assertThat(failed("<esi:include src=\"/1\"/>", shallow).kind()).isEqualTo(EsiError.Kind.DEPTH);
  }

  @Test
  void anUnsafeSrcIsAnIncludeFailure() throws Exception {
    EsiError e = failed("<esi:include src=\"http://evil.example/\"/>");
    assertThat(e.kind()).isEqualTo(EsiError.Kind.SRC);
    assertThat(e.message()).contains("names host evil.example").endsWith("(in /dir/page)");
    assertThat(ok("<esi:include src=\"http://evil.example/\" onerror=\"continue\"/>")).isEmpty();
    assertThat(fetched).isEmpty();
  }

  @Test
  void limitsFailTheResponseWhateverOnerrorSays() throws Exception {
    origin.put("/x", "0123456789");
    EsiLimits two = new EsiLimits(2, 3, 100, 1 << 20);
    String three = "<esi:include src=\"/x?1\" onerror=\"continue\"/><esi:include src=\"/x?2\" onerror=\"continue\"/>"
        + "<esi:include src=\"/x?3\" onerror=\"continue\"/>";
    EsiTemplate t = EsiTemplate.parse(three.getBytes(UTF_8), EsiLimits.DEFAULTS);
    Outcome o = EsiAssembler.assemble(t, EsiExpansion.root("/p", ORIGIN, two), this::fetch);
    assertThat(((Outcome.Failed) o).error().kind()).isEqualTo(EsiError.Kind.LIMIT);

    EsiLimits small = new EsiLimits(64, 3, 100, 15);
    EsiError e = failed("abcdef<esi:include src=\"/x\" onerror=\"continue\"/>", small);
    assertThat(e.kind()).isEqualTo(EsiError.Kind.LIMIT);
    assertThat(e.message()).isEqualTo("ESI output of more than 15 bytes, at /dir/page -> /x (maxOutputBytes: 15)");
    assertThat(ok("abcde<esi:include src=\"/x\"/>")).hasSize(15);
  }

  @Test
  void aThrowingFetchIsAFailedInclude() throws Exception {
    EsiTemplate t = EsiTemplate.parse("<esi:include src=\"/x\"/>".getBytes(UTF_8), EsiLimits.DEFAULTS);
    Outcome o = EsiAssembler.assemble(t, EsiExpansion.root("/p", ORIGIN, EsiLimits.DEFAULTS), path -> {
      throw new IllegalStateException("boom");
    });
    assertThat(((Outcome.Failed) o).error().message())
        .isEqualTo("ESI include /x failed: java.lang.IllegalStateException: boom (in /p -> /x)");
  }

  @Test
  void plainBodiesAreNotParsed() throws Exception {
    EsiTemplate t = EsiTemplate.parse("[<esi:include src=\"/x\"/>]".getBytes(UTF_8), EsiLimits.DEFAULTS);
    Outcome o = EsiAssembler.assemble(t, EsiExpansion.root("/p", ORIGIN, EsiLimits.DEFAULTS),
        path -> Fetched.body("<esi:include src=\"/y\"/>".getBytes(UTF_8)));
    assertThat(new String(((Outcome.Assembled) o).body(), UTF_8)).isEqualTo("[<esi:include src=\"/y\"/>]");
    assertThat(((Outcome.Assembled) o).includes()).isEqualTo(1);
  }

  @Test
  void theOnErrorRule() {
    EsiTemplate.Include strict = new EsiTemplate.Include("/x", null, false, 0);
    EsiTemplate.Include lenient = new EsiTemplate.Include("/x", "/y", true, 0);
    EsiError fetch = new EsiError(EsiError.Kind.FETCH, "f");
    EsiError limit = new EsiError(EsiError.Kind.LIMIT, "l");
    assertThat(EsiAssembler.onError(strict, fetch, null)).isSameAs(fetch);
    assertThat(EsiAssembler.onError(lenient, fetch, fetch)).isNull();
    assertThat(EsiAssembler.onError(lenient, limit, null)).isSameAs(limit);
    assertThat(EsiAssembler.onError(lenient, fetch, limit)).isSameAs(limit);
    assertThat(EsiAssembler.onError(strict, fetch, fetch).message()).isEqualTo("f; alt failed too: f");
  }
}
