package dev.dllm.cli.bench;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.BlockCache;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.cli.CliOptions;
import dev.dllm.cli.Command;
import dev.dllm.cli.ThreadsOption;
import dev.dllm.eval.EvalFiles;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code dllm bench-block-cache}: Fast-dLLM's block KV cache (issue 20) on one bidirectional export
 * with {@code predictor=confidence}, in one run: {@code cache=none}, {@code prefix} and {@code
 * dual} timed on the same seeds, round robin (run r of every variant, then run r + 1), so that a
 * change in the machine's load falls on all three alike (NFE, generated tokens/s and its ratio to
 * none, mean sample entropy), then the cache's approximation error inside a block on a further run
 * of each cached variant ({@link BlockCacheProbe}: max |Δlogit|, KL of the full forward's
 * distribution to the cached one, top-1 agreement at the masked positions of every slice step).
 * Prints the table and writes it as JSON.
 */
public final class BenchBlockCacheCommand implements Command {
  @Override
  public String name() {
    return "bench-block-cache";
  }

  @Override
  public String summary() {
    return "confidence decoding with the block KV cache none/prefix/dual side by side: tokens/s,"
        + " ratio, NFE and the cache's logit error inside a block (JSON report)";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(
        CliOptions.req("model", "DIR", "bidirectional export (MDLM, Duo) with a block graph"));
    o.addOption(CliOptions.opt("steps", "T", "step budget (default 256)"));
    o.addOption(CliOptions.opt("block-length", "S", "block length (default 32)"));
    o.addOption(CliOptions.opt("threshold", "TAU", "confidence threshold (default 0.9)"));
    o.addOption(CliOptions.opt("batch", "B", "rows per sampler call (default 8)"));
    o.addOption(CliOptions.opt("length", "L", "row length (default: the export's seq_len)"));
    o.addOption(CliOptions.opt("runs", "R", "timed sampler calls per variant (default 1)"));
    o.addOption(CliOptions.opt("seed", "N", "seed of the first run (default 1)"));
    o.addOption(ThreadsOption.option(ThreadsOption.Engine.ORT, "0"));
    o.addOption(CliOptions.opt("out", "FILE", "JSON report (default bench-block-cache.json)"));
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    Path model = Path.of(CliOptions.required(cmd, "model"));
    int steps = CliOptions.intOpt(cmd, "steps", 256, 1);
    int block = CliOptions.intOpt(cmd, "block-length", 32, 1);
    double tau = CliOptions.doubleOpt(cmd, "threshold", 0.9);
    int batch = CliOptions.intOpt(cmd, "batch", 8, 1);
    int runs = CliOptions.intOpt(cmd, "runs", 1, 1);
    long seed = CliOptions.longOpt(cmd, "seed", 1, 0);
    Path outFile = Path.of(cmd.getOptionValue("out", "bench-block-cache.json")).toAbsolutePath();
    CliOptions.checkOutFile(outFile, "--out");
    OrtConfig ort = OrtConfig.defaults().withThreads(ThreadsOption.parse(cmd, 0, 0));
    try (OnnxModel m = OnnxModel.open(model, ort)) {
      if (m.family().backbone().attention() != BackboneSpec.Attention.BIDIRECTIONAL
          || m.denoiser().blockKvCacheDecoder().isEmpty()) {
        throw new InvalidInputException(
            "--model "
                + model
                + " has no block KV graph (a bidirectional export from dllm export is needed)");
      }
      int length = CliOptions.intOpt(cmd, "length", Math.max(2, m.metadata().seqLen()), 2);
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("model", model.toAbsolutePath().toString());
      report.put("family", m.family().name());
      report.put("steps", steps);
      report.put("block_length", block);
      report.put("threshold", tau);
      report.put("batch", batch);
      report.put("length", length);
      report.put("runs", runs);
      List<BlockCache> caches = List.of(BlockCache.NONE, BlockCache.PREFIX, BlockCache.DUAL);
      // round robin over the runs, so that a change of the machine's load hits every variant
      Map<BlockCache, SamplerTiming.Measured> timed = new LinkedHashMap<>();
      for (int r = 0; r < runs; r++) {
        for (BlockCache c : caches) {
          SamplerTiming.Measured t =
              SamplerTiming.measure(
                  m, steps, options(block, tau, c), batch, length, 1, seed + r, "update");
          timed.merge(c, t, BenchBlockCacheCommand::plus);
        }
      }
      double base = timed.get(BlockCache.NONE).tokensPerSecond();
      out.printf(
          "%-7s %6s %11s %8s %8s %11s %9s %9s %7s%n",
          "cache",
          "NFE",
          "tokens/s",
          "x none",
          "entropy",
          "max|dlogit|",
          "KL mean",
          "KL max",
          "top-1");
      for (BlockCache c : caches) {
        Map<String, String> opts = options(block, tau, c);
        SamplerTiming.Measured t = timed.get(c);
        Map<String, Object> row = new LinkedHashMap<>(t.toMap());
        double ratio = t.tokensPerSecond() / base;
        row.put("speed_vs_none", ratio);
        Map<String, Object> err = Map.of();
        if (c != BlockCache.NONE) {
          BlockCacheProbe probe =
              new BlockCacheProbe(
                  m.denoiser().blockKvCacheDecoder().orElseThrow(),
                  m.denoiser(),
                  m.metadata().specials().mask());
          m.family()
              .newSampler(new SamplerSpec(steps, 1.0, opts))
              .sample(
                  probe.wrap(m.denoiser()),
                  batch,
                  length,
                  m.metadata().specials(),
                  new Rng(seed + runs));
          err = probe.toMap();
          row.put("error_inside_block", err);
        }
        report.put(c.label(), row);
        out.printf(
            "%-7s %6d %11.1f %7.2fx %8.3f %11s %9s %9s %7s%n",
            c.label(),
            t.nfe(),
            t.tokensPerSecond(),
            ratio,
            t.entropy(),
            num(err, "max_abs_logit_diff", "%.4f"),
            num(err, "kl_mean_nats", "%.5f"),
            num(err, "kl_max_nats", "%.4f"),
            num(err, "top1_agreement", "%.4f"));
      }
      EvalFiles.writeJson(outFile, report);
      out.println("wrote " + outFile);
    }
    return 0;
  }

  static Map<String, String> options(int block, double tau, BlockCache cache) {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("predictor", "confidence");
    o.put("block_length", Integer.toString(block));
    o.put("threshold", Double.toString(tau));
    o.put(BlockCache.KEY, cache.label());
    return o;
  }

  /** The totals of two measurements of one variant (entropy: the mean over both). */
  private static SamplerTiming.Measured plus(SamplerTiming.Measured a, SamplerTiming.Measured b) {
    int runs = a.runs() + b.runs();
    return new SamplerTiming.Measured(
        runs,
        a.split(),
        a.part(),
        a.wallNanos() + b.wallNanos(),
        a.nfe() + b.nfe(),
        a.tokens() + b.tokens(),
        (a.entropy() * a.runs() + b.entropy() * b.runs()) / runs,
        a.networkNanos() + b.networkNanos(),
        a.updateNanos() + b.updateNanos(),
        a.stepNanos() + b.stepNanos());
  }

  private static String num(Map<String, Object> m, String key, String format) {
    Object v = m.get(key);
    return v == null ? "-" : String.format(format, ((Number) v).doubleValue());
  }
}
