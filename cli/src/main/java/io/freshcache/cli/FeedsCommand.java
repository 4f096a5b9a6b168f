package io.freshcache.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.freshcache.feeds.GapPolicy;
import io.freshcache.feeds.InvalidationRule;
import io.freshcache.feeds.postgres.PostgresInstaller;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code freshcache feeds}: tools for change feeds (docs/feeds.md). {@code install-postgres} sets
 * up the PostgreSQL changes table and triggers; {@code check} validates a feeds file. Running the
 * feeds is {@code freshcache serve --feeds FILE}.
 *
 * <p>Exit codes: 0 on success, 1 when the database refused or could not be reached, 2 for a usage
 * error or a feeds file with problems.
 */
@Command(
    name = "feeds",
    mixinStandardHelpOptions = true,
    versionProvider = FreshcacheCommand.Version.class,
    description = {"Change feeds: install the PostgreSQL triggers, check a feeds file.",
        "Run the feeds with 'freshcache serve --feeds FILE'.", ""},
    subcommands = {FeedsCommand.InstallPostgres.class, FeedsCommand.Check.class},
    usageHelpAutoWidth = true)
public final class FeedsCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  /** Creates the command; picocli fills in its fields. */
  public FeedsCommand() {}

  /** No subcommand given: a usage error. */
  @Override
  public Integer call() {
    throw new ParameterException(spec.commandLine(), "Missing subcommand (expected: install-postgres or check)");
  }

  /** {@code password=...} in a JDBC URL, hidden from what is printed. */
  static String redacted(String jdbcUrl) {
    return jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
  }

  /** {@code feeds install-postgres}: {@link PostgresInstaller#install} or {@link PostgresInstaller#sql}. */
  @Command(
      name = "install-postgres",
      mixinStandardHelpOptions = true,
      versionProvider = FreshcacheCommand.Version.class,
      sortOptions = false,
      description = {"Installs the changes table and a trigger on each table (idempotent: run it again after "
          + "adding a table), or prints the SQL for a DBA with --print-sql.", ""},
      usageHelpAutoWidth = true)
  static final class InstallPostgres implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--jdbc", paramLabel = "URL", order = 1,
        description = "The database, jdbc:postgresql://HOST:PORT/DB?user=U; required unless --print-sql.")
    String jdbc;

    @Option(names = "--schema", paramLabel = "SCHEMA", order = 2, defaultValue = "public",
        description = "Where the changes table goes (default: ${DEFAULT-VALUE}).")
    String schema;

    @Option(names = "--table", paramLabel = "TABLE", order = 3, required = true,
        description = "A table to watch, in the schema or as other_schema.table; repeat for more.")
    List<String> tables;

    @Option(names = "--print-sql", order = 4, description = "Print the SQL instead of running it.")
    boolean printSql;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      String sql;
      try {
        sql = PostgresInstaller.sql(schema, tables);
      } catch (IllegalArgumentException e) {
        throw new ParameterException(spec.commandLine(), e.getMessage());
      }
      if (printSql) {
        out.print(sql);
        out.flush();
        return 0;
      }
      if (jdbc == null) {
        throw new ParameterException(spec.commandLine(),
            "Missing required option: '--jdbc=URL' (expected: with it, or --print-sql)");
      }
      try {
        PostgresInstaller.install(jdbc, schema, tables);
      } catch (SQLException e) {
        // The driver's messages may span lines ("Where: ..."); one line is what a script can log.
        err.println("freshcache feeds install-postgres: " + redacted(jdbc) + ": "
            + String.valueOf(e.getMessage()).replaceAll("\\s*\\R\\s*", " ")
            + (e.getSQLState() == null ? "" : " (SQL state " + e.getSQLState() + ")"));
        err.flush();
        return 1;
      }
      out.println("freshcache feeds install-postgres: installed in " + redacted(jdbc) + ": schema " + schema
          + " has freshcache_changes, freshcache_feed and freshcache_capture(); trigger freshcache_capture on "
          + String.join(", ", tables.stream().map(t -> t.contains(".") ? t : schema + "." + t).toList()));
      out.flush();
      return 0;
    }
  }

  /** {@code feeds check FILE}: the rules and sources of a feeds file, or every problem in it. */
  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      versionProvider = FreshcacheCommand.Version.class,
      description = {"Checks a feeds file: rules and sources (built, not connected). Lists what it found "
          + "(exit 0) or every problem (exit 2).", ""},
      usageHelpAutoWidth = true)
  static final class Check implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The feeds file (YAML, docs/feeds.md).")
    Path file;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      FeedsFile f = FeedsFile.read(file);
      if (!f.ok()) {
        err.println("freshcache feeds check: " + f.report());
        err.flush();
        return 2;
      }
      out.println(file + ": " + f.sourceSettings.size() + " source(s), " + f.rules.rules().size() + " rule(s)");
      for (Map.Entry<String, JsonNode> s : f.sourceSettings.entrySet()) {
        out.println("  source " + s.getKey() + " (" + FeedsFile.type(s.getValue()) + ", gap policy "
            + f.rules.gapPolicies().getOrDefault(s.getKey(), GapPolicy.INVALIDATE_ALL)
                .name().toLowerCase(Locale.ROOT).replace('_', '-') + ")");
      }
      for (InvalidationRule r : f.rules.rules()) {
        List<String> fed = f.sourceSettings.keySet().stream().filter(r::appliesTo).toList();
        out.println("  rule " + r.name() + " (sources: " + (fed.isEmpty() ? "none" : String.join(", ", fed)) + ")");
      }
      for (String w : f.warnings) {
        out.println("warning: " + w);
      }
      out.flush();
      return 0;
    }
  }
}
