package dev.dllm.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitPresets;
import dev.dllm.cli.CliOptions;
import dev.dllm.cli.Command;
import dev.dllm.cli.ThreadsOption;
import dev.dllm.trainer.RefDitBench;
import dev.dllm.trainer.TrainBench;
import dev.dllm.trainer.TrainSoak;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code dllm bench-train}: training throughput (full optimizer steps on random tokens) per preset
 * as tokens/s and achieved FLOP/s = 6 · N_eff · tokens/s, side by side with the float32 GEMM peak
 * measured in the same process (DJL matMul, n×n), as a ratio; plus the peak RSS (VmHWM) after the
 * largest preset. Writes the numbers as JSON. Threads: {@code --threads} (PyTorch intra-op).
 */
public final class BenchTrainCommand implements Command {
  @Override
  public String name() {
    return "bench-train";
  }

  @Override
  public String summary() {
    return "benchmark training tokens/s and FLOP/s against the machine's GEMM peak (JSON report)";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(CliOptions.opt("family", "NAME", "family whose objective is trained (mdlm)"));
    o.addOption(CliOptions.opt("presets", "LIST", "comma-separated presets (default xs,s,m)"));
    o.addOption(CliOptions.opt("seq-len", "L", "tokens per sequence (default 256)"));
    o.addOption(CliOptions.opt("batch", "B", "sequences per step (default 32)"));
    o.addOption(
        CliOptions.opt(
            "accum", "K", "micro-batches per step (default 1); bounds activation memory"));
    o.addOption(CliOptions.opt("vocab", "V", "vocabulary size incl. 4 specials (default 69)"));
    o.addOption(CliOptions.opt("warmup-steps", "N", "untimed steps per preset (default 2)"));
    o.addOption(CliOptions.opt("steps", "N", "timed steps per preset (default 5)"));
    o.addOption(ThreadsOption.option(ThreadsOption.Engine.PYTORCH, "2", 1));
    o.addOption(CliOptions.opt("gemm-n", "N", "GEMM peak matrix size (default 2048)"));
    o.addOption(CliOptions.opt("out", "FILE", "JSON report (default bench-train.json)"));
    o.addOption(
        CliOptions.opt(
            "soak",
            "N",
            "instead: N short MDLM trainings (xxs, L 128, B 32) alternating 1/2 threads, counting"
                + " non-finite stops; run with DLLM_JAVA_OPTS=-Xmx256m"));
    o.addOption(CliOptions.opt("soak-steps", "N", "optimizer steps per soak run (default 60)"));
    o.addOption(
        Option.builder()
            .longOpt("no-ref")
            .desc("skip the PyTorch reference loop (shared/tools/ref_dit.py) even when available")
            .build());
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    if (cmd.hasOption("soak")) {
      return soak(cmd, out);
    }
    String familyName = cmd.getOptionValue("family", BenchDefaults.FAMILY);
    String[] presets = cmd.getOptionValue("presets", "xs,s,m").split(",");
    int seqLen = CliOptions.intOpt(cmd, "seq-len", 256, 2);
    int batch = CliOptions.intOpt(cmd, "batch", 32, 1);
    int vocab = CliOptions.intOpt(cmd, "vocab", 69, 5);
    int accum = CliOptions.intOpt(cmd, "accum", 1, 1);
    if (batch % accum != 0) {
      throw new InvalidInputException(
          "--batch " + batch + " must be divisible by --accum " + accum);
    }
    int warmup = CliOptions.intOpt(cmd, "warmup-steps", 2, 0);
    int steps = CliOptions.intOpt(cmd, "steps", 5, 1);
    int threads = ThreadsOption.parse(cmd, 2, 1);
    int gemmN = CliOptions.intOpt(cmd, "gemm-n", 2048, 64);
    Path outFile = Path.of(cmd.getOptionValue("out", "bench-train.json")).toAbsolutePath();
    var family = FamilyRegistry.load().get(familyName);
    for (String p : presets) {
      if (!DitPresets.exists(p.trim())) {
        throw new InvalidInputException(
            "--presets: unknown preset '" + p + "'; presets: " + DitPresets.names());
      }
    }
    ai.djl.engine.Engine.getEngine("PyTorch");
    ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);

