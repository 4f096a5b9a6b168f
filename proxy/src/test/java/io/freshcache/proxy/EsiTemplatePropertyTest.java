package io.freshcache.proxy;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.freshcache.proxy.EsiTemplate.Include;
import io.freshcache.proxy.EsiTemplate.Literal;
import io.freshcache.proxy.EsiTemplate.Part;
import io.freshcache.testkit.SeededProperty;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Seeded properties of {@link EsiTemplate#parse}. */
class EsiTemplatePropertyTest {

  private static final EsiLimits LIMITS = new EsiLimits(1000, 3, 200, 1 << 20);

  /** Pieces that come close to markup, and markup, for the arbitrary-input property. */
  private static final String[] PIECES = {
    "<esi:include", "<esi:remove>", "</esi:remove>", "<esi:remove/>", "<!--esi", "<!--esi ", "-->", "<esi:comment",
    "</esi:include>", "<esi:choose>", "<esi:", "</esi:", "<!--", " src=", " alt=", " onerror=", "\"", "'", "/>", ">",
    "=", " ", "\n", "\r\n", "\t", "/x", "continue", "&amp;", "&#", ";", "<", "-", "!", "esi", ":", "<ESI:include",
    "a", "é",
  };

  /** Near misses that are not markup, for the round-trip property. */
  private static final String[] NEAR_MISSES = {
    "<ESI:include src=\"/x\"/>", "<Esi:remove>", "< esi:include", "<esi", "<es", "<e", "<!--", "<!--es", "<!-esi",
    "<!--ESI ", "-->", "esi:include", "</esi", "</ESI:remove>", "<", "!", "-", "&amp;", "<html>", "\n", " ",
  };

  @Test
  void parseThrowsOnlyEsiExceptionAndItsPartsAreSoundSlices() {
    SeededProperty.forAll("EsiTemplatePropertyTest#parseThrowsOnlyEsiExceptionAndItsPartsAreSoundSlices", 20_000, 1,
        (random, trace) -> {
          byte[] body = arbitrary(random);
          trace.add("body: " + new String(body, ISO_8859_1));
          EsiLimits limits = random.nextInt(4) == 0 ? new EsiLimits(random.nextInt(0, 3), 3, random.nextInt(1, 6), 1 << 20)
              : LIMITS;
          checkParse(body, limits, trace::add);
        });
  }

  /**
   * Parses {@code body}: either an {@link EsiException} naming a byte of it, or parts that are
   * sound slices of it within {@code limits} (also the oracle of {@link EdgeParsersFuzzTest}).
   */
  static void checkParse(byte[] body, EsiLimits limits, java.util.function.Consumer<String> note) {
    EsiTemplate t;
    try {
      t = EsiTemplate.parse(body, limits);
    } catch (EsiException e) {
      note.accept("error: " + e.getMessage());
      EsiError error = e.error();
      assertThat(error.kind()).isIn(EsiError.Kind.SYNTAX, EsiError.Kind.LIMIT);
      assertThat(error.offset()).isBetween(0, body.length - 1);
      assertThat(error.message()).contains("byte " + error.offset());
      return;
    }
    int previousEnd = 0;
    long literal = 0;
    int includes = 0;
    for (Part p : t.parts()) {
      if (p instanceof Literal l) {
        assertThat(l.array()).isSameAs(body);
        assertThat(l.length()).isPositive();
        assertThat(l.offset()).isGreaterThanOrEqualTo(previousEnd);
        assertThat(l.offset() + l.length()).isLessThanOrEqualTo(body.length);
        previousEnd = l.offset() + l.length();
        literal += l.length();
      } else {
        Include i = (Include) p;
        assertThat(i.offset()).isGreaterThanOrEqualTo(previousEnd);
        assertThat(i.src()).isNotEmpty().hasSizeLessThanOrEqualTo(limits.maxSrcLength());
        includes++;
      }
    }
    assertThat(includes).isEqualTo(t.includeCount()).isLessThanOrEqualTo(limits.maxIncludes());
    assertThat(literal).isEqualTo(t.literalBytes());
  }

  @Test
  void aBodyWithoutMarkupRoundTripsByteForByte() {
    SeededProperty.forAll("EsiTemplatePropertyTest#aBodyWithoutMarkupRoundTripsByteForByte", 20_000, 1,
        (random, trace) -> {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          int n = random.nextInt(0, 30);
          for (int i = 0; i < n; i++) {
            if (random.nextInt(3) == 0) {
              out.write(random.nextInt(256));
            } else {
              out.writeBytes(NEAR_MISSES[random.nextInt(NEAR_MISSES.length)].getBytes(UTF_8));
            }
          }
          byte[] body = out.toByteArray();
          if (containsMarkup(body, false)) {
            return; // random bytes made real markup; rare
          }
          trace.add("body: " + new String(body, ISO_8859_1));
          EsiTemplate t = EsiTemplate.parse(body, LIMITS);
          assertThat(t.isVerbatim()).isTrue();
          assertThat(t.parts()).hasSizeLessThanOrEqualTo(1);
          assertThat(concat(t)).isEqualTo(body);
          if (body.length > 0) {
            assertThat(((Literal) t.parts().get(0)).array()).isSameAs(body);
          }
        });
  }

  @Test
  void renderedModelsParseBackToTheModel() {
    SeededProperty.forAll("EsiTemplatePropertyTest#renderedModelsParseBackToTheModel", 10_000, 1, (random, trace) -> {
      List<Node> model = nodes(random, false);
      Render r = new Render(random);
      for (Node node : model) {
        r.node(node);
      }
      byte[] body = r.out.toByteArray();
      trace.add("model: " + model);
      trace.add("markup: " + new String(body, UTF_8));
      EsiTemplate t = EsiTemplate.parse(body, LIMITS);
      List<Object> expected = new ArrayList<>();
      for (Node node : model) {
        expect(node, expected);
      }
      assertThat(merge(t)).isEqualTo(merge(expected));

      // Assembled with each fragment's body naming its path, the output is the model's text with
      // each include replaced by what the alt and onerror rules say.
      ByteArrayOutputStream want = new ByteArrayOutputStream();
      boolean fails = false;
      for (Object part : expected) {
        if (part instanceof byte[] bytes) {
          want.writeBytes(bytes);
          continue;
        }
        Inc inc = (Inc) part;
        String path = fetchable(inc.src());
        if (path == null && inc.alt() != null) {
          path = fetchable(inc.alt());
        }
        if (path != null) {
          want.writeBytes(("{" + path + "}").getBytes(UTF_8));
        } else if (!inc.continueOnError()) {
          fails = true;
        }
      }
      EsiAssembler.Outcome outcome = EsiAssembler.assemble(t, EsiExpansion.root(PAGE, "origin", LIMITS),
          path -> EsiAssembler.Fetched.body(("{" + path + "}").getBytes(UTF_8)));
      trace.add("outcome: " + outcome);
      if (fails) {
        assertThat(outcome).isInstanceOf(EsiAssembler.Outcome.Failed.class);
      } else {
        assertThat(outcome).isInstanceOf(EsiAssembler.Outcome.Assembled.class);
        assertThat(((EsiAssembler.Outcome.Assembled) outcome).body()).isEqualTo(want.toByteArray());
      }
    });
  }

  private static final String PAGE = "/dir/page";

  /** The path an include fetches for {@code src}, or null if it fails (bad src, or a self-include). */
  private static String fetchable(String src) {
    try {
      String path = EsiSrc.resolve(src, PAGE, "origin");
      return path.equals(PAGE) ? null : path;
    } catch (EsiException e) {
      return null;
    }
  }

  // ------------------------------------------------------------------ the model

  /** A model element. */
  private sealed interface Node {}

  private record Text(byte[] bytes) implements Node {
    @Override
    public String toString() {
      return "Text[" + new String(bytes, ISO_8859_1) + "]";
    }
  }

  private record Inc(String src, String alt, boolean continueOnError) implements Node {}

  private record Remove(byte[] content, boolean selfClosing) implements Node {
    @Override
    public String toString() {
      return "Remove[" + (selfClosing ? "/" : new String(content, ISO_8859_1)) + "]";
    }
  }

  private record Comment(String text) implements Node {}

  private record Wrapper(String space, List<Node> inner) implements Node {}

  private static List<Node> nodes(SplittableRandom random, boolean inWrapper) {
    List<Node> nodes = new ArrayList<>();
    int n = random.nextInt(0, inWrapper ? 5 : 10);
    for (int i = 0; i < n; i++) {
      int k = random.nextInt(inWrapper ? 8 : 10);
      if (k < 4) {
        if (!nodes.isEmpty() && nodes.get(nodes.size() - 1) instanceof Text) {
          continue; // adjacent texts could make markup across their boundary
        }
        byte[] text = text(random);
        if (!containsMarkup(text, inWrapper)) {
          nodes.add(new Text(text));
        }
      } else if (k < 6) {
        nodes.add(new Inc(url(random), random.nextBoolean() ? url(random) : null, random.nextBoolean()));
      } else if (k == 6) {
        byte[] content = arbitrary(random);
        if (!new String(content, ISO_8859_1).contains("</esi:remove>")) {
          nodes.add(new Remove(content, random.nextInt(5) == 0));
        }
      } else if (k == 7) {
        nodes.add(new Comment(random.nextBoolean() ? "a note" : "x & <y>"));
      } else if (k == 8) {
        if (!nodes.isEmpty() && nodes.get(nodes.size() - 1) instanceof Text) {
          continue;
        }
        String[] spaces = {" ", "\n", "\t", "\r\n", ""};
        String space = spaces[random.nextInt(spaces.length)];
        List<Node> inner = nodes(random, true);
        if (space.isEmpty() && !inner.isEmpty() && inner.get(0) instanceof Text t && isWordChar(t.bytes()[0])) {
          space = " "; // "<!--esiX" would be an ordinary comment
        }
        nodes.add(new Wrapper(space, inner));
      } else {
        nodes.add(new Wrapper(" ", nodes(random, true)));
      }
    }
    return nodes;
  }

  private static byte[] text(SplittableRandom random) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int n = random.nextInt(1, 8);
    for (int i = 0; i < n; i++) {
      if (random.nextInt(4) == 0) {
        out.write(random.nextInt(256));
      } else {
        out.writeBytes(NEAR_MISSES[random.nextInt(NEAR_MISSES.length)].getBytes(UTF_8));
      }
    }
    return out.toByteArray();
  }

  private static String url(SplittableRandom random) {
    String[] pieces = {"/", "frag", "a", "..", ".", "?", "x=1", "&", "=", "é", "<", ">", "'", "\"", "-", "#", "%20",
      "page", "frag", "a", "/", "http://origin/", "//other/"};
    StringBuilder b = new StringBuilder(random.nextBoolean() ? "/" : "");
    int n = random.nextInt(1, 8);
    for (int i = 0; i < n; i++) {
      b.append(pieces[random.nextInt(pieces.length)]);
    }
    return b.toString().strip();
  }

  /** Renders a model with random but valid formatting. */
  private static final class Render {
    final SplittableRandom random;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Render(SplittableRandom random) {
      this.random = random;
    }

    void node(Node node) {
      if (node instanceof Text t) {
        out.writeBytes(t.bytes());
      } else if (node instanceof Inc i) {
        List<String> attrs = new ArrayList<>();
        attrs.add(attr("src", i.src()));
        if (i.alt() != null) {
          attrs.add(attr("alt", i.alt()));
        }
        if (i.continueOnError()) {
          attrs.add(attr("onerror", "continue"));
        }
        if (random.nextInt(4) == 0) {
          attrs.add(attr("ttl", "5m"));
        }
        shuffle(attrs);
        write("<esi:include");
        for (String a : attrs) {
          write(space(1) + a);
        }
        close("include");
      } else if (node instanceof Remove r) {
        if (r.selfClosing()) {
          write("<esi:remove" + space(0) + "/>");
        } else {
          write("<esi:remove" + space(0) + ">");
          out.writeBytes(r.content());
          write("</esi:remove>");
        }
      } else if (node instanceof Comment c) {
        write("<esi:comment" + space(1) + attr("text", c.text()));
        close("comment");
      } else if (node instanceof Wrapper w) {
        write("<!--esi" + w.space());
        for (Node n : w.inner()) {
          node(n);
        }
        write("-->");
      }
    }

    private void close(String name) {
      if (random.nextBoolean()) {
        write(space(0) + "/>");
      } else {
        write(space(0) + "></esi:" + name + space(0) + ">");
      }
    }

    private String attr(String name, String value) {
      char quote = random.nextBoolean() ? '"' : '\'';
      String escaped = value.replace("&", "&amp;").replace(String.valueOf(quote), quote == '"' ? "&quot;" : "&#39;");
      if (random.nextInt(4) == 0) {
        escaped = escaped.replace("<", "&lt;");
      }
      return name + space(0) + "=" + space(0) + quote + escaped + quote;
    }

    private String space(int min) {
      String[] ws = {" ", "\n", "\t", "\r\n"};
      StringBuilder b = new StringBuilder();
      int n = random.nextInt(min, min + 2);
      for (int i = 0; i < n; i++) {
        b.append(ws[random.nextInt(ws.length)]);
      }
      return b.toString();
    }

    private void shuffle(List<String> list) {
      for (int i = list.size() - 1; i > 0; i--) {
        int j = random.nextInt(i + 1);
        String t = list.get(i);
        list.set(i, list.get(j));
        list.set(j, t);
      }
    }

    private void write(String s) {
      out.writeBytes(s.getBytes(UTF_8));
    }
  }

  private static void expect(Node node, List<Object> out) {
    if (node instanceof Text t) {
      out.add(t.bytes());
    } else if (node instanceof Inc i) {
      out.add(i);
    } else if (node instanceof Wrapper w) {
      out.add(w.space().getBytes(UTF_8));
      for (Node n : w.inner()) {
        expect(n, out);
      }
    }
  }

  /** Adjacent byte arrays joined into one string (ISO-8859-1, so bytes compare exactly), empty ones dropped. */
  private static List<Object> merge(List<Object> parts) {
    List<Object> merged = new ArrayList<>();
    StringBuilder text = new StringBuilder();
    for (Object p : parts) {
      if (p instanceof byte[] bytes) {
        text.append(new String(bytes, ISO_8859_1));
      } else {
        if (text.length() > 0) {
          merged.add(text.toString());
          text.setLength(0);
        }
        merged.add(p);
      }
    }
    if (text.length() > 0) {
      merged.add(text.toString());
    }
    return merged;
  }

  private static List<Object> merge(EsiTemplate t) {
    List<Object> parts = new ArrayList<>();
    for (Part p : t.parts()) {
      if (p instanceof Literal l) {
        parts.add(l.bytes());
      } else {
        Include i = (Include) p;
        parts.add(new Inc(i.src(), i.alt(), i.continueOnError()));
      }
    }
    return merge(parts);
  }

  // ------------------------------------------------------------------ helpers

  private static byte[] arbitrary(SplittableRandom random) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int n = random.nextInt(0, 40);
    for (int i = 0; i < n; i++) {
      if (random.nextInt(5) == 0) {
        out.write(random.nextInt(256));
      } else {
        out.writeBytes(PIECES[random.nextInt(PIECES.length)].getBytes(UTF_8));
      }
    }
    return out.toByteArray();
  }

  private static boolean isWordChar(byte c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_';
  }

  private static boolean containsMarkup(byte[] bytes, boolean commentCloseToo) {
    String s = new String(bytes, ISO_8859_1);
    return s.contains("<esi:") || s.contains("</esi:") || s.contains("<!--esi") || commentCloseToo && s.contains("-->");
  }

  private static byte[] concat(EsiTemplate t) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Part p : t.parts()) {
      out.writeBytes(((Literal) p).bytes());
    }
    return out.toByteArray();
  }
}
