package dev.dllm.cli.bench;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitPresets;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.cli.CliOptions;
import dev.dllm.cli.Command;
import dev.dllm.cli.SpinningOption;
import dev.dllm.cli.ThreadsOption;
import dev.dllm.eval.EvalFiles;
import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.trainer.checkpoint.Checkpoint;
import dev.dllm.trainer.model.DitInit;
import dev.dllm.trainer.model.DitModel;
import dev.dllm.trainer.model.DjlDenoiser;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code dllm bench-sample}: sampling speed of the ONNX Runtime path against DJL eager on the same
 * weights, printed side by side and written as JSON.
 *
 * <ol>
 *   <li>denoiser calls {@code [B, L]} (tokens/s = B·L / seconds per call), ORT vs DJL;
 *   <li>family sampling throughput (generated tokens/s), ORT vs DJL, same batch and steps;
 *   <li>the causal family (AR) with the KV-cache decode graph vs re-running the full causal forward
 *       (ORT), at L = 256;
 *   <li>the default family's ({@link BenchDefaults#FAMILY}, MDLM) cache-skip ({@code
 *       ancestral_cache}) vs plain {@code ancestral} at T = L: NFE and wall time.
 * </ol>
 *
 * <p>The comparisons of sampler variants run alone ({@link SpeedComparisons}): {@code --sections
 * compare} over {@code --variant}s on any exports, and each {@link
 * dev.dllm.api.bench.SpeedComparison} a family contributes ({@code duo}: Duo vs MDLM on two
 * exports; {@code esolm}: Eso-LM with and without its KV cache vs MDLM at T = L).
 *
 * <p>Weights come from {@code --checkpoint} or are random (non-zero) at {@code --preset} with the
 * byte tokenizer.
 */
public final class BenchSampleCommand implements Command {
  /** The sections that share one set of weights (the others run alone). */
  private static final List<String> SECTIONS =
      List.of("calls", "ceiling", "sampling", "ar", "skip", "concurrency", "openclose");

  private final SpeedComparisons comparisons = new SpeedComparisons(SECTIONS);

  @Override
  public String name() {
    return "bench-sample";
  }

