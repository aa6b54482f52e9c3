package dev.dllm.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.metrics.SampleEntropy;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.cli.Main;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dllm bench-sample --sections duo} on tiny random Duo and MDLM exports. */
class DuoBenchCommandTest {
  private static final int B = 2;
  private static final int L = 12;
  private static final int RUNS = 2;
  private static final long SEED = 7;

  @TempDir static Path exports;
  private static Path duo;
  private static Path mdlm;
  @TempDir Path tmp;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return BenchExports.run(out, err, args);
  }

  @BeforeAll
  static void writeExports() throws Exception {
    duo = BenchExports.export(exports, "duo", 3, L);
    mdlm = BenchExports.export(exports, "mdlm", 4, L);
  }

  @Test
  void reportHasEveryNumberAndTheSplitAddsUpToTheStep() throws Exception {
    Path report = tmp.resolve("bench.json");
    assertEquals(
        0,
        run(
            "bench-sample",
            "--sections",
            "duo",
            "--duo-model",
            duo.toString(),
            "--mdlm-model",
            mdlm.toString(),
            "--duo-steps",
            "2,3",
            "--length",
            String.valueOf(L),
            "--batch",
            String.valueOf(B),
            "--runs",
            String.valueOf(RUNS),
            "--seed",
            String.valueOf(SEED),
            "--threads",
            "1",
            "--out",
            report.toString()),
        err.toString(StandardCharsets.UTF_8));
    String printed = out.toString(StandardCharsets.UTF_8);
    assertTrue(printed.contains("Duo ancestral") && printed.contains("Duo posterior"), printed);
    JsonNode r = new ObjectMapper().readTree(report.toFile());
    assertEquals("duo", r.get("section").asText());
    assertEquals(B, r.get("batch").asInt());
    assertEquals(L, r.get("length").asInt());
    assertEquals(RUNS, r.get("runs").asInt());
    assertEquals(2, r.get("rows").size());
    double worst = 0;
    int[] steps = {2, 3};
    for (int i = 0; i < steps.length; i++) {
      JsonNode row = r.get("rows").get(i);
      int t = steps[i];
      assertEquals(t, row.get("steps").asInt());
      for (String method : new String[] {"duo_ancestral", "duo_greedy_tail", "mdlm"}) {
        JsonNode m = row.get(method);
        String what = "T=" + t + " " + method;
        assertEquals((t + 1) * RUNS, m.get("nfe").asInt(), what + ": NFE = T + 1 per run");
        double seconds = m.get("seconds").asDouble();
        assertTrue(seconds > 0, what);
        assertEquals(
            B * L * RUNS / seconds, m.get("tokens_per_second").asDouble(), 1e-9 * B * L / seconds);
        assertEquals(seconds * 1e3 / m.get("nfe").asInt(), m.get("ms_per_step").asDouble(), 1e-9);
        double h = m.get("entropy_mean").asDouble();
        assertTrue(h > 0 && h <= Math.log(L) + 1e-12, what + " entropy " + h);
        assertEquals(method.equals("mdlm"), m.get("time_split") == null, what);
      }
      assertEquals(
          row.get("duo_ancestral").get("tokens_per_second").asDouble()
              / row.get("mdlm").get("tokens_per_second").asDouble(),
          row.get("duo_ancestral_vs_mdlm_speed").asDouble(),
          1e-9);
      for (String method : new String[] {"duo_ancestral", "duo_greedy_tail"}) {
        JsonNode m = row.get(method);
        JsonNode s = m.get("time_split");
        String what = "T=" + t + " " + method;
        double step = s.get("step_ms").asDouble();
        double network = s.get("network_ms").asDouble();
        double posterior = s.get("posterior_ms").asDouble();
        double other = s.get("other_ms").asDouble();
        assertTrue(network > 0 && posterior > 0 && other >= 0, what + " " + s);
        assertEquals(step, network + posterior + other, 1e-9 * step, what);
        assertEquals(
            1.0,
            s.get("network_share").asDouble()
                + s.get("posterior_share").asDouble()
                + s.get("other_share").asDouble(),
            1e-9,
            what);
        assertEquals(posterior / step, s.get("posterior_share").asDouble(), 1e-9, what);
        // the steps measured inside the sampler account for (almost) all of its wall time
        double wallMs = m.get("seconds").asDouble() * 1e3;
        double stepsMs = step * m.get("nfe").asInt();
        assertTrue(stepsMs <= wallMs * (1 + 1e-9), what + ": steps " + stepsMs + " > " + wallMs);
        assertTrue(stepsMs >= 0.5 * wallMs, what + ": steps " + stepsMs + " of " + wallMs);
        assertEquals((wallMs - stepsMs) / RUNS, s.get("outside_steps_ms_per_run").asDouble(), 1e-6);
        worst = Math.max(worst, s.get("posterior_share").asDouble());
      }
    }
    assertEquals(worst, r.get("posterior_share_max").asDouble(), 0);
    assertEquals(0.10, r.get("posterior_bar").asDouble(), 0);
    assertEquals(worst < 0.10, r.get("posterior_under_bar").asBoolean());
    // entropy: the same seeds drawn here give the reported mean (runs use seed, seed + 1, ...)
    try (OnnxModel m = OnnxModel.open(duo, OrtConfig.defaults())) {
      double sum = 0;
      for (int run = 0; run < RUNS; run++) {
        SampleBatch s =
            m.family()
                .newSampler(new SamplerSpec(3, 1.0, Map.of("greedy_tail", "true")))
                .sample(m.denoiser(), B, L, m.metadata().specials(), new Rng(SEED + run));
        for (int b = 0; b < B; b++) {
          sum += SampleEntropy.of(s.tokens().ids(), b * L, L);
        }
      }
      assertEquals(
          sum / (B * RUNS),
          r.get("rows").get(1).get("duo_greedy_tail").get("entropy_mean").asDouble(),
          1e-12);
    }
  }

  @Test
  void badInputExitsTwoAndWritesNothing() {
    Path report = tmp.resolve("bad.json");
    String[][] cases = {
      {"--sections", "duo", "--duo-model", duo.toString()},
      {"--sections", "duo", "--duo-model", mdlm.toString(), "--mdlm-model", mdlm.toString()},
      {"--sections", "duo", "--duo-model", duo.toString(), "--mdlm-model", duo.toString()},
      {"--sections", "duo,calls", "--duo-model", duo.toString(), "--mdlm-model", mdlm.toString()},
      {
        "--sections",
        "duo",
        "--duo-model",
        duo.toString(),
        "--mdlm-model",
        mdlm.toString(),
        "--duo-steps",
        "8,x"
      },
    };
    String[] expected = {
      "--mdlm-model", "expected a duo export", "expected a mdlm export", "alone", "--duo-steps"
    };
    for (int i = 0; i < cases.length; i++) {
      err.reset();
      String[] args = new String[cases[i].length + 3];
      args[0] = "bench-sample";
      System.arraycopy(cases[i], 0, args, 1, cases[i].length);
      args[args.length - 2] = "--out";
      args[args.length - 1] = report.toString();
      assertEquals(Main.EXIT_BAD_INPUT, run(args), String.join(" ", args));
      String msg = err.toString(StandardCharsets.UTF_8);
      assertTrue(msg.contains(expected[i]), msg);
      assertFalse(Files.exists(report));
    }
  }
}
