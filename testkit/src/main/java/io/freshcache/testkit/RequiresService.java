package io.freshcache.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class or method that needs a real service. Before it runs, a TCP connection to the
 * service is tried (1 s): if it is unreachable the tests are <em>skipped</em> with a message saying
 * which service and how to point the tests elsewhere, unless the environment variable {@code CI}
 * is set (to anything but {@code false} or empty), in which case they <em>fail</em>: a CI run
 * that silently skipped its integration tests would prove nothing.
 *
 * <pre>{@code
 * @RequiresService(name = "PostgreSQL", address = "127.0.0.1:5432", env = "FRESHCACHE_PG_ADDRESS")
 * class PostgresSourceIT { ... }
 * }</pre>
 *
 * Use {@link ServiceCheck#require} (or {@link ServiceCheck#requireTcp}) for the same decision inside
 * a test or a helper.
 */
@Documented
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(ServiceCheck.class)
public @interface RequiresService {
  /** The service, for the message, e.g. {@code PostgreSQL}. */
  String name();

  /** {@code host:port} tried by default. */
  String address();

  /** An environment variable (or system property) that overrides {@link #address()}, or empty. */
  String env() default "";

  /** How to start the service, appended to the message, e.g. {@code start redis-server}; or empty. */
  String howToStart() default "";
}
