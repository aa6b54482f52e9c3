package dev.dllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * What {@link DemoStages} prints between stages: the table of the training reports and, per model,
 * its sampling numbers with the first two samples.
 */
final class DemoStageTables {
  private static final ObjectMapper JSON = new ObjectMapper();

  private DemoStageTables() {}

  /** One row per training report: steps, tokens, val NLL and PPL, tokens/s. */
  static void printTable(PrintStream out, List<JsonNode> reports) {
    out.println();
    out.printf(
        Locale.ROOT,
        "   %-6s %-8s %8s %10s %10s %10s %10s%n",
        "model",
        "objective",
        "steps",
        "tokens",
        "val nll",
        "val ppl",
        "tokens/s");
    for (JsonNode r : reports) {
      out.printf(
          Locale.ROOT,
          "   %-6s %-8s %8d %10d %10.4f %10.3f %10.0f%n",
          r.path("family").asText(),
          r.path("objective").asText(),
          r.path("steps").asLong(),
          r.path("tokens").asLong(),
          r.path("val_nll").asDouble(),
          r.path("val_ppl").asDouble(),
          r.path("tokens_per_second").asDouble());
    }
    out.println(
        "   (AR: exact NLL; MDLM, Duo, Eso-LM: NELBO upper bounds with ELBO weights, nats/token)");
  }

  /** A model's sample report (tokens/s, NFE, entropy) and its first two samples (400 chars). */
  static void printSamples(PrintStream out, Path jsonl, JsonNode rep) throws IOException {
    out.printf(
        Locale.ROOT,
        "   %s: %.0f tokens/s, NFE mean %.1f, entropy %.3f nats%n",
        rep.path("family").asText(),
        rep.path("tokens_per_second").asDouble(),
        rep.path("nfe_mean").asDouble(),
        rep.path("entropy_mean").asDouble());
    List<String> lines = Files.readAllLines(jsonl, StandardCharsets.UTF_8);
    for (int i = 0; i < Math.min(2, lines.size()); i++) {
      String text = JSON.readTree(lines.get(i)).path("text").asText();
      out.println("   --- sample " + i + " ---");
      out.println(DemoCommand.indent(text.length() > 400 ? text.substring(0, 400) + " ..." : text));
    }
  }
}
