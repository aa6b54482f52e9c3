package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.model.BackboneSpec.Attention;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.progress.Progress;
import dev.dllm.api.progress.ProgressReporter;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.data.corpus.BlockMode;
import dev.dllm.eval.run.EvalRun;
import dev.dllm.eval.run.ParetoRun;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.DitInit;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eval} and {@code pareto} show the progress of their long phases (issue 19 item 4): the
 * likelihood pass in rows, sampling in samples and gen-PPL scoring in chunks, each phase advanced
 * through exactly the units the report counts.
 */
class EvalProgressTest {
  @TempDir static Path tmp;
  static Path mdlm;
  static Path scorer;
  static Path text;

  /** A started phase as the recorder saw it. */
  record Phase(String name, long total, String unit, long[] done, boolean[] closed) {}

  private final List<Phase> phases = new ArrayList<>();
  private final ProgressReporter recorder =
      (name, total, unit) -> {
        Phase p = new Phase(name, total, unit, new long[1], new boolean[1]);
        phases.add(p);
        return new Progress() {
          @Override
          public void advance(long units) {
            p.done()[0] += units;
          }

          @Override
          public void close() {
            p.closed()[0] = true;
          }
        };
      };

  private static Path export(String family, Attention a, long seed) throws Exception {
    Tokenizer tok = Tokenizers.create("char", "abcdefgh ijklmnop.");
    DitConfig cfg = new DitConfig(tok.vocabSize(), 16, 1, 2, 8, a, 0.0);
    Path ck = tmp.resolve("ck-" + family + seed);
    Checkpoint.save(
        ck,
        DitInit.random(cfg, seed, 0.3),
        Map.of(),
        Map.of("steps", 7, "tokens", 1792, "seq_len", 16, "val_nll", 2.5),
        tok,
        family);
    Path ex = tmp.resolve("ex-" + family + seed);
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    assertEquals(
        0,
        Main.run(
            new String[] {"export", "--checkpoint", ck.toString(), "--out", ex.toString()},
            quiet,
            quiet));
    return ex;
  }

  @BeforeAll
  static void exports() throws Exception {
    mdlm = export("mdlm", Attention.BIDIRECTIONAL, 3);
    scorer = export("ar", Attention.CAUSAL, 5);
    text = Files.writeString(tmp.resolve("text.txt"), "abc def ghij klm nop. ".repeat(20));
  }

  private Phase phase(String name) {
    return phases.stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
  }

  private static void assertComplete(Phase p, long units, String unit) {
    assertEquals(units, p.total(), p.name());
    assertEquals(units, p.done()[0], p.name());
    assertEquals(unit, p.unit(), p.name());
    assertTrue(p.closed()[0], p.name() + " not closed");
  }

  @Test
  void evalShowsLikelihoodSamplingAndGenPplProgress() throws Exception {
    EvalRun.Options o =
        new EvalRun.Options(
            mdlm,
            text,
            scorer,
            5,
            4,
            2,
            7,
            0,
            BlockMode.PACK,
            "none",
            Map.of(),
            1.0,
            OrtConfig.defaults().withThreads(1));
    EvalRun.Report r = EvalRun.run(o, null, null, recorder);
    assertEquals(
        List.of("val NELBO", "sampling", "gen PPL"), phases.stream().map(Phase::name).toList());
    Map<?, ?> lik = (Map<?, ?>) r.json().get("likelihood");
    assertComplete(phase("val NELBO"), ((Number) lik.get("rows")).longValue(), "rows");
    assertComplete(phase("sampling"), 5, "samples");
    Map<?, ?> g = (Map<?, ?>) r.json().get("gen_ppl");
    assertComplete(phase("gen PPL"), ((Number) g.get("chunks")).longValue(), "chunks");
  }

  @Test
  void paretoShowsEachPointsSamplingAndScoring() throws Exception {
    ParetoRun.Options o =
        new ParetoRun.Options(
            List.of(mdlm),
            List.of(2, 4),
            List.of(),
            scorer,
            3,
            2,
            7,
            1.0,
            text,
            OrtConfig.defaults().withThreads(1));
    ParetoRun.run(o, tmp.resolve("pareto"), null, recorder);
    assertEquals(
        List.of("sampling mdlm default T=2", "gen PPL", "sampling mdlm default T=4", "gen PPL"),
        phases.stream().map(Phase::name).toList());
    for (Phase p : phases) {
      if (p.name().startsWith("sampling")) {
        assertComplete(p, 3, "samples");
      } else {
        assertEquals(p.total(), p.done()[0], p.name());
        assertTrue(p.total() >= 3 && p.closed()[0], p.name()); // a chunk per sample at least
      }
    }
  }
}
