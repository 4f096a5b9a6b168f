package io.freshcache.core;

import static java.util.Objects.requireNonNull;

/**
 * What identifies an entry: a <em>resource</em> (the normalized path and the query parameters that
 * matter), a <em>variant</em> (an action such as {@code show}, {@code print}, {@code raw}, or a
 * negotiated dimension) and a {@link Scope}.
 *
 * <p>All entries of one resource, across variants and scopes, can be removed together with {@link
 * Freshcache#removeResource(String)}.
 *
 * @param resource non-blank, at most {@value #MAX_RESOURCE_LENGTH} characters
 * @param variant non-blank, at most {@value #MAX_VARIANT_LENGTH} characters
 * @param scope who the entry is for
 */
public record CacheKey(String resource, String variant, Scope scope) {

  /** Maximum length of a resource. */
  public static final int MAX_RESOURCE_LENGTH = 4096;

  /** Maximum length of a variant. */
  public static final int MAX_VARIANT_LENGTH = 256;

  /** The variant used by {@link #of(String)}. */
  public static final String DEFAULT_VARIANT = "show";

  /** Validates every component. */
  public CacheKey {
    requireNonNull(resource, "resource");
    requireNonNull(variant, "variant");
    requireNonNull(scope, "scope");
    if (resource.isBlank()) {
      throw new IllegalArgumentException("resource: blank (expected: a non-blank resource)");
    }
    if (resource.length() > MAX_RESOURCE_LENGTH) {
      throw new IllegalArgumentException(
          "resource: " + resource.length() + " characters (expected: <= " + MAX_RESOURCE_LENGTH + ")");
    }
    if (variant.isBlank()) {
      throw new IllegalArgumentException("variant: blank (expected: a non-blank variant such as 'show')");
    }
    if (variant.length() > MAX_VARIANT_LENGTH) {
      throw new IllegalArgumentException(
          "variant: " + variant.length() + " characters (expected: <= " + MAX_VARIANT_LENGTH + ")");
    }
  }

  /** The public {@code show} variant of a resource. */
  public static CacheKey of(String resource) {
    return new CacheKey(resource, DEFAULT_VARIANT, Scope.PUBLIC);
  }

  /** A public key with the given variant. */
  public static CacheKey of(String resource, String variant) {
    return new CacheKey(resource, variant, Scope.PUBLIC);
  }

  /** The same resource and variant for another scope. */
  public CacheKey withScope(Scope newScope) {
    return new CacheKey(resource, variant, newScope);
  }

  /** The same resource and scope with another variant. */
  public CacheKey withVariant(String newVariant) {
    return new CacheKey(resource, newVariant, scope);
  }

  @Override
  public String toString() {
    return resource + " [" + variant + ", " + scope + "]";
  }
}
