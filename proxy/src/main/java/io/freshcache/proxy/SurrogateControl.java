package io.freshcache.proxy;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code Surrogate-Control} response field of the W3C Edge Architecture note (section 2.2), as
 * far as ESI needs it: whether the origin asks this proxy to process ESI ({@link #wantsEsi}).
 *
 * <p>Grammar: a comma-separated list of {@code directive [ ";" device-token ]}, where a directive is
 * {@code name [ "=" ( token / quoted-string ) ]}. The {@code content} directive lists the
 * capabilities the response needs, such as {@code content="ESI/1.0"} or {@code content="ESI/1.0
 * ESI-INV/1.0"} (separated by white space or commas; the unquoted {@code content=ESI/1.0} some servers
 * write is accepted too). Other directives ({@code max-age}, {@code no-store}, ...) are skipped here.
 *
 * <p><b>Targeting</b> (section 2.3). A directive with a device token applies only to the surrogate
 * that advertised that token in {@code Surrogate-Capability}; Freshcache advertises {@value
 * #DEVICE_TOKEN} ({@link #CAPABILITY}). Directives targeted at us take precedence over untargeted
 * ones; those targeted at other devices are ignored, because a surrogate nearer the client (a CDN)
 * may be the one asked to assemble the page and must then receive the markup unprocessed.
 *
 * <p>Never throws on field values: an element that does not follow the grammar is skipped, which
 * means "no ESI" unless another element asks for it. The proxy removes {@code Surrogate-Control}
 * from responses it forwards to clients, as the note asks, unless a directive in it is targeted at
 * another device ({@link #targetsAnotherDevice}).
 */
final class SurrogateControl {

  /** The field name. */
  static final String HEADER = "Surrogate-Control";

  /** The request field a surrogate uses to advertise what it can do. */
  static final String CAPABILITY_HEADER = "Surrogate-Capability";

  /** Freshcache's device token. */
  static final String DEVICE_TOKEN = "freshcache";

  /** The value of {@link #CAPABILITY_HEADER} the proxy adds to requests it sends to the origin. */
  static final String CAPABILITY = DEVICE_TOKEN + "=\"ESI/1.0\"";

  /** The capability token of the ESI 1.0 language (ESI Language Specification section 1). */
  static final String ESI_CAPABILITY = "ESI/1.0";

  private SurrogateControl() {}

  /** Whether {@code response} asks this proxy (device {@value #DEVICE_TOKEN}) to process ESI. */
  static boolean wantsEsi(Fields response) {
    return wantsEsi(response.all(HEADER), DEVICE_TOKEN);
  }

  /**
   * Whether the {@code Surrogate-Control} field lines ask the device {@code deviceToken} to process
   * ESI: the {@code content} directives targeted at it if there are any, else the untargeted ones,
   * name {@value #ESI_CAPABILITY}.
   */
  static boolean wantsEsi(List<String> lines, String deviceToken) {
    boolean targeted = false;
    boolean targetedEsi = false;
    boolean untargetedEsi = false;
    for (String line : lines) {
      for (Element e : elements(line)) {
        if (!e.name.equalsIgnoreCase("content") || e.value == null) {
          continue;
        }
        boolean esi = hasCapability(e.value, ESI_CAPABILITY);
        if (e.device == null) {
          untargetedEsi |= esi;
        } else if (e.device.equalsIgnoreCase(deviceToken)) {
          targeted = true;
          targetedEsi |= esi;
        }
      }
    }
    return targeted ? targetedEsi : untargetedEsi;
  }

  /**
   * Whether a {@code Surrogate-Control} field has a directive targeted at a device other than
   * {@code deviceToken}: then the field is for a surrogate nearer the client too, and is passed on
   * (the note asks a surrogate to remove only what is addressed to it; as it says nothing of
   * splitting a field, the whole field is kept).
   */
  static boolean targetsAnotherDevice(List<String> lines, String deviceToken) {
    for (String line : lines) {
      for (Element e : elements(line)) {
        if (e.device != null && !e.device.equalsIgnoreCase(deviceToken)) {
          return true;
        }
      }
    }
    return false;
  }

  /** One well-formed element: a directive, its value (unquoted) or null, its device token or null. */
  private record Element(String name, String value, String device) {}

  /** The well-formed elements of one line; malformed ones are skipped up to the next top-level comma. */
  private static List<Element> elements(String s) {
    List<Element> out = new ArrayList<>(2);
    int n = s.length();
    int i = 0;
    while (i < n) {
      i = skip(s, i);
      if (i == n) {
        break;
      }
      if (s.charAt(i) == ',') {
        i++;
        continue;
      }
      int start = i;
      while (i < n && Fields.isTchar(s.charAt(i))) {
        i++;
      }
      if (i == start) {
        i = elementEnd(s, i);
        continue;
      }
      String name = s.substring(start, i);
      String value = null;
      i = skip(s, i);
      if (i < n && s.charAt(i) == '=') {
        i = skip(s, i + 1);
        if (i < n && s.charAt(i) == '"') {
          StringBuilder b = new StringBuilder();
          int close = quoted(s, i, b);
          if (close < 0) {
            i = elementEnd(s, i);
            continue;
          }
          value = b.toString();
          i = close;
        } else {
          int vs = i;
          // Not a tchar-only token: capability tokens hold '/', which some servers leave unquoted.
          while (i < n && isBareValueChar(s.charAt(i))) {
            i++;
          }
          if (i == vs) {
            i = elementEnd(s, i);
            continue;
          }
          value = s.substring(vs, i);
        }
        i = skip(s, i);
      }
      String device = null;
      if (i < n && s.charAt(i) == ';') {
        i = skip(s, i + 1);
        int ds = i;
        while (i < n && Fields.isTchar(s.charAt(i))) {
          i++;
        }
        if (i == ds) {
          i = elementEnd(s, i);
          continue;
        }
        device = s.substring(ds, i);
        i = skip(s, i);
      }
      if (i < n && s.charAt(i) != ',') {
        i = elementEnd(s, i); // junk after the element: skip all of it
        continue;
      }
      out.add(new Element(name, value, device));
    }
    return out;
  }

  /** Unescapes the quoted-string at {@code open} into {@code b}; returns the index after it, or -1 if unterminated. */
  private static int quoted(String s, int open, StringBuilder b) {
    for (int i = open + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"') {
        return i + 1;
      }
      if (c == '\\') {
        if (++i == s.length()) {
          return -1;
        }
        c = s.charAt(i);
      }
      b.append(c);
    }
    return -1;
  }

  /** The index of the comma ending the element at {@code from}, outside quoted strings, or the end. */
  private static int elementEnd(String s, int from) {
    boolean inQuotes = false;
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (inQuotes && c == '\\') {
        i++;
      } else if (c == '"') {
        inQuotes = !inQuotes;
      } else if (c == ',' && !inQuotes) {
        return i;
      }
    }
    return s.length();
  }

  private static boolean isBareValueChar(char c) {
    return Fields.isTchar(c) || c == '/';
  }

  private static int skip(String s, int i) {
    while (i < s.length() && Fields.isOws(s.charAt(i))) {
      i++;
    }
    return i;
  }

  /** Whether the capability list {@code value} (white space or comma separated) holds {@code capability}. */
  private static boolean hasCapability(String value, String capability) {
    int n = value.length();
    int start = -1;
    for (int i = 0; i <= n; i++) {
      boolean sep = i == n || value.charAt(i) == ',' || value.charAt(i) == ' ' || value.charAt(i) == '\t';
      if (sep && start >= 0) {
        if (value.regionMatches(true, start, capability, 0, capability.length()) && i - start == capability.length()) {
          return true;
        }
        start = -1;
      } else if (!sep && start < 0) {
        start = i;
      }
    }
    return false;
  }
}
