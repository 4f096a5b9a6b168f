package io.freshcache.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * An origin's interim responses (RFC 9110 section 15.2): 103 Early Hints and 102 reach the client
 * whose request the origin answers, before its final response; never an HTTP/1.0 client, never a
 * hit, and never the proxy's own fields. 100 Continue is the proxy's own to send.
 */
class InterimResponsesTest extends ProxyTestSupport {
  private static final String HINTS = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload; as=style\r\n"
      + "Cache-Tag: secret-tag\r\nX-Interim: yes\r\n\r\n";
  private static final String PAGE = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n"
      + "Cache-Control: max-age=60\r\nConnection: close\r\n\r\npage";

  @Test
  void earlyHintsReachTheClientWhoseMissFetchedThePageAndNotTheNextHit() throws Exception {
    try (ScriptedOrigin o = new ScriptedOrigin(head -> HINTS + PAGE)) {
      start(b -> b.origin(o.uri()));
      String miss = raw("GET /p HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      assertThat(miss).startsWith("HTTP/1.1 103 Early Hints\r\n")
          .contains("Link: </style.css>; rel=preload; as=style\r\n", "X-Interim: yes\r\n")
          .doesNotContainIgnoringCase("cache-tag").doesNotContainIgnoringCase("secret-tag");
      String afterHints = miss.substring(miss.indexOf("\r\n\r\n") + 4);
      assertThat(afterHints).startsWith("HTTP/1.1 200 OK\r\n").endsWith("page");
      assertThat(afterHints).contains("fwd=uri-miss; stored");
      String hit = raw("GET /p HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      assertThat(hit).startsWith("HTTP/1.1 200 OK\r\n").contains("Freshcache; hit").endsWith("page");
      assertThat(o.requests).hasSize(1);
      assertThat(proxy.stats()).containsEntry("interimResponses", 1L);
    }
  }

  @Test
  void aForwardedRequestGetsItsInterimResponsesInOrderBeforeTheFinalOne() throws Exception {
    String processing = "HTTP/1.1 102 Processing\r\n\r\n";
    try (ScriptedOrigin o = new ScriptedOrigin(head -> processing + HINTS + PAGE)) {
      start(b -> b.origin(o.uri()));
      String post = raw("POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      assertThat(post).startsWith("HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\n");
      assertThat(post.substring(post.lastIndexOf("HTTP/1.1 "))).startsWith("HTTP/1.1 200 OK\r\n").endsWith("page");
      assertThat(post.split("HTTP/1.1 ", -1)).hasSize(4);
    }
  }

  /** RFC 9110 section 15.2: a server must not send a 1xx response to an HTTP/1.0 client. */
  @Test
  void anHttp10ClientGetsOnlyTheFinalResponse() throws Exception {
    try (ScriptedOrigin o = new ScriptedOrigin(head -> HINTS + PAGE)) {
      start(b -> b.origin(o.uri()));
      String r = raw("GET /p HTTP/1.0\r\nHost: a\r\n\r\n");
      assertThat(r).startsWith("HTTP/1.1 200 OK\r\n").doesNotContain("103").endsWith("page");
    }
  }

  /** The proxy answers a client's Expect itself and never sends Expect on: an origin's 100 is not the client's. */
  @Test
  void anOriginsContinueIsNotRelayed() throws Exception {
    try (ScriptedOrigin o = new ScriptedOrigin(head -> "HTTP/1.1 100 Continue\r\n\r\n" + PAGE)) {
      start(b -> b.origin(o.uri()));
      String r = raw("POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx");
      assertThat(r).startsWith("HTTP/1.1 200 OK\r\n").doesNotContain("100 Continue").endsWith("page");
      assertThat(o.requests.get(0)).doesNotContainIgnoringCase("expect");
    }
  }

  /** Each interim response restarts the response timeout, so their number is bounded: past it, 502. */
  @Test
  void anOriginThatSendsInterimResponsesWithoutEndIsABadGateway() throws Exception {
    String many = HINTS.repeat(OriginCall.MAX_INTERIM_RESPONSES + 1);
    try (ScriptedOrigin o = new ScriptedOrigin(head -> many + PAGE)) {
      start(b -> b.origin(o.uri()));
      String r = raw("GET /p HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
      assertThat(r.substring(r.lastIndexOf("HTTP/1.1 "))).startsWith("HTTP/1.1 502 ")
          .contains("bad response from origin");
      assertThat(r.split("HTTP/1.1 103 ", -1)).hasSize(OriginCall.MAX_INTERIM_RESPONSES + 1);
    }
  }
}
