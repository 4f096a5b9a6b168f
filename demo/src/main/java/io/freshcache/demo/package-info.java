/**
 * The demo wiki (issue 4): an origin web application that is served through the Freshcache proxy
 * and tells it, with response headers, what each response depends on and what each edit changed.
 *
 * <p>Start reading at {@link io.freshcache.demo.DemoWiki}, the public facade (with {@link
 * io.freshcache.demo.DemoOptions} and the {@link io.freshcache.demo.Invalidator} hook for changes
 * made outside requests). Everything else is package-private: {@code Site} (routes and caching
 * headers), {@code Markup} (the wiki markup, declaring dependencies as it renders), {@code Tags} (the
 * tag vocabulary, and why), {@code WikiStore} (pages and change log), {@code Dashboard} (widget data
 * and simulated events), {@code Seed} (the starting pages). {@code docs/demo.md} is the user's
 * guide.
 */
package io.freshcache.demo;
