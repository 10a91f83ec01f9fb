package local.elt.stream;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;

import static org.apache.flink.table.api.Expressions.$;

/**
 * The live-windows Flink SQL job (sql/stream/) as a program: reads the source and sink files of one connector and
 * live-windows.sql from the JAR, substitutes their {{ name }} placeholders, and runs the statements; the INSERTs go
 * into one statement set, so they are one Flink job.
 *
 * Values come from Managed Service for Apache Flink's runtime properties (group "elt.stream", set by
 * lib/infra/constructs/managed-flink.ts), or, anywhere else, from arguments "--name value". Each value is checked
 * against what its placeholder may hold before it is put into SQL: nothing read at run time becomes SQL syntax.
 *
 * connector=kafka with kafka_auth=msk-iam adds the MSK IAM options (SASL_SSL, AWS_MSK_IAM) to the Kafka tables with
 * ALTER TABLE, so the SQL files stay the ones the local job runs. connector=kinesis sends the envelope column of the
 * INSERTs into elt_stream_results to elt_stream_results_kinesis (sql/stream/sink-kinesis.sql says why).
 */
public final class SqlJob {
  /** The runtime property group on MSF. */
  static final String PROPERTY_GROUP = "elt.stream";

  private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{\\s*([a-z_]+)\\s*\\}\\}");
  private static final Pattern INTEGER = Pattern.compile("^[0-9]{1,9}$");
  /** Topic, group and prefix names, broker lists, ARNs and Regions: no quote, space or SQL punctuation. */
  private static final Pattern SAFE = Pattern.compile("^[A-Za-z0-9._:,/+=-]{1,2048}$");
  private static final Pattern CREATE_TABLE =
      Pattern.compile("^\\s*CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?([A-Za-z_][A-Za-z0-9_]*)", Pattern.CASE_INSENSITIVE);
  private static final Pattern INSERT = Pattern.compile("^\\s*INSERT\\s+INTO\\s+", Pattern.CASE_INSENSITIVE);
  /** The SQL client's SET 'key' = 'value', which the Table API's executeSql does not take. */
  private static final Pattern SET = Pattern.compile("^\\s*SET\\s+'([^']+)'\\s*=\\s*'([^']*)'\\s*$", Pattern.CASE_INSENSITIVE);
  private static final Pattern INSERT_RESULTS =
      Pattern.compile("^\\s*INSERT\\s+INTO\\s+elt_stream_results\\s+(SELECT\\b.*|WITH\\b.*|\\(\\s*SELECT\\b.*)$",
          Pattern.CASE_INSENSITIVE | Pattern.DOTALL);

  private SqlJob() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> values = values(args);
    String connector = values.getOrDefault("connector", "kafka");
    if (!connector.equals("kafka") && !connector.equals("kinesis"))
      throw new IllegalArgumentException("connector must be kafka or kinesis, got " + connector);
    List<String> kafkaTables = new ArrayList<>();
    List<String> ddl = new ArrayList<>();
    List<String> inserts = new ArrayList<>();
    for (String file : List.of("source-" + connector + ".sql", "sink-" + connector + ".sql", "live-windows.sql")) {
      for (String statement : split(render(resource(file), values, file))) {
        if (INSERT.matcher(statement).find()) {
          inserts.add(statement);
          continue;
        }
        ddl.add(statement);
        Matcher table = CREATE_TABLE.matcher(statement);
        if (table.find() && connector.equals("kafka") && !file.equals("live-windows.sql")) kafkaTables.add(table.group(1));
      }
    }
    if (inserts.isEmpty()) throw new IllegalStateException("live-windows.sql has no INSERT INTO statement");

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    // On MSF checkpointing is the application's configuration (and MSF refuses it from code); elsewhere, e.g. a
    // local MiniCluster, --checkpoint_interval_seconds turns it on, which the exactly-once Kafka sink needs to commit.
    String interval = values.get("checkpoint_interval_seconds");
    if (interval != null && runtimeProperties() == null) {
      if (!INTEGER.matcher(interval).matches())
        throw new IllegalArgumentException("checkpoint_interval_seconds must be a whole number, got \"" + interval + "\"");
      env.enableCheckpointing(Long.parseLong(interval) * 1000);
    }
    StreamTableEnvironment tables = StreamTableEnvironment.create(env);
    // MSF (Flink 2.2 and later) refuses from code the settings it manages itself (MSF developer guide,
    // "Programmatic Flink configuration properties"): there only the planner's own table.* settings are applied.
    boolean onMsf = runtimeProperties() != null;
    for (String statement : ddl) {
      Matcher set = SET.matcher(statement);
      if (!set.matches()) tables.executeSql(statement);
      else if (!onMsf || set.group(1).startsWith("table.")) tables.getConfig().set(set.group(1), set.group(2));
      else System.err.println("SqlJob: on Managed Service for Apache Flink, leaving out SET '" + set.group(1) + "'");
    }
    if ("msk-iam".equals(values.get("kafka_auth")))
      for (String table : kafkaTables) tables.executeSql("ALTER TABLE " + table + " SET (" + MSK_IAM_OPTIONS + ")");
    StatementSet set = tables.createStatementSet();
    for (String statement : inserts) {
      Matcher results = INSERT_RESULTS.matcher(statement);
      if (connector.equals("kinesis") && results.find()) {
        set.add(tables.sqlQuery(results.group(1)).select($("envelope")).insertInto("elt_stream_results_kinesis"));
      } else if (connector.equals("kinesis") && statement.matches("(?is)^\\s*INSERT\\s+INTO\\s+elt_stream_results\\b.*")) {
        throw new IllegalStateException(
            "on Kinesis an INSERT INTO elt_stream_results must be followed by its query (no column list): " + firstLine(statement));
      } else {
        set.addInsertSql(statement);
      }
    }
    set.execute();
  }

  /** What the MSK IAM auth library needs on a Kafka client (its README), as Flink table options. */
  static final String MSK_IAM_OPTIONS = String.join(", ",
      "'properties.security.protocol' = 'SASL_SSL'",
      "'properties.sasl.mechanism' = 'AWS_MSK_IAM'",
      "'properties.sasl.jaas.config' = 'software.amazon.msk.auth.iam.IAMLoginModule required;'",
      "'properties.sasl.client.callback.handler.class' = 'software.amazon.msk.auth.iam.IAMClientCallbackHandler'");

  /** MSF's runtime properties when there are any, else "--name value" arguments. */
  static Map<String, String> values(String[] args) throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    Properties group = runtimeProperties();
    if (group != null) for (String name : group.stringPropertyNames()) values.put(name, group.getProperty(name));
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length)
        throw new IllegalArgumentException("arguments are --name value pairs; got " + args[i]);
      values.put(args[i].substring(2), args[++i]);
    }
    return values;
  }

  /** The "elt.stream" group of MSF's runtime properties; null off MSF (the runtime library finds no file there). */
  private static Properties runtimeProperties() {
    try {
      Map<String, Properties> groups =
          com.amazonaws.services.kinesisanalytics.runtime.KinesisAnalyticsRuntime.getApplicationProperties();
      return groups == null ? null : groups.get(PROPERTY_GROUP);
    } catch (IOException | RuntimeException | NoClassDefFoundError e) {
      return null;
    }
  }

  static String resource(String file) throws IOException {
    try (InputStream in = SqlJob.class.getResourceAsStream("/sql/stream/" + file)) {
      if (in == null) throw new IllegalStateException("the JAR holds no sql/stream/" + file + "; rebuild it");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Substitutes every placeholder; a missing or unsafe value fails with the placeholder's name. */
  static String render(String sql, Map<String, String> values, String file) {
    Matcher m = PLACEHOLDER.matcher(stripComments(sql));
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      String value = values.get(name);
      if (value == null) throw new IllegalArgumentException(file + " needs {{ " + name + " }}: set it (--" + name + " value, or the MSF runtime property)");
      boolean integer = name.endsWith("_seconds");
      if (!(integer ? INTEGER : SAFE).matcher(value).matches())
        throw new IllegalArgumentException("{{ " + name + " }} must be " + (integer ? "a whole number" : "letters, digits and ._:,/+=- only") + ", got \"" + value + "\"");
      m.appendReplacement(out, Matcher.quoteReplacement(value));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** Removes "--" comments outside string literals, so placeholders in comments need no value. */
  static String stripComments(String sql) {
    StringBuilder out = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < sql.length(); i++) {
      char c = sql.charAt(i);
      if (c == '\'') quoted = !quoted;
      if (!quoted && c == '-' && i + 1 < sql.length() && sql.charAt(i + 1) == '-') {
        while (i < sql.length() && sql.charAt(i) != '\n') i++;
        out.append('\n');
        continue;
      }
      out.append(c);
    }
    return out.toString();
  }

  /** Statements split at ";" outside string literals (a doubled quote inside a literal toggles twice). */
  static List<String> split(String sql) {
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean quoted = false;
    for (char c : sql.toCharArray()) {
      if (c == '\'') quoted = !quoted;
      if (c == ';' && !quoted) {
        if (!current.toString().isBlank()) statements.add(current.toString().trim());
        current.setLength(0);
      } else {
        current.append(c);
      }
    }
    if (!current.toString().isBlank()) statements.add(current.toString().trim());
    return statements;
  }

  private static String firstLine(String statement) {
    int end = statement.indexOf('\n');
    return end < 0 ? statement : statement.substring(0, end);
  }
}
