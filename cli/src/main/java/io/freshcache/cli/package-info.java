/**
 * The {@code freshcache} command line: the picocli command tree ({@link
 * io.freshcache.cli.FreshcacheCommand} and its subcommands), the entry point of the runnable jar
 * ({@code cli/target/freshcache.jar}, started by the {@code ./freshcache} script at the repository
 * root), and the console demonstration of the library ({@link io.freshcache.cli.DemoCommand} with the
 * small in-memory wiki it renders).
 *
 * <p>This package holds no caching logic of its own: everything it shows goes through the public
 * API of {@code io.freshcache.core}. Commands write their results to the command line's output
 * writer and their errors to its error writer, so tests can run them in-process and capture both.
 */
package io.freshcache.cli;
