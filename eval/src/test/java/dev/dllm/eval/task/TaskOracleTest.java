package dev.dllm.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.AttentionLayout;
import dev.dllm.api.Denoiser;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.Logits;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.CharTokenizer;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.runtime.onnx.PromptBos;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole generate → cut → extract → compare path of {@link TaskRunner} for every registered
 * family with an oracle denoiser: one that always predicts item i's gold completion (then EOS)
 * scores 100%; one that predicts item i + 1's gold scores about the chance rate.
 */
class TaskOracleTest {
  private static final int BLOCK = 400;
  private static final int NEW_TOKENS = 200;

  /**
   * Predicts, at every position, the token of {@code prompt_i + completion_j + EOS...} where i is
   * the item whose prompt the row holds (found from the given positions) and j = i + shift: at the
   * position itself for a bidirectional or sorted-causal family, at the next position for a causal
   * one (position l predicts token l + 1).
   */
  static final class Oracle implements Denoiser {
    private final List<int[]> prompts;
    private final List<int[]> targets;
    private final int vocab;
    private final SpecialTokens sp;
    private final boolean causal;

    Oracle(List<int[]> prompts, List<int[]> completions, int shift, Tokenizer tok, boolean causal) {
      this.prompts = prompts;
      this.vocab = tok.vocabSize();
      this.sp = tok.specials();
      this.causal = causal;
      this.targets = new ArrayList<>();
      for (int i = 0; i < prompts.size(); i++) {
        int[] p = prompts.get(i);
        int[] c = completions.get((i + shift) % prompts.size());
        int[] t = Arrays.copyOf(p, p.length + c.length);
        System.arraycopy(c, 0, t, p.length, c.length);
        targets.add(t);
      }
    }

    @Override
    public int vocabSize() {
      return vocab;
    }

    @Override
    public Logits forward(TokenBatch tokens, float[] sigma) {
      int[] pos = new int[tokens.batch() * tokens.length()];
      for (int i = 0; i < pos.length; i++) {
        pos[i] = i % tokens.length();
      }
      return forward(
          tokens, sigma, AttentionLayout.sortedCausal(pos, tokens.batch(), tokens.length()));
    }

    @Override
    public Logits forward(TokenBatch tokens, float[] sigma, AttentionLayout layout) {
      int b = tokens.batch();
      int n = tokens.length();
      float[] out = new float[b * n * vocab];
      for (int r = 0; r < b; r++) {
        int[] row = new int[BLOCK + NEW_TOKENS + 64];
        Arrays.fill(row, -1);
        for (int q = 0; q < n; q++) {
          row[layout.position(r, q)] = tokens.get(r, q);
        }
        int[] target = target(row);
        for (int q = 0; q < n; q++) {
          int at = layout.position(r, q) + (causal ? 1 : 0);
          int id = target == null ? 0 : at < target.length ? target[at] : sp.eos();
          int o = (r * n + q) * vocab;
          if (sp.mask() >= 0) {
            out[o + sp.mask()] = -30f;
          }
          out[o + id] = 30f;
        }
      }
      return new Logits(out, b, n, vocab);
    }

    /** The target of the item whose prompt the row holds (the longest that matches), or null. */
    private int[] target(int[] row) {
      int best = -1;
      for (int i = 0; i < prompts.size(); i++) {
        int[] p = prompts.get(i);
        boolean ok = true;
        for (int l = 0; l < p.length && ok; l++) {
          ok = row[l] == p[l];
        }
        if (ok && (best < 0 || p.length > prompts.get(best).length)) {
          best = i;
        }
      }
      return best < 0 ? null : targets.get(best);
    }

    @Override
    public boolean supportsLayout() {
      return true;
    }
  }

  private static TaskRunner.Result run(String family, int shift, int batch) {
    return run(family, shift, batch, false);
  }

