package io.freshcache.core;

import static java.util.Objects.requireNonNull;

/**
 * Who an entry is for: everyone ({@link #PUBLIC}), one user, or a named group of users.
 *
 * <p>{@link #VIEWER} is a placeholder only valid in the key of a {@linkplain RenderContext#hole
 * hole}: it stands for whoever the enclosing page is being served to, so one shared page can carry a
 * per-user fragment. Scopes are compared by value; user and group names are opaque (callers should
 * pass a stable id, hashed if it is sensitive).
 *
 * @param kind what kind of audience
 * @param name the user id or group name; empty for {@code PUBLIC} and {@code VIEWER}
 */
public record Scope(Kind kind, String name) {

  /** Maximum length of a user id or group name. */
  public static final int MAX_NAME_LENGTH = 256;

  /** Shared by everyone. */
  public static final Scope PUBLIC = new Scope(Kind.PUBLIC, "");

  /** In a hole's key: the user the enclosing page is served to. Never stored. */
  public static final Scope VIEWER = new Scope(Kind.VIEWER, "");

  /** The audience kinds. */
  public enum Kind {
    /** Everyone. */
    PUBLIC,
    /** One user. */
    USER,
    /** A named group of users (a role, a tenant). */
    GROUP,
    /** Placeholder for the viewer of the enclosing page (holes only). */
    VIEWER
  }

  /** Validates the name against the kind. */
  public Scope {
    requireNonNull(kind, "kind");
    requireNonNull(name, "name");
    switch (kind) {
      case PUBLIC, VIEWER -> {
        if (!name.isEmpty()) {
          throw new IllegalArgumentException("name: '" + name + "' (expected: empty for " + kind + ")");
        }
      }
      case USER, GROUP -> {
        if (name.isBlank()) {
          throw new IllegalArgumentException("name: blank (expected: a non-blank " + kind.name().toLowerCase() + " id)");
        }
        if (name.length() > MAX_NAME_LENGTH) {
          throw new IllegalArgumentException(
              "name: " + name.length() + " characters (expected: <= " + MAX_NAME_LENGTH + ")");
        }
      }
    }
  }

  /** The scope of one user. */
  public static Scope user(String id) {
    return new Scope(Kind.USER, requireNonNull(id, "id"));
  }

  /** The scope of a named group. */
  public static Scope group(String name) {
    return new Scope(Kind.GROUP, requireNonNull(name, "name"));
  }

  /** Whether this scope is the {@link #VIEWER} placeholder. */
  public boolean isViewer() {
    return kind == Kind.VIEWER;
  }

  @Override
  public String toString() {
    return name.isEmpty() ? kind.name().toLowerCase() : kind.name().toLowerCase() + ":" + name;
  }
}
