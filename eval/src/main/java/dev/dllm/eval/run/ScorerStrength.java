package dev.dllm.eval.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.eval.metrics.Retokenizer;
import dev.dllm.runtime.onnx.OnnxModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Whether the gen-PPL scorer is stronger than a model it judges, by their recorded validation
 * losses (nats/token): the scorer's exact AR val NLL against the model's val NLL (AR) or val NELBO
 * (diffusion, an upper bound on its NLL). The two are compared only when both are known and both
 * models use the same tokenizer (equal spec and state, so nats/token are per the same tokens); a
 * scorer whose val NLL is not lower is flagged ({@code scorer_weaker_than_model}) and warned about,
 * never refused, since a NELBO bound is not strictly comparable with an exact NLL.
 *
 * <p>A model's val loss is read from, in order: {@code val_nll} in its export metadata's training
 * provenance; {@code train-report.json} in the export folder; {@code train-report.json} in the
 * folder above it (the run folder of {@code dllm train --out RUN} exported to {@code RUN/onnx}, and
 * the bundled scorer's layout), taken only when that report's {@code family} and {@code n_eff}
 * match the export.
 *
 * @param scorerValNll the scorer's val NLL in nats/token, or null when unknown
 * @param scorerSource where it was read
 * @param modelValLoss the judged model's val NLL / NELBO in nats/token, or null when unknown
 * @param modelSource where it was read
 * @param sameTokenizer whether scorer and model share one tokenizer
 */
public record ScorerStrength(
    Double scorerValNll,
    String scorerSource,
    Double modelValLoss,
    String modelSource,
    boolean sameTokenizer) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Reads both val losses and compares the tokenizers. */
  public static ScorerStrength of(OnnxModel scorer, OnnxModel judged) {
    String[] s = valLoss(scorer);
    String[] m = valLoss(judged);
    return new ScorerStrength(
        s == null ? null : Double.valueOf(s[0]),
        s == null ? null : s[1],
        m == null ? null : Double.valueOf(m[0]),
        m == null ? null : m[1],
        Retokenizer.sameTokenizer(scorer.tokenizer(), judged.tokenizer()));
  }

  /** Whether the two losses can be compared (both known, same tokenizer). */
  public boolean comparable() {
    return sameTokenizer && scorerValNll != null && modelValLoss != null;
  }

  /** Comparable and the scorer's val NLL is not lower than the model's val loss. */
  public boolean scorerWeaker() {
    return comparable() && scorerValNll >= modelValLoss;
  }

  /** The WARNING line for a weaker scorer, or null. */
  public String warning(Path scorerDir, Path modelDir) {
    if (!scorerWeaker()) {
      return null;
    }
    return String.format(
        Locale.ROOT,
        "WARNING: --scorer %s (val NLL %.4f nats/token) is not stronger than the judged model %s"
            + " (val loss %.4f nats/token, same tokenizer): its gen PPL says little about this"
            + " model; use a stronger AR scorer",
        scorerDir,
        scorerValNll,
        modelDir,
        modelValLoss);
  }

  /** The report section (snake_case keys, losses in nats/token). */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("scorer_val_nll", scorerValNll);
    m.put("scorer_val_nll_source", scorerSource);
    m.put("model_val_loss", modelValLoss);
    m.put("model_val_loss_source", modelSource);
    m.put("same_tokenizer", sameTokenizer);
    m.put("comparable", comparable());
    m.put("scorer_weaker_than_model", scorerWeaker());
    return m;
  }

  /** {value, source} of a model's val loss, or null. */
  static String[] valLoss(OnnxModel model) {
    Object v = model.metadata().training().get("val_nll");
    if (v instanceof Number n && Double.isFinite(n.doubleValue())) {
      return new String[] {Double.toString(n.doubleValue()), "export metadata training.val_nll"};
    }
    Path dir = model.directory().toAbsolutePath().normalize();
    for (Path d : new Path[] {dir, dir.getParent()}) {
      if (d == null) {
        continue;
      }
      Path rep = d.resolve("train-report.json");
      if (!Files.isRegularFile(rep)) {
        continue;
      }
      try {
        JsonNode r = JSON.readTree(rep.toFile());
        boolean sameFamily = r.path("family").asText("").equals(model.metadata().family());
        boolean sameSize =
            !r.path("n_eff").isNumber()
                || r.path("n_eff").asLong() == model.metadata().model().nEff();
        if (r.path("val_nll").isNumber() && sameFamily && sameSize) {
          double x = r.path("val_nll").asDouble();
          if (Double.isFinite(x)) {
            return new String[] {Double.toString(x), rep.toString()};
          }
        }
      } catch (IOException e) {
        // an unreadable report is no evidence either way: the loss stays unknown
      }
    }
    return null;
  }
}
