import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import software.amazon.event.ruler.Machine;

/**
 * Answers pattern/event pairs with AWS's Event Ruler, the engine EventBridge matches with, for the differential test
 * of lib/core/patterns (test/e2e/event-ruler-differential.test.ts). Run it through scripts/tools/event-ruler.sh run.
 *
 * <p>stdin: one JSON object a line, {"id": ..., "pattern": "<pattern JSON text>", "event": "<event JSON text>"}.
 * stdout: one line per input line, in order: {"id": ..., "result": true|false} or, when Ruler rejects the pattern,
 * {"id": ..., "error": "<Ruler's message>"}; {"id": ..., "eventError": "<message>"} if it rejects the event.
 *
 * <p>Each pair gets a fresh Machine with the one rule added and the event matched with rulesForJSONEvent: exactly
 * what Ruler.matchesRule(event, rule) does (the static single-rule API the Ruler README recommends; rulesForEvent
 * and Ruler.matches are deprecated), split in two so an invalid pattern is told apart from a non-match.
 */
public final class RulerHarness {
  private RulerHarness() {}

  public static void main(String[] args) throws Exception {
    ObjectMapper json = new ObjectMapper();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
    String line;
    int lineNumber = 0;
    while ((line = in.readLine()) != null) {
      lineNumber++;
      if (line.isBlank()) continue;
      JsonNode request = json.readTree(line);
      JsonNode pattern = request.get("pattern");
      JsonNode event = request.get("event");
      if (pattern == null || !pattern.isTextual() || event == null || !event.isTextual()) {
        throw new IllegalArgumentException("line " + lineNumber + ": \"pattern\" and \"event\" must be JSON strings");
      }
      ObjectNode reply = json.createObjectNode();
      reply.set("id", request.get("id"));
      // The default configuration, as in Ruler.matchesRule (whose `new Machine()` is deprecated for the builder).
      Machine machine = Machine.builder().build();
      boolean added = false;
      try {
        machine.addRule("rule", pattern.asText());
        added = true;
      } catch (Exception | StackOverflowError e) {
        reply.put("error", describe(e));
      }
      if (added) {
        try {
          reply.put("result", !machine.rulesForJSONEvent(event.asText()).isEmpty());
        } catch (Exception | StackOverflowError e) {
          reply.put("eventError", describe(e));
        }
      }
      out.write(json.writeValueAsString(reply));
      out.write('\n');
    }
    out.flush();
  }

  private static String describe(Throwable e) {
    String message = e.getMessage();
    return e.getClass().getSimpleName() + (message == null ? "" : ": " + message.replace('\n', ' '));
  }
}
