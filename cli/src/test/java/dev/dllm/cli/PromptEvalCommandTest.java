package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.trainer.model.DitInit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dllm prompt-eval} end to end on tiny exports (L 16, char tokenizer): the report's numbers
 * against an independent float64 computation on the same weights, and the bad input it refuses (one
 * line, exit 2, nothing written).
 */
class PromptEvalCommandTest {
  private static final String VOCAB = "abcdefgh ijklmnop.";
  private static final String TEXT = "abc def ghij klm nop. ";
  @TempDir static Path tmp;
  static Path ar;
  static Path mdlm;
  static Path duo;
  static Path esolm;
  static Path scorer;
  static Path text;
  private final CliRun cli = new CliRun();

  @BeforeAll
  static void exports() throws Exception {
    ar = TinyExports.export("ar", 4, tmp.resolve("ar"));
    mdlm = TinyExports.export("mdlm", 3, tmp.resolve("mdlm"));
    duo = TinyExports.export("duo", 6, tmp.resolve("duo"));
    esolm = TinyExports.export("esolm", 7, tmp.resolve("esolm"));
    scorer = TinyExports.export("ar", 5, tmp.resolve("scorer"));
    text = Files.writeString(tmp.resolve("text.txt"), TEXT.repeat(20));
  }

  private String[] args(Path out, String... extra) {
    List<String> a =
        new ArrayList<>(
            List.of(
                "prompt-eval",
                "--scorer",
                scorer.toString(),
                "--data",
                text.toString(),
                "--detokenizer",
                "none",
                "--windows",
                "3",
                "--prompt-tokens",
                "6",
                "--new-tokens",
                "10",
                "--batch",
                "2",
                "--threads",
                "1",
                "--out",
                out.toString()));
    a.addAll(List.of(extra));
    return a.toArray(new String[0]);
  }

