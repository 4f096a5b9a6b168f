package io.freshcache.proxy;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.freshcache.proxy.EsiTemplate.Include;
import io.freshcache.proxy.EsiTemplate.Literal;
import io.freshcache.proxy.EsiTemplate.Part;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link EsiTemplate}: each construct, each error, and the no-markup fast path. */
class EsiTemplateTest {

  private static final EsiLimits LIMITS = EsiLimits.DEFAULTS;

  /** The parts as text: literals as their text, includes as {src|alt|continue}. */
  static List<String> render(EsiTemplate t) {
    List<String> out = new ArrayList<>();
    for (Part p : t.parts()) {
      if (p instanceof Literal l) {
        out.add(new String(l.array(), l.offset(), l.length(), UTF_8));
      } else {
        Include i = (Include) p;
        out.add("{" + i.src() + (i.alt() == null ? "" : "|" + i.alt()) + (i.continueOnError() ? "|continue" : "") + "}");
      }
    }
    return out;
  }

  private static List<String> parts(String body) throws EsiException {
    return render(EsiTemplate.parse(body.getBytes(UTF_8), LIMITS));
  }

  private static EsiError error(String body) {
    return error(body, LIMITS);
  }

  private static EsiError error(String body, EsiLimits limits) {
    EsiException e = catchThrowableOfType(() -> EsiTemplate.parse(body.getBytes(UTF_8), limits), EsiException.class);
    assertThat(e).as("parse of %s", body).isNotNull();
    return e.error();
  }

  @Test
  void aBodyWithoutMarkupIsOneLiteralSharingTheArray() throws Exception {
    byte[] body = "<html><!-- a comment --><esi <ESI:include src=x/> esi: </html>".getBytes(UTF_8);
    EsiTemplate t = EsiTemplate.parse(body, LIMITS);
    assertThat(t.parts()).hasSize(1);
    Literal l = (Literal) t.parts().get(0);
    assertThat(l.array()).isSameAs(body);
    assertThat(l.offset()).isZero();
    assertThat(l.length()).isEqualTo(body.length);
    assertThat(t.isVerbatim()).isTrue();
    assertThat(t.hasIncludes()).isFalse();
    assertThat(t.body()).isSameAs(body);
  }

  @Test
  void anEmptyBodyHasNoParts() throws Exception {
    EsiTemplate t = EsiTemplate.parse(new byte[0], LIMITS);
    assertThat(t.parts()).isEmpty();
    assertThat(t.isVerbatim()).isTrue();
  }

  @Test
  void includeSelfClosingAndWithClosingTag() throws Exception {
    assertThat(parts("a<esi:include src=\"/x\"/>b<esi:include src='/y' ></esi:include>c"))
        .containsExactly("a", "{/x}", "b", "{/y}", "c");
    assertThat(parts("<esi:include src=\"/x\">\n  </esi:include >")).containsExactly("{/x}");
  }

  @Test
  void includeAttributesAltOnerrorAndWhiteSpaceAnywhere() throws Exception {
    assertThat(parts("<esi:include\n\tsrc = \"/x\"\r\n alt='/y'  onerror=\"continue\"\n/>"))
        .containsExactly("{/x|/y|continue}");
    assertThat(parts("<esi:include onerror='continue' src=\"/x\" />")).containsExactly("{/x|continue}");
    // Vendor attributes are ignored.
    assertThat(parts("<esi:include src=\"/x\" ttl=\"5m\" maxwait='100'/>")).containsExactly("{/x}");
  }

  @Test
  void srcIsEntityDecodedAndTrimmed() throws Exception {
    assertThat(parts("<esi:include src=\" /x?a=1&amp;b=2&#38;c=&#x33;&lt;&gt;&quot;&apos;&nope; \"/>"))
        .containsExactly("{/x?a=1&b=2&c=3<>\"'&nope;}");
    // A quote of the other kind needs no entity.
    assertThat(parts("<esi:include src='/x\"y'/>")).containsExactly("{/x\"y}");
  }

  @Test
  void removeDropsItsContentUnparsed() throws Exception {
    assertThat(parts("a<esi:remove><a href=\"/x\">x</a><esi:include src=\"/no\"/><esi:choose><!--esi</esi:remove>b"))
        .containsExactly("a", "b");
    assertThat(parts("a<esi:remove/>b")).containsExactly("a", "b");
    // It does not nest: the first closing tag closes it, and the second is a stray one.
    assertThat(error("<esi:remove><esi:remove></esi:remove></esi:remove>").message()).contains("unexpected </esi:remove>");
  }

  @Test
  void esiCommentWrapperIsDroppedAndItsContentProcessed() throws Exception {
    assertThat(parts("a<!--esi <p><esi:include src=\"/x\"/></p> -->b"))
        .containsExactly("a", " <p>", "{/x}", "</p> ", "b");
    assertThat(parts("a<!--esi-->b")).containsExactly("a", "b");
    assertThat(parts("a<!--esi\n<esi:remove>-->x</esi:remove>-->b")).containsExactly("a", "\n", "b");
    assertThat(parts("a<!--esi<esi:include src=\"/x\"/>-->b")).containsExactly("a", "{/x}", "b");
    // "-->" outside a wrapper is just text; "<!--esiX" is an ordinary comment.
    assertThat(parts("a-->b<!--esiX-->c<!--esi x-->d")).containsExactly("a-->b<!--esiX-->c", " x", "d");
  }

  @Test
  void esiCommentElementIsDropped() throws Exception {
    assertThat(parts("a<esi:comment text=\"why\"/>b<esi:comment text='x'></esi:comment>c")).containsExactly("a", "b", "c");
  }

