package io.freshcache.demo;

import java.util.List;
import java.util.Optional;

/**
 * The demo's users. There are no passwords: whoever holds the cookie {@value #COOKIE} is that user.
 * That is enough to show per-user cache entries and nothing more; it is not authentication.
 */
final class Users {

  /** The cookie naming the user; the proxy is started with {@code --user-cookie demo_user}. */
  static final String COOKIE = "demo_user";

  /** A demo user and the wiki page about them (shown, with its title, in their bar). */
  record User(String id, String page) {}

  static final List<User> ALL = List.of(
      new User("alice", "People/Alice"),
      new User("bob", "People/Bob"),
      new User("carol", "People/Carol"));

  private Users() {}

  /** The user with this id, if it is one of the demo users (an unknown cookie is anonymous). */
  static Optional<User> byId(String id) {
    if (id == null) {
      return Optional.empty();
    }
    for (User u : ALL) {
      if (u.id().equals(id)) {
        return Optional.of(u);
      }
    }
    return Optional.empty();
  }
}