  /** Log-softmax in float64 over every id but MASK (the AR scorer's convention), independently. */
  private static double logProb(Logits lg, int l, int mask, int target) {
    int v = lg.vocab();
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < v; i++) {
      if (i != mask) {
        max = Math.max(max, lg.get(0, l, i));
      }
    }
    double sum = 0;
    for (int i = 0; i < v; i++) {
      if (i != mask) {
        sum += Math.exp(lg.get(0, l, i) - max);
      }
    }
    return lg.get(0, l, target) - max - Math.log(sum);
  }

  private static ReferenceDit reference(long seed, Tokenizer tok) {
    DitConfig cfg = new DitConfig(tok.vocabSize(), 16, 1, 2, 8, TinyExports.attention("ar"), 0.0);
    return new ReferenceDit(DitInit.random(cfg, seed, 0.3));
  }

  /**
   * Σ −log p(row[j] | row[max(0, j − 16) .. j)) over j in [from, row.length): every token scored
   * from up to 16 − 1 tokens before it, one forward per token.
   */
  private static double slidingNll(ReferenceDit dit, int[] row, int from, int mask) {
    double nll = 0;
    for (int j = from; j < row.length; j++) {
      int s = Math.max(0, j - 15);
      int[] ctx = Arrays.copyOfRange(row, s, j);
      Logits lg = dit.forward(new TokenBatch(ctx, 1, ctx.length), null);
      nll -= logProb(lg, ctx.length - 1, mask, row[j]);
    }
    return nll;
  }

  @Test
  void arNumbersMatchTheFloat64ReferenceAndEveryFamilyContinuesPrompts() throws Exception {
    Path out = tmp.resolve("run");
    int rc =
        cli.run(
            args(
                out,
                "--model",
                ar.toString(),
                "--model",
                mdlm + "," + duo + "," + esolm,
                "--steps",
                "2,4"));
    assertEquals(0, rc, cli.err());
    JsonNode j = new ObjectMapper().readTree(out.resolve("prompt-eval.json").toFile());
    assertEquals(4, j.get("models").size());
    JsonNode a = j.at("/models/0");
    assertEquals("ar", a.get("family").asText());
    assertEquals(1, a.get("points").size()); // AR: one setting, C draws
    JsonNode m = j.at("/models/1");
    assertEquals("mdlm", m.get("family").asText());
    assertEquals(2, m.get("points").size());

    Tokenizer tok = Tokenizers.create("char", VOCAB);
    int mask = tok.specials().mask();
    int bos = tok.specials().bos();
    int[] ids = tok.encode(TEXT.repeat(20));
    ReferenceDit judge = reference(5, tok);
    ReferenceDit model = reference(4, tok);
    double trueNll = 0;
    double condNelbo = 0;
    for (int w = 0; w < 3; w++) {
      int[] window = Arrays.copyOfRange(ids, 16 * w, 16 * w + 16);
      // scorer: BOS + 6 prompt + 10 continuation = 17 tokens > its context 16
      int[] row = new int[17];
      row[0] = bos;
      System.arraycopy(window, 0, row, 1, 16);
      trueNll += slidingNll(judge, row, 7, mask);
      // the model's own conditional NLL: positions 6..15 of the window given 0..5
      Logits lg = model.forward(new TokenBatch(window, 1, 16), null);
      for (int l = 5; l < 15; l++) {
        condNelbo -= logProb(lg, l, mask, window[l + 1]);
      }
    }
    JsonNode t = a.at("/true_continuation/gen_ppl_given_prompt");
    assertEquals(30, t.get("scored_tokens").asLong());
    assertEquals(trueNll / 30, t.get("nats_per_token").asDouble(), 1e-4);
    assertEquals(6, t.get("windows").asInt()); // two windows per row at context 16
    JsonNode n = a.get("conditional_nelbo_true_continuation");
    assertEquals(30, n.get("tokens").asLong());
    assertEquals(condNelbo / 30, n.get("nats_per_token").asDouble(), 1e-4);
    // the same windows for MDLM: the true continuation's score does not depend on the model
    assertEquals(
        t.get("nats_per_token").asDouble(),
        m.at("/true_continuation/gen_ppl_given_prompt/nats_per_token").asDouble(),
        1e-12);
    assertEquals(30, m.at("/conditional_nelbo_true_continuation/tokens").asLong());
    assertTrue(m.at("/conditional_nelbo_true_continuation/nats_per_token").asDouble() > 0);

    List<JsonNode> points = new ArrayList<>();
    for (JsonNode mj : j.get("models")) {
      mj.get("points").forEach(points::add);
      if (!mj.get("family").asText().equals("ar")) {
        assertEquals(2, mj.get("points").size(), mj.get("family").asText());
        JsonNode nelbo = mj.get("conditional_nelbo_true_continuation");
        assertEquals(30, nelbo.get("tokens").asLong(), mj.get("family").asText());
        assertTrue(nelbo.get("nats_per_token").asDouble() > 0, mj.get("family").asText());
      }
    }
    assertEquals(7, points.size()); // AR 1 + 3 diffusion families x 2 step counts
    assertEquals("duo", j.at("/models/2/family").asText());
    assertEquals("esolm", j.at("/models/3/family").asText());
    for (JsonNode pt : points) {
      JsonNode c = pt.get("conditional");
      assertEquals(3, c.get("prompts_returned_verbatim").asInt(), pt.toString());
      // C per row, minus any PAD a random tiny model draws (gen PPL never scores PAD or MASK)
      long scored = c.at("/gen_ppl_given_prompt/scored_tokens").asLong();
      assertTrue(scored > 20 && scored <= 30, pt.toString());
      assertTrue(c.at("/gen_ppl_given_prompt/ppl").asDouble() > 1);
      assertEquals(10, c.get("generated_tokens_per_row").asInt());
      assertTrue(c.get("tokens_per_second").asDouble() > 0);
      JsonNode u = pt.get("unconditional");
      long uscored = u.at("/gen_ppl_given_prompt/scored_tokens").asLong();
      assertTrue(uscored > 20 && uscored <= 30, pt.toString());
      assertTrue(u.at("/gen_ppl_given_nothing/scored_tokens").asLong() > 30, pt.toString());
      assertTrue(pt.has("prompt_helps"));
    }
    assertEquals(2, m.at("/points/0/steps").asInt());
    assertEquals(4, m.at("/points/1/steps").asInt());
    assertEquals(10, a.at("/points/0/steps").asInt());
    assertTrue(cli.out().contains("PPL cond|prompt"), cli.out());
  }

  @Test
  void badInputIsOneLineExitTwoAndWritesNothing() throws Exception {
    Path out = tmp.resolve("bad");
    String[][] cases = {
      args(out), // no --model
      args(out, "--model", ar.toString(), "--new-tokens", "11"), // 6 + 11 > L 16
      args(out, "--model", ar.toString(), "--model", ar.toString()), // twice
      args(out, "--model", scorer.toString()), // the scorer judged by itself
      args(out, "--model", ar.toString(), "--windows", "28"), // 440 tokens = 27 windows
      args(out, "--model", mdlm.toString(), "--steps", "2,2"),
      args(out, "--model", mdlm.toString(), "--steps", "0"),
      args(out, "--model", ar.toString(), "--prompt-tokens", "0"),
      args(out, "--model", ar.toString(), "--prompt-tokens", "2147483647"),
      args(out, "--model", tmp.resolve("missing").toString()),
    };
    for (String[] c : cases) {
      assertEquals(2, cli.run(c), String.join(" ", c) + "\n" + cli.err());
      assertEquals(1, cli.err().strip().lines().count(), cli.err());
      assertFalse(Files.exists(out.resolve("prompt-eval.json")), String.join(" ", c));
    }
    Files.createDirectories(out);
    Files.writeString(out.resolve("prompt-eval.json"), "{}");
    assertEquals(2, cli.run(args(out, "--model", ar.toString())));
    assertTrue(cli.err().contains("--overwrite"), cli.err());
    assertEquals("{}", Files.readString(out.resolve("prompt-eval.json")));
  }
}
