package io.freshcache.proxy;

/**
 * A request the proxy refuses before it reaches the origin, passed down the pipeline in place of the
 * request so that it is answered in turn (after the responses to earlier pipelined requests). The
 * connection is closed after the answer: after a framing error nothing that follows can be trusted.
 *
 * @param status 400, 413, 414, 431 or 505
 * @param message a short text for the client (never a stack trace)
 */
record BadRequest(int status, String message) {}
