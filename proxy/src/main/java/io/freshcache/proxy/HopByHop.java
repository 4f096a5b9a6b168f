package io.freshcache.proxy;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Removal of connection-specific ("hop-by-hop") fields before a message is forwarded (RFC 9110
 * section 7.6.1).
 *
 * <p>Removed: {@code Connection} itself and every field it names as a connection option, and the
 * fields RFC 9110 lists as known to require removal whether or not they are named: {@code
 * Proxy-Connection}, {@code Keep-Alive}, {@code TE}, {@code Transfer-Encoding}, {@code Upgrade}. We
 * add {@code Trailer}: the proxy forwards whole (aggregated) messages and drops trailers, so
 * announcing them would be wrong.
 *
 * <p>Not removed here: {@code Proxy-Authenticate}, {@code Proxy-Authentication-Info}, {@code
 * Proxy-Authorization}. RFC 9110 no longer calls them hop-by-hop; they are proxy-specific and must
 * not be <em>stored</em> (RFC 9111 section 3.1), which {@link StoredFields#forStorage} handles.
 *
 * <p>A client can name any field in Connection, including ones that matter end to end ({@code
 * Connection: Cookie}); RFC 9110 says to remove them all the same, and we do. What it must not be
 * able to remove is what the proxy itself adds (Host, Via, X-Forwarded-*, Cache-Status): the server
 * adds those after calling {@link #strip}.
 */
final class HopByHop {

  /** Fields removed whether or not Connection names them (lower-case). */
  static final Set<String> ALWAYS =
      Set.of("connection", "proxy-connection", "keep-alive", "te", "transfer-encoding", "upgrade", "trailer");

  private HopByHop() {}

  /** The fields to forward: {@code fields} without the hop-by-hop ones. */
  static Fields strip(Fields fields) {
    Set<String> remove = names(fields);
    return fields.filter(f -> !remove.contains(Fields.lower(f.name())));
  }

  /** The lower-case names of the hop-by-hop fields of a message: {@link #ALWAYS} plus Connection's options. */
  static Set<String> names(Fields fields) {
    Set<String> names = new LinkedHashSet<>(ALWAYS);
    for (String option : Fields.listMembers(fields.all("Connection"))) {
      if (Fields.isToken(option)) {
        names.add(Fields.lower(option));
      }
    }
    return names;
  }
}
