package dev.dllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A diffusion family's SSE body taken apart and checked against {@link Responses#canvas}'s
 * contract: per choice NFE + 1 canvases, the states after 0, 1, …, NFE network calls (steps in
 * order, {@code nfe} = step + 1 until the final canvas, {@code final} only on the last); a masked
 * position has no text; under an absorbing family a position has text exactly when it is committed,
 * and a committed position never changes nor goes back to masked; the final canvas is all committed
 * and its text begins with the completion (is it, for a choice that ran to its length); then one
 * text chunk per choice, the usage chunk and [DONE].
 */
final class CanvasStream {
  /** Canvases per choice index, in order. */
  final Map<Integer, List<JsonNode>> canvases = new TreeMap<>();

  /** The completion chunk of each choice. */
  final Map<Integer, JsonNode> chunks = new TreeMap<>();

  /** The last chunk: no choices, usage, nfe, seed. */
  final JsonNode usage;

  CanvasStream(String body) throws Exception {
    List<String> events = TestServers.events(body);
    assertEquals("[DONE]", events.get(events.size() - 1));
    JsonNode last = null;
    for (String e : events.subList(0, events.size() - 1)) {
      JsonNode j = TestServers.json(e);
      assertFalse(j.has("error"), e);
      if (j.path("object").asText().equals("dllm.canvas")) {
        int i = j.path("index").asInt();
        assertFalse(chunks.containsKey(i), "a canvas after the completion of choice " + i);
        canvases.computeIfAbsent(i, k -> new ArrayList<>()).add(j);
      } else if (j.path("choices").size() > 0) {
        JsonNode c = j.path("choices").path(0);
        assertFalse(chunks.containsKey(c.path("index").asInt()), e);
        chunks.put(c.path("index").asInt(), c);
      } else {
        last = j;
      }
    }
    this.usage = last;
    assertTrue(usage != null && usage.has("usage"), "no usage chunk in " + body);
  }

  /**
   * Checks every choice against the contract above.
   *
   * @param choices the number of choices
   * @param span positions per canvas
   * @param absorbing whether committed positions must stay (MDLM, Eso-LM)
   */
  void check(int choices, int span, boolean absorbing) {
    int nfe = usage.path("nfe").asInt();
    assertEquals(choices, canvases.size());
    assertEquals(choices, chunks.size());
    for (var e : canvases.entrySet()) {
      List<JsonNode> list = e.getValue();
      String who = "choice " + e.getKey();
      assertEquals(nfe + 1, list.size(), who + ": canvases, NFE " + nfe);
      Map<Integer, String> committed = new HashMap<>();
      for (int k = 0; k < list.size(); k++) {
        JsonNode c = list.get(k);
        boolean closing = k == nfe;
        assertEquals(k, c.path("step").asInt(), who);
        assertEquals(closing ? nfe : k + 1, c.path("nfe").asInt(), who);
        assertEquals(closing, c.path("final").asBoolean(), who);
        assertEquals(span, c.path("tokens").size(), who);
        for (int p = 0; p < span; p++) {
          JsonNode t = c.path("tokens").path(p);
          String at = who + ", position " + p + " at step " + k;
          String before = committed.get(p);
          if (closing) {
            assertTrue(t.path("committed").asBoolean(), at);
          }
          if (absorbing) {
            // absorbing: a position is decoded (has text) exactly when it is committed
            assertEquals(!t.path("text").isNull(), t.path("committed").asBoolean(), at);
          } else if (!t.path("committed").asBoolean()) {
            assertTrue(t.path("text").isNull() || !closing, at);
          }
          if (!t.path("committed").asBoolean()) {
            assertTrue(!absorbing || before == null, at + " went back to masked");
            continue;
          }
          if (absorbing && before != null) {
            assertEquals(before, t.path("text").asText(), at);
          }
          committed.put(p, t.path("text").asText());
        }
      }
      for (JsonNode t : list.get(0).path("tokens")) {
        assertFalse(absorbing && t.path("committed").asBoolean(), who + ": first canvas");
      }
      String text = chunks.get(e.getKey()).path("text").asText();
      String end = text(list.get(nfe));
      if (chunks.get(e.getKey()).path("finish_reason").asText().equals("length")) {
        assertEquals(text, end, who + ": final canvas");
      } else {
        assertTrue(end.startsWith(text), who + ": final canvas '" + end + "', text '" + text + "'");
      }
    }
  }

  /** The decoded positions of a canvas joined (masked ones left out). */
  static String text(JsonNode canvas) {
    StringBuilder b = new StringBuilder();
    for (JsonNode t : canvas.path("tokens")) {
      if (!t.path("text").isNull()) {
        b.append(t.path("text").asText());
      }
    }
    return b.toString();
  }

  /** How many positions of a canvas are committed. */
  static int committed(JsonNode canvas) {
    int n = 0;
    for (JsonNode t : canvas.path("tokens")) {
      n += t.path("committed").asBoolean() ? 1 : 0;
    }
    return n;
  }
}