  @Test
  void namesAreCaseSensitive() throws Exception {
    assertThat(parts("<ESI:include src=\"/x\"/><Esi:include src=\"/x\"/>"))
        .containsExactly("<ESI:include src=\"/x\"/><Esi:include src=\"/x\"/>");
    assertThat(error("<esi:include SRC=\"/x\"/>").message()).contains("without src"); // SRC is another attribute
  }

  @Test
  void unsupportedElementsFailWithTheirNameAndOffset() {
    for (String name : List.of("choose", "when", "otherwise", "try", "attempt", "except", "vars", "inline", "Include")) {
      EsiError e = error("0123<esi:" + name + ">x");
      assertThat(e.kind()).isEqualTo(EsiError.Kind.SYNTAX);
      assertThat(e.offset()).isEqualTo(4);
      assertThat(e.message()).contains("unsupported ESI element <esi:" + name + "> at byte 4");
    }
    assertThat(error("<esi:>").message()).contains("without an element name");
  }

  @Test
  void malformedMarkupNamesTheByteOffset() {
    assertThat(error("xx<esi:include alt=\"/y\"/>").message()).isEqualTo(
        "<esi:include> without src at byte 2 (expected: src=\"/path\")");
    assertThat(error("xx<esi:include src=\"/y").message()).contains("unterminated value of attribute src");
    assertThat(error("xx<esi:include src=\"/y\" ").message()).contains("unterminated <esi:include> at byte 2");
    assertThat(error("xx<esi:include src=/y/>").message()).contains("is not quoted");
    assertThat(error("xx<esi:include src/>").message()).contains("has no value");
    assertThat(error("xx<esi:include src=\"/a\"src=\"/b\"/>").message()).contains("unexpected 's' at byte 23");
    assertThat(error("xx<esi:include src=\"/a\"src=\"/b\"/>").offset()).isEqualTo(23);
    assertThat(error("xx<esi:include src=\"/a\" src=\"/b\"/>").message()).contains("attribute src repeated");
    assertThat(error("xx<esi:include src=\"/a\" / >").message()).contains("unexpected '/' at byte 24");
    assertThat(error("xx<esi:include src=\"\"/>").message()).contains("empty src at byte 15");
    assertThat(error("xx<esi:include src=\"/a\" onerror=\"abort\"/>").message()).contains("onerror=\"abort\"");
    assertThat(error("xx<esi:include src=\"/a\">x</esi:include>").message()).contains("is not empty");
    assertThat(error("xx<esi:include src=\"/a\">").message()).contains("is not empty");
    assertThat(error("xx<esi:remove>abc").message()).isEqualTo("unclosed <esi:remove> at byte 2 (expected: </esi:remove>)");
    assertThat(error("xx<!--esi abc").message()).contains("unterminated <!--esi at byte 2");
    assertThat(error("xx<!--esi <!--esi -->").message()).contains("nested <!--esi at byte 10");
    assertThat(error("xx</esi:include>").message()).contains("unexpected </esi:include> at byte 2");
    assertThat(error("xx<esi:include\u0001src=\"/a\"/>").message()).contains("byte 0x01 at byte 14");
    assertThat(error("xx<esi:include src=\"/a\" src=\"/b\"/>").offset()).isEqualTo(24); // the repeated attribute
  }

  @Test
  void limitsAreNamed() {
    EsiLimits two = new EsiLimits(2, 3, 10, 1 << 20);
    EsiError e = error("<esi:include src=\"/a\"/><esi:include src=\"/b\"/><esi:include src=\"/c\"/>", two);
    assertThat(e.kind()).isEqualTo(EsiError.Kind.LIMIT);
    assertThat(e.offset()).isEqualTo(46);
    assertThat(e.message()).contains("more than 2 includes").contains("maxIncludes: 2");
    EsiError len = error("<esi:include src=\"/0123456789\"/>", two);
    assertThat(len.kind()).isEqualTo(EsiError.Kind.LIMIT);
    assertThat(len.message()).contains("11 characters (maxSrcLength: 10)");
  }

  @Test
  void sizesAndEstimate() throws Exception {
    EsiTemplate t = EsiTemplate.parse("abc<esi:include src=\"/x\"/>de<esi:include src=\"/y\"/>".getBytes(UTF_8), LIMITS);
    assertThat(t.literalBytes()).isEqualTo(5);
    assertThat(t.includeCount()).isEqualTo(2);
    assertThat(t.includes()).extracting(Include::src).containsExactly("/x", "/y");
    assertThat(t.includes()).extracting(Include::offset).containsExactly(3, 28);
    assertThat(t.estimatedSize(100)).isEqualTo(205);
    assertThat(t.estimatedSize(Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
    assertThat(t.isVerbatim()).isFalse();
  }

  @Test
  void nonAsciiBytesPassThrough() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xC3, '<'});
    b.writeBytes("<esi:include src=\"/é\"/>".getBytes(UTF_8));
    b.writeBytes(new byte[] {(byte) 0x80, 0});
    EsiTemplate t = EsiTemplate.parse(b.toByteArray(), LIMITS);
    assertThat(t.parts()).hasSize(3);
    assertThat(((Literal) t.parts().get(0)).bytes()).containsExactly(0xFF, 0xC3, '<');
    assertThat(((Include) t.parts().get(1)).src()).isEqualTo("/é");
    assertThat(((Literal) t.parts().get(2)).bytes()).containsExactly(0x80, 0);
  }
}
