package io.freshcache.proxy;

import io.freshcache.core.CacheKey;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * A stored response's Vary field (RFC 9110 section 12.5.5) and the secondary cache key it implies
 * (RFC 9111 section 4.1).
 *
 * <p>Two requests select the same stored response when the fields named by Vary "match", which RFC
 * 9111 section 4.1 defines up to: adding or removing white space where the field's syntax allows it,
 * combining field lines, and normalizations the field's own definition allows. We apply only the
 * generic ones, because they are safe for every field: names case-insensitive; each line trimmed;
 * lines joined with {@code ", "}; a field that is absent differs from one that is present but empty
 * (the RFC: "If ... a header field is absent from a request, it can only match another request if it
 * is also absent there"). Field-specific normalization (reordering {@code Accept-Encoding} members,
 * say) would only raise the hit rate, never correctness, and is left out.
 *
 * <p>{@link #variant} turns the selecting values into a string that is usable as {@link
 * CacheKey#variant()} (non-blank, at most {@value CacheKey#MAX_VARIANT_LENGTH} characters) and equal
 * for two requests exactly when their selecting fields match:
 *
 * <ul>
 *   <li>no Vary: {@value #NO_VARY};
 *   <li>short: {@code name=-} (absent) or {@code name="value"} (with {@code "} and {@code \}
 *       escaped), for each name in sorted order, joined with {@code ;}, e.g. {@code
 *       accept-encoding="gzip";cookie=-};
 *   <li>longer than {@value CacheKey#MAX_VARIANT_LENGTH}: {@code v:} and the unpadded base64url of
 *       the SHA-256 of the short form (45 characters). A short form never contains {@code :} outside
 *       quotes and never starts with a quote, so the two shapes cannot collide.
 * </ul>
 *
 * <p>{@code Vary: *} always fails to match: such a response is not stored ({@link #isStar()}). So is
 * a Vary whose members are not all field names: we cannot tell what it selects on.
 *
 * @param names the lower-case field names, sorted and without duplicates
 * @param star whether the field holds {@code *} or an invalid member: never matches
 */
record Vary(List<String> names, boolean star) {

  /** The variant of a response without Vary. */
  static final String NO_VARY = "-";

  /** No Vary field. */
  static final Vary NONE = new Vary(List.of(), false);

  /** Copies the list. */
  Vary {
    names = List.copyOf(names);
  }

  /** The Vary of a response. */
  static Vary of(Fields response) {
    return parse(response.all("Vary"));
  }

  /**
   * Parses Vary field lines: {@code "*" / #field-name}, members case-insensitive, empty members
   * ignored.
   */
  static Vary parse(List<String> lines) {
    TreeSet<String> names = new TreeSet<>();
    for (String member : Fields.listMembers(lines)) {
      if (member.equals("*") || !Fields.isToken(member)) {
        return new Vary(List.of(), true);
      }
      names.add(Fields.lower(member));
    }
    return names.isEmpty() ? NONE : new Vary(new ArrayList<>(names), false);
  }

  /**
   * This Vary without {@code accept-encoding}: the key of a response fetched with {@code
   * Accept-Encoding: identity} whatever the client sent, which the client's field cannot have
   * selected. Keying on it would store one copy per distinct Accept-Encoding a client sends (nginx
   * and Apache send {@code Vary: Accept-Encoding} on nearly everything) and pass every first
   * request through.
   */
  Vary withoutAcceptEncoding() {
    if (star || !names.contains("accept-encoding")) {
      return this;
    }
    List<String> rest = new ArrayList<>(names);
    rest.remove("accept-encoding");
    return rest.isEmpty() ? NONE : new Vary(rest, false);
  }

  /** Whether this Vary never matches ({@code *} or invalid): the response must not be stored. */
  boolean isStar() {
    return star;
  }

  /** The variant string for a request (see the class comment). */
  String variant(Fields request) {
    return variant(request::all);
  }

  /**
   * The variant string for a request whose field lines {@code linesByName} returns (an empty list
   * for an absent field; names are passed lower-case).
   *
   * @throws IllegalStateException if this Vary is {@code *}: nothing matches it
   */
  String variant(Function<String, List<String>> linesByName) {
    if (star) {
      throw new IllegalStateException("Vary: * never matches (check isStar() before computing a variant)");
    }
    if (names.isEmpty()) {
      return NO_VARY;
    }
    StringBuilder b = new StringBuilder();
    for (String name : names) {
      if (b.length() > 0) {
        b.append(';');
      }
      b.append(name).append('=');
      List<String> lines = linesByName.apply(name);
      if (lines == null || lines.isEmpty()) {
        b.append('-');
        continue;
      }
      b.append('"');
      for (int i = 0; i < lines.size(); i++) {
        if (i > 0) {
          b.append(", ");
        }
        String v = Fields.trimOws(lines.get(i));
        for (int j = 0; j < v.length(); j++) {
          char c = v.charAt(j);
          if (c == '"' || c == '\\') {
            b.append('\\');
          }
          b.append(c);
        }
      }
      b.append('"');
    }
    return b.length() <= CacheKey.MAX_VARIANT_LENGTH ? b.toString() : "v:" + sha256(b.toString());
  }

  private static String sha256(String s) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  /** The field value to send: the names joined with {@code ", "}, or {@code *}. */
  @Override
  public String toString() {
    return star ? "*" : String.join(", ", names);
  }
}