  /**
   * @param wrap whether the run puts the tokenizer's BOS before every prompt (an export trained in
   *     wrap mode): the oracle then knows the prompts with the BOS at position 0
   */
  private static TaskRunner.Result run(String family, int shift, int batch, boolean wrap) {
    List<TaskItem> items =
        new TaskGenerator(new TaskGenerator.Settings(3, 2, 500)).generate(0, 40).test();
    PromptTemplate template = new PromptTemplate(List.of());
    StringBuilder all = new StringBuilder("Question: Answer:\n");
    for (TaskItem it : items) {
      all.append(it.question()).append(it.answer());
    }
    Tokenizer tok = CharTokenizer.fromSample(all);
    List<int[]> prompts = new ArrayList<>();
    List<int[]> completions = new ArrayList<>();
    int bos = tok.specials().bos();
    for (TaskItem it : items) {
      int[] p = tok.encode(template.prompt(it));
      prompts.add(wrap ? PromptBos.prepend(bos, p) : p);
      int[] c = tok.encode(PromptTemplate.goldCompletion(it));
      int[] ce = Arrays.copyOf(c, c.length + 1);
      ce[c.length] = tok.specials().eos();
      assertTrue(ce.length <= NEW_TOKENS, "gold completion fits N");
      completions.add(ce);
    }
    DiffusionFamily f = FamilyRegistry.load().get(family);
    boolean causal = f.backbone().attention() == BackboneSpec.Attention.CAUSAL;
    Oracle oracle = new Oracle(prompts, completions, shift, tok, causal);
    return TaskRunner.run(
        f,
        oracle,
        tok,
        tok.specials(),
        BLOCK,
        template,
        items,
        new TaskRunner.Options(new SamplerSpec(16, 1.0, Map.of()), NEW_TOKENS, batch, 5, false),
        wrap ? bos : -1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ar", "mdlm", "duo", "esolm"})
  void goldOracleScoresAHundredPercent(String family) {
    TaskRunner.Result r = run(family, 0, 8);
    assertEquals(40, r.items().size());
    for (TaskRunner.ItemResult it : r.items()) {
      assertTrue(it.strictCorrect(), family + " item " + it.index() + ": " + it.output());
      assertTrue(it.flexibleCorrect(), family + " item " + it.index());
      assertEquals("eos", it.stopReason(), family);
    }
    assertEquals(0, r.droppedCharacters());
    assertEquals(0, r.truncatedPrompts());
    assertTrue(r.nfeMean() > 0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ar", "mdlm", "duo", "esolm"})
  void otherItemsGoldScoresBelowFivePercent(String family) {
    TaskRunner.Result r = run(family, 1, 8);
    assertTrue(r.strictCorrect() < 0.05 * 40, family + " strict " + r.strictCorrect());
    assertTrue(r.flexibleCorrect() < 0.05 * 40, family + " flexible " + r.flexibleCorrect());
  }

  @ParameterizedTest
  @ValueSource(strings = {"ar", "mdlm"})
  void outputsDoNotDependOnTheBatch(String family) {
    List<TaskRunner.ItemResult> a = run(family, 0, 8).items();
    List<TaskRunner.ItemResult> b = run(family, 0, 3).items();
    for (int i = 0; i < a.size(); i++) {
      assertEquals(a.get(i).output(), b.get(i).output());
    }
  }

  /**
   * With the BOS of a wrap-trained export ({@code lead}), every row starts with BOS and then the
   * prompt, as {@code dllm sample} lays it out: the oracle, which knows the prompts only after a
   * BOS, scores 100%, and P counts the BOS.
   */
  @ParameterizedTest
  @ValueSource(strings = {"ar", "mdlm", "duo", "esolm"})
  void aWrapLeadPutsBosBeforeEveryPrompt(String family) {
    TaskRunner.Result r = run(family, 0, 8, true);
    TaskRunner.Result pack = run(family, 0, 8, false);
    assertEquals(40, r.items().size());
    for (int i = 0; i < r.items().size(); i++) {
      TaskRunner.ItemResult it = r.items().get(i);
      assertTrue(it.strictCorrect(), family + " item " + it.index() + ": " + it.output());
      assertEquals("eos", it.stopReason(), family);
      assertEquals(pack.items().get(i).promptTokens() + 1, it.promptTokens());
      assertEquals(pack.items().get(i).output(), it.output());
    }
    assertEquals(0, r.truncatedPrompts());
  }
}