  @Override
  public String summary() {
    return "benchmark ONNX Runtime vs DJL sampling, AR KV cache, MDLM cache-skip, sampler variants"
        + " side by side: "
        + String.join(", ", comparisons.names())
        + " (JSON report)";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(CliOptions.opt("checkpoint", "DIR", "checkpoint (default: random weights)"));
    o.addOption(CliOptions.opt("preset", "NAME", "model preset for random weights (xs)"));
    o.addOption(
        CliOptions.opt(
            "length",
            "L",
            "sequence length (default 128; sections on exports such as compare and duo: the"
                + " shortest training length of the exports)"));
    o.addOption(CliOptions.opt("batch", "B", "batch (default 8)"));
    o.addOption(CliOptions.opt("steps", "T", "diffusion steps for ORT vs DJL (default 32)"));
    o.addOption(CliOptions.opt("ar-length", "L", "length of the AR KV-cache test (256)"));
    o.addOption(CliOptions.opt("repeats", "R", "timed denoiser calls (default 5)"));
    o.addOption(ThreadsOption.option(ThreadsOption.Engine.ORT, "0"));
    o.addOption(CliOptions.opt("out", "FILE", "JSON report (default bench-sample.json)"));
    o.addOption(
        CliOptions.opt(
            "sections",
            "LIST",
            "comma list of "
                + String.join(",", SECTIONS)
                + ", or "
                + String.join(" or ", comparisons.names())
                + " alone (default: calls,sampling,ar,skip)"));
    o.addOption(
        CliOptions.opt(
            "concurrency", "LIST", "concurrent samplers on one model (default 1,2,4,8)"));
    o.addOption(CliOptions.opt("tasks", "W", "sampling tasks per concurrency run (default 8)"));
    o.addOption(CliOptions.opt("cycles", "N", "open+forward+close cycles (default 200)"));
    o.addOption(
        CliOptions.opt(
            "opt-level",
            "LEVEL",
            "ONNX Runtime graph optimisation: "
                + String.join("|", OrtConfig.OPT_LEVELS)
                + " (default "
                + OrtConfig.DEFAULT_OPT_LEVEL
                + ")"));
    o.addOption(SpinningOption.option());
    CeilingSection.addOptions(o);
    comparisons.addOptions(o);
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    int length = CliOptions.intOpt(cmd, "length", 128, 2);
    int batch = CliOptions.intOpt(cmd, "batch", 8, 1);
    int steps = CliOptions.intOpt(cmd, "steps", 32, 1);
    int arLength = CliOptions.intOpt(cmd, "ar-length", 256, 2);
    int repeats = CliOptions.intOpt(cmd, "repeats", 5, 1);
    OrtConfig ort =
        SpinningOption.apply(
            cmd,
            new OrtConfig(
                "cpu",
                ThreadsOption.parse(cmd, 0, 0),
                cmd.getOptionValue("opt-level", OrtConfig.DEFAULT_OPT_LEVEL)));
    Path outFile = Path.of(cmd.getOptionValue("out", "bench-sample.json")).toAbsolutePath();
    String sectionList = cmd.getOptionValue("sections", "calls,sampling,ar,skip");
    java.util.Set<String> sections = new java.util.HashSet<>(List.of(sectionList.split(",")));
    List<String> alone = comparisons.names();
    if (sections.size() == 1 && alone.containsAll(sections)) {
      return comparisons.command(sections.iterator().next(), cmd, out, ort, outFile);
    }
    if (!SECTIONS.containsAll(sections)) {
      throw new InvalidInputException(
          "--sections takes a comma list of calls, ceiling, sampling, ar, skip, concurrency, openclose, or "
              + String.join(" or ", alone)
              + " alone; got '"
              + sectionList
              + "'");
    }
    FamilyRegistry registry = FamilyRegistry.load();
    DitWeights weights;
    String familyName;
    Tokenizer tok;
    if (cmd.hasOption("checkpoint")) {
      Checkpoint.Loaded ck = Checkpoint.load(Path.of(cmd.getOptionValue("checkpoint")));
      weights = ck.weights();
      familyName = ck.family();
      tok = ck.tokenizer();
    } else {
      tok = Tokenizers.create("byte", null);
      familyName = BenchDefaults.FAMILY;
      DitConfig cfg =
          DitPresets.preset(
              cmd.getOptionValue("preset", "xs"),
              tok.vocabSize(),
              registry.get(familyName).backbone().attention());
      weights = DitInit.random(cfg, 1, 0.1);
    }
    DiffusionFamily family = registry.get(familyName);
    if (weights.config().attention() == BackboneSpec.Attention.SORTED_CAUSAL) {
      throw new InvalidInputException("bench-sample does not support sorted-causal models yet");
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("family", familyName);
    report.put("model", ExportMetadata.modelMap(weights.config()));
    report.put("batch", batch);
    report.put("length", length);
    report.put("steps", steps);
    report.put("threads", ort.threads());
    report.put("opt_level", ort.optLevel());
    report.put("spinning", ort.spinning());
    report.put("cpus", Runtime.getRuntime().availableProcessors());

    Path tmp = Files.createTempDirectory("dllm-bench");
    try (NDManager manager = NDManager.newBaseManager()) {
      SpecialTokens sp = tok.specials();
      try (OnnxModel onnx =
              SampleRuns.export(weights, familyName, tok, length, tmp.resolve("main"), ort);
          DjlDenoiser djl = new DjlDenoiser(DitModel.fromWeights(manager, weights), true)) {
        // 1. denoiser calls
        SplittableRandom r = new SplittableRandom(1);
        int[] ids = new int[batch * length];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = r.nextInt(weights.config().vocabSize());
        }
        TokenBatch tb = new TokenBatch(ids, batch, length);
        float[] sigma = new float[batch];
        java.util.Arrays.fill(sigma, 0.5f);
        if (sections.contains("calls")) {
          double ortCall =
              RuntimeBench.timeCalls(() -> onnx.denoiser().forward(tb, sigma), repeats);
          double djlCall = RuntimeBench.timeCalls(() -> djl.forward(tb, sigma), repeats);
          Map<String, Object> calls = new LinkedHashMap<>();
          calls.put("onnx_seconds_per_call", ortCall);
          calls.put("djl_seconds_per_call", djlCall);
          calls.put("onnx_tokens_per_second", batch * length / ortCall);
          calls.put("djl_tokens_per_second", batch * length / djlCall);
          calls.put("speedup", djlCall / ortCall);
          report.put("denoiser_calls", calls);
          out.printf(
              "denoiser [%d, %d]: ORT %.1f ms (%.0f tok/s) | DJL %.1f ms (%.0f tok/s) | x%.2f%n",
              batch,
              length,
              ortCall * 1e3,
              batch * length / ortCall,
              djlCall * 1e3,
              batch * length / djlCall,
              djlCall / ortCall);
        }

        if (sections.contains("ceiling")) {
          report.put(
              "gemm_ceiling",
              CeilingSection.run(
                  cmd,
                  weights.config(),
                  batch,
                  length,
                  repeats,
                  tmp.resolve("ceiling"),
                  ort,
                  out,
                  tb,
                  sigma,
                  () -> onnx.denoiser().forward(tb, sigma)));
        }

        // 2. sampling throughput, same sampler, same seed
        if (sections.contains("sampling")) {
          SamplerSpec spec = new SamplerSpec(steps, 1.0, Map.of());
          SampleRuns.Run ortRun =
              SampleRuns.sampleRun(family, spec, onnx.denoiser(), batch, length, sp);
          SampleRuns.Run djlRun = SampleRuns.sampleRun(family, spec, djl, batch, length, sp);
          Map<String, Object> sampling = new LinkedHashMap<>();
          sampling.put("onnx", ortRun.toMap(batch, length));
          sampling.put("djl", djlRun.toMap(batch, length));
          sampling.put("speedup", djlRun.seconds() / ortRun.seconds());
          report.put("sampling", sampling);
          out.printf(
              "sampling %s T=%d: ORT %.2f s (%.0f tok/s, NFE %d) | DJL %.2f s (%.0f tok/s, NFE %d)"
                  + " | x%.2f%n",
              familyName,
              steps,
              ortRun.seconds(),
              ortRun.tokens() / ortRun.seconds(),
              ortRun.nfe(),
              djlRun.seconds(),
              djlRun.tokens() / djlRun.seconds(),
              djlRun.nfe(),
              djlRun.seconds() / ortRun.seconds());
        }
      }

      // 5. concurrent samplers on one model vs serial, small batches (issue 11 §2)
      if (sections.contains("concurrency")) {
        try (OnnxModel m = OnnxModel.open(tmp.resolve("main"), ort)) {
          report.put(
              "concurrency",
              RuntimeBench.concurrency(
                  family,
                  m,
                  sp,
                  length,
                  steps,
                  CliOptions.intOpt(cmd, "tasks", 8, 1),
                  RuntimeBench.intList(cmd.getOptionValue("concurrency", "1,2,4,8"), "concurrency"),
                  new int[] {1, 2},
                  out));
        }
      }
      // 6. native memory over open + forward + close cycles (issue 11 §3)
      if (sections.contains("openclose")) {
        report.put(
            "open_close",
            RuntimeBench.openClose(
                tmp.resolve("main"), ort, CliOptions.intOpt(cmd, "cycles", 200, 1), out));
      }

      // 3. AR: KV cache vs full forward per token (ORT)
      // the causal family (AR) with and without its KV cache
      DiffusionFamily ar =
          registry.names().stream()
              .map(registry::get)
              .filter(f -> f.backbone().attention() == BackboneSpec.Attention.CAUSAL)
              .findFirst()
              .orElse(null);
      if (sections.contains("ar") && ar != null) {
        DitWeights arW =
            weights.config().attention() == BackboneSpec.Attention.CAUSAL
                ? weights
                : DitInit.random(
                    weights.config().withAttention(BackboneSpec.Attention.CAUSAL), 2, 0.1);
        try (OnnxModel m =
            SampleRuns.export(arW, ar.name(), tok, arLength, tmp.resolve("ar"), ort)) {
          SampleRuns.Run cached =
              SampleRuns.sampleRun(
                  ar,
                  new SamplerSpec(1, 1.0, Map.of("kv_cache", "true")),
                  m.denoiser(),
                  batch,
                  arLength,
                  sp);
          SampleRuns.Run plain =
              SampleRuns.sampleRun(
                  ar,
                  new SamplerSpec(1, 1.0, Map.of("kv_cache", "false")),
                  m.denoiser(),
                  batch,
                  arLength,
                  sp);
          Map<String, Object> kv = new LinkedHashMap<>();
          kv.put("length", arLength);
          kv.put("kv_cache", cached.toMap(batch, arLength));
          kv.put("no_cache", plain.toMap(batch, arLength));
          kv.put("speedup", plain.seconds() / cached.seconds());
          report.put("ar_kv_cache", kv);
          out.printf(
              "AR L=%d: KV cache %.2f s | full forward %.2f s | x%.1f%n",
              arLength, cached.seconds(), plain.seconds(), plain.seconds() / cached.seconds());
        }
      }

      // 4. MDLM cache-skip vs plain ancestral at T = L
      if (sections.contains("skip")
          && registry.names().contains(BenchDefaults.FAMILY)
          && weights.config().attention() == BackboneSpec.Attention.BIDIRECTIONAL) {
        DiffusionFamily mdlm = registry.get(BenchDefaults.FAMILY); // its cache-skip predictor
        try (OnnxModel m =
            SampleRuns.export(weights, mdlm.name(), tok, length, tmp.resolve("mdlm"), ort)) {
          Map<String, Object> cs = new LinkedHashMap<>();
          cs.put("steps", length);
          // the skip is decided per batch (no row changed), so it pays off mostly at small B
          for (int b : new int[] {batch, 1}) {
            SampleRuns.Run plain =
                SampleRuns.sampleRun(
                    mdlm,
                    new SamplerSpec(length, 1.0, Map.of("predictor", "ancestral")),
                    m.denoiser(),
                    b,
                    length,
                    sp);
            SampleRuns.Run skip =
                SampleRuns.sampleRun(
                    mdlm,
                    new SamplerSpec(length, 1.0, Map.of("predictor", "ancestral_cache")),
                    m.denoiser(),
                    b,
                    length,
                    sp);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("ancestral", plain.toMap(b, length));
            row.put("ancestral_cache", skip.toMap(b, length));
            row.put("speedup", plain.seconds() / skip.seconds());
            cs.put("batch_" + b, row);
            out.printf(
                "MDLM T=L=%d, B=%d: ancestral NFE %d, %.2f s | ancestral_cache NFE %d, %.2f s |"
                    + " x%.2f%n",
                length,
                b,
                plain.nfe(),
                plain.seconds(),
                skip.nfe(),
                skip.seconds(),
                plain.seconds() / skip.seconds());
            if (b == 1) {
              break;
            }
          }
          report.put("mdlm_cache_skip", cs);
        }
      }
    } finally {
      SampleRuns.deleteTree(tmp);
    }
    Files.createDirectories(outFile.getParent());
    EvalFiles.writeString(
        outFile,
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report)
            + "\n");
    out.println("-> " + outFile);
    return 0;
  }
}
