package dev.dllm.eval.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.eval.EvalFiles;
import dev.dllm.eval.metrics.EntropyStats;
import dev.dllm.eval.metrics.GenPplUnit;
import dev.dllm.eval.metrics.GenerativePerplexity;
import dev.dllm.eval.metrics.Retokenizer;
import dev.dllm.eval.metrics.ScoredIds;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code dllm score} as a Java API: gen PPL, entropy and counts of samples someone else generated
 * (another system, a server, the reference Python code), under the same {@link Scorer} that {@code
 * dllm eval} uses, in the same report sections ({@code gen_ppl}, {@code sampling.entropy_*}).
 *
 * <p>Input: JSON Lines, one sample per non-blank line: an object with a {@code "text"} string or an
 * {@code "ids"} array (both, as {@code dllm sample} writes: {@link Field#AUTO} takes the text), or
 * a bare JSON string or array. Text is encoded with the scorer's tokenizer (characters it cannot
 * encode are dropped and counted); ids are in the tokenizer of {@code idsModel} when given (moved
 * into the scorer's as {@code dllm eval} does), else in the scorer's own. PAD and MASK ids are
 * never scored.
 */
public final class ScoreRun {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ScoreRun() {}

  /** Which part of a line is the sample. */
  public enum Field {
    AUTO,
    TEXT,
    IDS;

    /** Parses {@code auto|text|ids}. */
    public static Field parse(String s) {
      return switch (s) {
        case "auto" -> AUTO;
        case "text" -> TEXT;
        case "ids" -> IDS;
        default -> throw new InvalidInputException("--field must be auto|text|ids, got " + s);
      };
    }
  }

  /**
   * What to score.
   *
   * @param samples the JSONL file
   * @param scorer the AR scorer export
   * @param idsModel the export whose tokenizer the ids are in, or null (the scorer's)
   * @param field which part of a line to read
   * @param prependBos whether BOS is prepended to each sample before scoring
   * @param batch chunks per forward pass
   * @param ort ONNX Runtime settings
   */
  public record Options(
      Path samples,
      Path scorer,
      Path idsModel,
      Field field,
      boolean prependBos,
      int batch,
      OrtConfig ort) {}

  /** The report and a readable table. */
  public record Report(Map<String, Object> json, String table) {}

  /**
   * The scored tokens of each mode, as written to the report.
   *
   * @param prependBos the mode
   */
  public static String scoredTokens(boolean prependBos) {
    return prependBos
        ? "BOS + the sample's ids, cut into chunks of at most the scorer's L tokens; every token"
            + " of a chunk but its first is scored. A sample of exactly L ids: ids 0..L-2 scored"
            + " (L-1), id L-1 alone in a 1-token chunk, not scored"
        : "the sample's ids without BOS, cut into chunks of at most the scorer's L tokens; every"
            + " token of a chunk but its first is scored. A sample of exactly L ids: ids 1..L-1"
            + " scored (L-1), id 0 is context only (as the reference code)";
  }

  /**
   * Scores the file and writes the report to {@code reportFile} (when not null).
   *
   * @throws InvalidInputException for a bad line (naming file and line), a file that is not UTF-8,
   *     samples with no token to score, or bad exports
   */
  public static Report run(Options o, Path reportFile) throws IOException {
    if (!Files.isRegularFile(o.samples())) {
      throw new InvalidInputException("--samples " + o.samples() + " does not exist");
    }
    try (Scorer scorer = Scorer.open(o.scorer(), o.ort(), o.batch());
        OnnxModel idsModel = o.idsModel() == null ? null : OnnxModel.open(o.idsModel(), o.ort())) {
      Tokenizer scorerTok = scorer.tokenizer();
      Tokenizer idsTok = idsModel == null ? scorerTok : idsModel.tokenizer();
      List<int[]> fromText = new ArrayList<>();
      List<int[]> fromIds = new ArrayList<>();
      long dropped = 0;
      int textLines = 0;
      int idsLines = 0;
      try (BufferedReader r = Files.newBufferedReader(o.samples(), StandardCharsets.UTF_8)) {
        String line;
        int no = 0;
        while ((line = r.readLine()) != null) {
          no++;
          if (line.isBlank()) {
            continue;
          }
          String where = o.samples() + ":" + no;
          JsonNode n;
          try {
            n = JSON.readTree(line);
          } catch (IOException e) {
            throw new InvalidInputException(where + ": not JSON", e);
          }
          JsonNode text = n.isTextual() ? n : n.path("text");
          JsonNode ids = n.isArray() ? n : n.path("ids");
          boolean useText =
              switch (o.field()) {
                case TEXT -> true;
                case IDS -> false;
                case AUTO -> text.isTextual();
              };
          if (useText) {
            if (!text.isTextual()) {
              throw new InvalidInputException(where + ": no \"text\" string");
            }
            Retokenizer.Ids enc = Retokenizer.encodeLenient(scorerTok, text.asText());
            dropped += enc.droppedCharacters();
            fromText.add(enc.ids());
            textLines++;
          } else {
            if (!ids.isArray()) {
              throw new InvalidInputException(where + ": no \"text\" string nor \"ids\" array");
            }
            int[] a = new int[ids.size()];
            for (int i = 0; i < a.length; i++) {
              JsonNode v = ids.get(i);
              if (!v.canConvertToInt() || v.asInt() < 0 || v.asInt() >= idsTok.vocabSize()) {
                throw new InvalidInputException(
                    where
                        + ": id "
                        + v
                        + " at index "
                        + i
                        + " is not in [0, "
                        + idsTok.vocabSize()
                        + ") of tokenizer "
                        + idsTok.spec());
              }
              a[i] = v.asInt();
            }
            fromIds.add(a);
            idsLines++;
          }
        }
      } catch (java.nio.charset.CharacterCodingException e) {
        throw new InvalidInputException(
            "--samples "
                + o.samples()
                + ": not valid UTF-8 text (expected JSONL as dllm sample writes)");
      }
      if (fromText.isEmpty() && fromIds.isEmpty()) {
        throw new InvalidInputException("--samples " + o.samples() + " has no samples");
      }
      GenerativePerplexity.Result gt =
          fromText.isEmpty() ? null : scorer.score(fromText, scorerTok, o.prependBos());
      GenerativePerplexity.Result gi =
          fromIds.isEmpty() ? null : scorer.score(fromIds, idsTok, o.prependBos());
      GenerativePerplexity.Result g = merge(gt, gi, dropped);
      if (g.scoredTokens() == 0) {
        throw new InvalidInputException(
            "--samples "
                + o.samples()
                + ": no token to score in "
                + (fromText.size() + fromIds.size())
                + " samples (all empty"
                + (o.prependBos() ? "" : ", or one token: without BOS the first is context only")
                + ")");
      }
      double entropyText =
          fromText.isEmpty() ? Double.NaN : EntropyStats.mean(fromText, scorerTok.specials());
      double entropyIdsMean =
          fromIds.isEmpty() ? Double.NaN : EntropyStats.mean(fromIds, idsTok.specials());
      int total = fromText.size() + fromIds.size();
      double entropy =
          ((fromText.isEmpty() ? 0 : entropyText * fromText.size())
                  + (fromIds.isEmpty() ? 0 : entropyIdsMean * fromIds.size()))
              / total;
      Map<String, Object> json = new LinkedHashMap<>();
      Map<String, Object> src = new LinkedHashMap<>();
      src.put("file", o.samples().toString());
      src.put("field", o.field().name().toLowerCase(Locale.ROOT));
      src.put("samples", total);
      src.put("text_samples", textLines);
      src.put("ids_samples", idsLines);
      src.put("ids_tokenizer", idsModel == null ? "the scorer's" : idsModel.directory().toString());
      json.put("samples", src);
      Map<String, Object> sm = new LinkedHashMap<>();
      sm.put("num_samples", total);
      sm.put("entropy_mean", entropy);
      sm.put("entropy_ids", ScoredIds.DEFINITION);
      sm.put(
          "entropy_tokens",
          "text samples: the scorer's ids of the text; ids samples: the ids as given");
      json.put("sampling", sm);
      GenPplUnit unit =
          fromText.isEmpty() && idsModel != null
              ? GenPplUnit.of(scorerTok, idsTok)
              : GenPplUnit.ofScorer(scorerTok);
      Map<String, Object> gp = EvalRun.genPpl(g, scorer, unit);
      gp.put("bos", o.prependBos() ? "prepended" : "none");
      gp.put("scored_tokens_definition", scoredTokens(o.prependBos()));
      json.put("gen_ppl", gp);
      if (reportFile != null) {
        EvalFiles.writeJson(reportFile, json);
      }
      String table =
          EvalRun.table(
              List.of(
                  new String[] {"samples", Integer.toString(total)},
                  new String[] {
                    "gen PPL",
                    String.format(Locale.ROOT, "%.4f", g.perplexity())
                        + "  "
                        + unit.note(g.droppedCharacters())
                  },
                  new String[] {"gen PPL scored tokens", Long.toString(g.scoredTokens())},
                  new String[] {"BOS", o.prependBos() ? "prepended" : "none"},
                  new String[] {"entropy (nats)", String.format(Locale.ROOT, "%.4f", entropy)},
                  new String[] {"dropped characters", Long.toString(g.droppedCharacters())}));
      return new Report(json, table);
    }
  }

  private static GenerativePerplexity.Result merge(
      GenerativePerplexity.Result a, GenerativePerplexity.Result b, long droppedText) {
    if (a == null) {
      return b;
    }
    if (b == null) {
      return new GenerativePerplexity.Result(
          a.samples(),
          a.scoredTokens(),
          a.nll(),
          a.perplexity(),
          true,
          a.droppedCharacters() + droppedText,
          a.chunks(),
          a.context());
    }
    long tokens = a.scoredTokens() + b.scoredTokens();
    double nll = a.nll() + b.nll();
    return new GenerativePerplexity.Result(
        a.samples() + b.samples(),
        tokens,
        nll,
        Math.exp(nll / tokens),
        true,
        a.droppedCharacters() + b.droppedCharacters() + droppedText,
        a.chunks() + b.chunks(),
        a.context());
  }
}
