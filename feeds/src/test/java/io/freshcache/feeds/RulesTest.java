package io.freshcache.feeds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class RulesTest {
  private static final String WIKI = """
      sources:
        - name: postgres-main
          gapPolicy: log-only
          jdbc: jdbc:postgresql://127.0.0.1/test
      rules:
        - name: wiki-pages
          source: postgres-*
          match: { table: "pages", kind: "update|insert" }
          when:
            - { pointer: /new/status, equals: published }
            - { pointer: /new/space, in: [docs, wiki] }
            - { pointer: /new/title, exists: true }
          invalidate: [ "page:{/new/title}", "page:{/old/title}" ]
          prefixes: [ "space:{/new/space}/" ]
        - name: any-comment
          match: { topic: comments }
          invalidate: [ "comments", "comment:{$id}#count" ]
      """;

  @Test
  void wikiRuleFillsTemplatesFromTheChange() {
    Rules rules = Rules.parse(WIKI, "feeds.yaml");
    assertThat(rules.gapPolicies()).containsEntry("postgres-main", GapPolicy.LOG_ONLY);
    assertThat(rules.sourceSettings().get("postgres-main").path("jdbc").asText()).startsWith("jdbc:");
    InvalidationRule wiki = rules.rules().get(0);
    Change c = Changes.row("postgres-main", "pages", "update", """
        {"old": {"title": "Alpha", "status": "draft"},
         "new": {"title": "Beta", "status": "published", "space": "docs"}}""");
    Invalidations inv = wiki.apply(c);
    assertThat(inv.tags()).containsExactly("page:Beta", "page:Alpha");
    assertThat(inv.prefixes()).containsExactly("space:docs/");
  }

  @Test
  void missingPointerSkipsOnlyThatTemplate() {
    InvalidationRule wiki = Rules.parse(WIKI, "feeds.yaml").rules().get(0);
    Change insert = Changes.row("postgres-main", "pages", "insert", """
        {"old": null, "new": {"title": "Beta", "status": "published", "space": "wiki"}}""");
    assertThat(wiki.apply(insert).tags()).containsExactly("page:Beta");
  }

  @Test
  void conditionsAndGlobsMustAllHold() {
    InvalidationRule wiki = Rules.parse(WIKI, "feeds.yaml").rules().get(0);
    String published = """
        {"new": {"title": "T", "status": "published", "space": "docs"}}""";
    assertThat(wiki.apply(Changes.row("couch", "pages", "update", published)).isEmpty()).isTrue();
    assertThat(wiki.apply(Changes.row("postgres-main", "pages", "delete", published)).isEmpty()).isTrue();
    assertThat(wiki.apply(Changes.row("postgres-main", "users", "update", published)).isEmpty()).isTrue();
    assertThat(wiki.apply(Changes.row("postgres-main", "pages", "update",
        "{\"new\": {\"title\": \"T\", \"status\": \"draft\", \"space\": \"docs\"}}")).isEmpty()).isTrue();
    assertThat(wiki.apply(Changes.row("postgres-main", "pages", "update",
        "{\"new\": {\"title\": \"T\", \"status\": \"published\", \"space\": \"blog\"}}")).isEmpty()).isTrue();
    assertThat(wiki.apply(Changes.row("postgres-main", "pages", "update",
        "{\"new\": {\"status\": \"published\", \"space\": \"docs\"}}")).isEmpty()).isTrue();
    assertThat(wiki.apply(Changes.row("postgres-main", "pages", "update", published)).tags())
        .containsExactly("page:T");
  }

  @Test
  void variablesAndLiteralTags() {
    InvalidationRule comments = Rules.parse(WIKI, "feeds.yaml").rules().get(1);
    Invalidations inv = comments.apply(Changes.row("x", "comments", "insert", "{}"));
    assertThat(inv.tags()).containsExactly("comments", "comment:1#count");
  }

  @Test
  void numbersAndBooleansCompareByText() {
    Rules rules = Rules.parse("""
        rules:
          - name: n
            when: [ { pointer: /new/n, equals: 3 }, { pointer: /new/b, in: ["true"] } ]
            invalidate: [ "n:{/new/n}" ]
        """, "t");
    assertThat(rules.rules().get(0).apply(Changes.row("s", "t", "update",
        "{\"new\": {\"n\": \"3\", \"b\": true}}")).tags()).containsExactly("n:3");
    assertThat(rules.rules().get(0).apply(Changes.row("s", "t", "update",
        "{\"new\": {\"n\": 3, \"b\": true}}")).tags()).containsExactly("n:3");
  }

  @Test
  void gapInvalidatesLiteralPrefixes() {
    List<InvalidationRule> rules = Rules.parse(WIKI, "feeds.yaml").rules();
    assertThat(rules.get(0).onGap().tags()).isEmpty();
    assertThat(rules.get(0).onGap().prefixes()).containsExactly("page:", "space:");
    assertThat(rules.get(1).onGap().tags()).containsExactly("comments");
    assertThat(rules.get(1).onGap().prefixes()).containsExactly("comment:");
    InvalidationRule bare = Rules.parse("rules: [ { name: b, invalidate: [\"{/new/tag}\"] } ]", "t").rules().get(0);
    assertThat(bare.onGap().all()).isTrue();
  }

  @Test
  void badRulesFailAtLoadWithNamePathAndReason() {
    String bad = """
        rules:
          - name: ok
            invalidate: [ "page:{/new/title}" ]
          - name: typo
            match: { tabel: pages }
            invalidate: [ "page:x" ]
          - name: wiki-pages
            when: [ { pointer: new/status, equals: published } ]
            invalidate: [ "page:{/new/title" ]
          - name: never-valid
            match: { kind: "insert||update" }
            invalidate: [ "page name:{/new/title}", "page:{$nope}", "page:{/a}/**" ]
            prefixes: [ "space {/x}" ]
          - name: ops
            when: [ { pointer: /a, equals: 1, exists: true }, { pointer: "/a~2", exists: yes } ]
            invalidate: "page:x"
        """;
    assertThatThrownBy(() -> Rules.parse(bad, "feeds.yaml"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("feeds.yaml: 11 problem(s) in rules:")
        .hasMessageContaining("rules[1].match.tabel: rule 'typo': unknown key (expected: one of [kind, table, topic, type])")
        .hasMessageContaining("rules[2].when[0].pointer: rule 'wiki-pages': JSON pointer 'new/status': does not start with '/'")
        .hasMessageContaining("rules[2].invalidate[0]: rule 'wiki-pages': template 'page:{/new/title': '{' at 5 is never closed")
        .hasMessageContaining("rules[3].match.kind: rule 'never-valid': glob 'insert||update': empty alternative at 7")
        .hasMessageContaining("rules[3].invalidate[0]: rule 'never-valid': template 'page name:{/new/title}' can never form a valid tag")
        .hasMessageContaining("rules[3].invalidate[1]: rule 'never-valid': '$nope': unknown variable")
        .hasMessageContaining("rules[3].invalidate[2]: rule 'never-valid': template 'page:{/a}/**' forms a pattern")
        .hasMessageContaining("rules[3].prefixes[0]: rule 'never-valid': prefix template 'space {/x}': white space")
        .hasMessageContaining("rules[4].when[0]: rule 'ops': 2 of equals/in/exists (expected: exactly one)")
        .hasMessageContaining("rules[4].when[1].pointer: rule 'ops': JSON pointer '/a~2': '~' at 2 not followed by 0 or 1")
        .hasMessageContaining("rules[4].invalidate: rule 'ops': a string (expected: a list");
  }

  @Test
  void structuralProblems() {
    assertThatThrownBy(() -> Rules.parse("", "f.yaml")).hasMessageContaining("(document): empty");
    assertThatThrownBy(() -> Rules.parse("rules: [ {name: a, invalidate: [x]}, {name: a, invalidate: [y]} ]", "f.yaml"))
        .hasMessageContaining("rules[1].name: rule 'a': duplicate name");
    assertThatThrownBy(() -> Rules.parse("rules: [ {invalidate: [x]} ]", "f.yaml"))
        .hasMessageContaining("rules[0].name: missing");
    assertThatThrownBy(() -> Rules.parse("rules: [ {name: a} ]", "f.yaml"))
        .hasMessageContaining("rules[0]: rule 'a': neither 'invalidate' nor 'prefixes'");
    assertThatThrownBy(() -> Rules.parse("sources: [ {name: s, gapPolicy: sometimes} ]\nrules: []", "f.yaml"))
        .hasMessageContaining("sources[0].gapPolicy: gapPolicy: sometimes (expected: invalidate-all or log-only)");
    assertThatThrownBy(() -> Rules.parse("rules: [ {name: a, invalidate: [x]\n", "f.yaml"))
        .hasMessageContaining("f.yaml: not valid YAML");
  }
}