    double peak = TrainBench.gemmPeak(gemmN, 5);
    out.printf(
        "fp32 GEMM peak (DJL matMul %dx%d, %d threads): %.1f GFLOP/s up front; per row: best"
            + " median of 3-product blocks timed round robin with the steps (ratio uses it)%n",
        gemmN, gemmN, threads, peak / 1e9);
    boolean noRef = cmd.hasOption("no-ref");
    boolean ref = !noRef && RefDitBench.available();
    out.println(referenceNote(ref, noRef));
    out.printf(
        "%-6s %10s %9s %10s %12s %12s %8s %10s %10s %9s%n",
        "preset",
        "N_eff",
        "ms/step",
        "tok/s",
        "GFLOP/s",
        "GEMM GF/s",
        "ratio",
        "VmHWM MiB",
        "ref tok/s",
        "ours/ref");
    List<Map<String, Object>> rows = new ArrayList<>();
    for (String p : presets) {
      DitConfig shape = DitPresets.preset(p.trim(), vocab, family.backbone().attention());
      TrainBench.Row r =
          TrainBench.measure(
              familyName, p.trim(), shape, seqLen, batch, accum, warmup, steps, 1, gemmN);
      double ratio = r.flopsPerSecond() / r.gemmFlopsPerSecond();
      double refTps =
          ref
              ? RefDitBench.tokensPerSecond(
                  familyName, shape, seqLen, batch, threads, Math.max(10, warmup + steps))
              : Double.NaN;
      out.printf(
          "%-6s %10d %9.0f %10.0f %12.2f %12.2f %7.1f%% %10.0f %10s %9s%n",
          r.preset(),
          r.nEff(),
          r.msPerStep(),
          r.tokensPerSecond(),
          r.flopsPerSecond() / 1e9,
          r.gemmFlopsPerSecond() / 1e9,
          100 * ratio,
          r.peakRssMb(),
          ref ? String.format("%.0f", refTps) : "-",
          ref ? String.format("%.2fx", r.tokensPerSecond() / refTps) : "-");
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("preset", r.preset());
      row.put("accumulation", accum);
      row.put("family", r.family());
      row.put("n_eff", r.nEff());
      row.put("seq_len", r.seqLen());
      row.put("batch", r.batch());
      row.put("timed_steps", r.steps());
      row.put("ms_per_step", r.msPerStep());
      row.put("tokens_per_second", r.tokensPerSecond());
      row.put("flops_per_second", r.flopsPerSecond());
      row.put("gemm_peak_flops_per_second", r.gemmFlopsPerSecond());
      row.put("ratio_to_gemm_peak", ratio);
      row.put("peak_rss_mib_after", r.peakRssMb());
      row.put("ref_dit_tokens_per_second", ref ? refTps : null);
      row.put("ratio_to_ref_dit", ref ? r.tokensPerSecond() / refTps : null);
      rows.add(row);
    }
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("threads", threads);
    report.put("cpus", Runtime.getRuntime().availableProcessors());
    report.put("gemm_n", gemmN);
    report.put("gemm_peak_flops_per_second_up_front", peak);
    report.put(
        "timing",
        "round robin: per timed step one 3-product GEMM block, then the step;"
            + " ms/step = median step, GEMM = best block median");
    report.put(
        "flops_counting", "6 * N_eff * tokens/s, N_eff = 12 n d^2 + d V, attention excluded");
    report.put("rows", rows);
    report.put("peak_rss_mib", TrainBench.peakRssMb());
    Files.createDirectories(outFile.getParent());
    Path tmp = Files.createTempFile(outFile.getParent(), "bench-train", ".tmp");
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), report);
    Files.move(tmp, outFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    out.println("report: " + outFile);
    return 0;
  }

  /**
   * The table's line about the PyTorch reference columns: what ran, or why it did not (the hint
   * about ../shared and python3-torch only when {@code --no-ref} was not given).
   *
   * @param ran whether ref_dit.py is run for each row
   * @param noRef whether {@code --no-ref} was given
   */
  public static String referenceNote(boolean ran, boolean noRef) {
    if (ran) {
      return "reference: shared/tools/ref_dit.py (plain PyTorch loop, same model/batch/threads)";
    }
    return noRef
        ? "reference: ref_dit.py not run (--no-ref)"
        : "reference: ref_dit.py not run (needs ../shared and Debian python3-torch)";
  }

  /** {@code --soak N}: the issue-7 soak; exit 0 only when no run stopped. */
  private static int soak(CommandLine cmd, PrintStream out) throws Exception {
    int runs = CliOptions.intOpt(cmd, "soak", 200, 1);
    int steps = CliOptions.intOpt(cmd, "soak-steps", 60, 1);
    Path outFile = Path.of(cmd.getOptionValue("out", "bench-soak.json")).toAbsolutePath();
    Path work = Files.createTempDirectory("dllm-soak");
    TrainSoak.Result r = TrainSoak.run(runs, steps, work, out);
    Files.deleteIfExists(work);
    out.printf(
        "soak: %d of %d runs stopped with a non-finite loss/gradient norm (max heap %d MiB, %.0f"
            + " s)%n",
        r.stops(), r.runs(), r.maxHeapMib(), r.seconds());
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("runs", r.runs());
    report.put("steps_per_run", steps);
    report.put("stops", r.stops());
    report.put("stopped", r.stopped());
    report.put("max_heap_mib", r.maxHeapMib());
    report.put("seconds", r.seconds());
    report.put("setup", "mdlm xxs, char, L 128, B 32, seeds 1..N, threads alternate 1/2");
    Files.createDirectories(outFile.getParent());
    Path tmp = Files.createTempFile(outFile.getParent(), "bench-soak", ".tmp");
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), report);
    Files.move(tmp, outFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    out.println("report: " + outFile);
    return r.stops() == 0 ? 0 : 1;
  }
}
