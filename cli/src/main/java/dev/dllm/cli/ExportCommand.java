package dev.dllm.cli;

import dev.dllm.api.io.OutputLock;
import dev.dllm.exporter.CheckpointExport;
import dev.dllm.exporter.OnnxExport;
import dev.dllm.runtime.onnx.ExportMetadata;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code dllm export}: writes a checkpoint's DiT as ONNX (opset 17) into an export directory:
 * {@code model.onnx}, {@code decode.onnx} (the KV-cache graph: AR decode, Eso-LM window, MDLM/Duo
 * block KV) and {@code export-report.json}. The export is self-describing ({@code metadata_props},
 * with the same model hash in every graph and the report); {@code dllm sample} needs nothing else.
 */
public final class ExportCommand implements Command {
  @Override
  public String name() {
    return "export";
  }

  @Override
  public String summary() {
    return "export a checkpoint as ONNX graphs with self-describing metadata";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(
        CliOptions.req(
            "checkpoint",
            "DIR",
            "checkpoint directory (dllm train), or the run folder holding it"));
    o.addOption(
        CliOptions.req(
            "out",
            "DIR",
            "export directory to write (new, or an earlier export with --overwrite)"));
    o.addOption(
        org.apache.commons.cli.Option.builder()
            .longOpt("overwrite")
            .desc("replace an earlier export in --out (atomically, only after success)")
            .get());
    o.addOption(
        CliOptions.opt(
            "length", "L", "training sequence length to record (default: from the checkpoint)"));
    o.addOption(
        CliOptions.opt(
            "quantize",
            "int8",
            "int8: every weight MatMul as int8 per output channel, activations quantized"
                + " dynamically (DynamicQuantizeLinear + MatMulInteger); default fp32"));
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    Path outDir = Path.of(CliOptions.required(cmd, "out"));
    OnnxExport.checkOut(outDir);
    try (OutputLock lock = OutputLock.acquire(outDir, "out", "dllm export")) {
      return export(cmd, outDir, out);
    }
  }

  private static int export(CommandLine cmd, Path outDir, PrintStream out) throws Exception {
    if (!cmd.hasOption("overwrite")
        && java.nio.file.Files.exists(outDir.resolve(ExportMetadata.FULL_FILE))) {
      // an earlier export (and an eval-report.json beside it) is never replaced by accident
      throw new dev.dllm.api.InvalidInputException(
          "--out "
              + outDir
              + " already holds an export; choose another --out or pass --overwrite to replace it");
    }
    OnnxExport.Report r =
        CheckpointExport.export(
            checkpointDir(Path.of(CliOptions.required(cmd, "checkpoint"))),
            outDir,
            CliOptions.intOpt(cmd, "length", 0, 1),
            OnnxExport.Quantize.parse(cmd.getOptionValue("quantize", "none"), "--quantize"));
    out.print(summary(r));
    return 0;
  }

  /**
   * The checkpoint folder {@code --checkpoint} names: the folder itself, or a run folder's {@code
   * checkpoint/} (as {@code distill --checkpoint} reads it).
   *
   * @throws dev.dllm.api.InvalidInputException naming {@code --checkpoint} when it is an ONNX
   *     export rather than a checkpoint
   */
  static Path checkpointDir(Path given) {
    Path dir = CheckpointDir.of(given);
    if (!java.nio.file.Files.isRegularFile(dir.resolve("config.json"))
        && java.nio.file.Files.isRegularFile(given.resolve(ExportMetadata.FULL_FILE))) {
      throw new dev.dllm.api.InvalidInputException(
          "--checkpoint "
              + given
              + " is an ONNX export ("
              + ExportMetadata.FULL_FILE
              + "), not a training checkpoint; give the checkpoint/ folder that dllm train wrote");
    }
    return dir; // without config.json CheckpointExport names the missing file
  }

  /**
   * A readable summary of an export: family, model shape (V, L, width, blocks, heads), then one
   * line per file written (graphs with nodes, initializers, size and check result; the JSON
   * report).
   */
  static String summary(OnnxExport.Report r) {
    Map<String, Object> s = r.summary();
    StringBuilder b = new StringBuilder();
    Object model = s.get("model");
    Map<?, ?> m = model instanceof Map<?, ?> mm ? mm : Map.of();
    Object seqLen = s.get("seq_len");
    b.append(
        String.format(
            "exported %s: V=%s, L=%s, d=%s, %s blocks, %s heads, %s attention -> %s%n",
            s.get("family"),
            m.get("vocab_size"),
            seqLen instanceof Number n && n.intValue() > 0 ? seqLen : "unknown",
            m.get("hidden"),
            m.get("blocks"),
            m.get("heads"),
            String.valueOf(m.get("attention")).toLowerCase(Locale.ROOT),
            r.directory()));
    if (s.get("model_hash") instanceof String hash) {
      b.append(
          String.format(
              "  model hash %s (in every graph and the report; dllm sample refuses mixed folders)%n",
              hash.substring(0, Math.min(12, hash.length()))));
    }
    Object files = s.get("files");
    int graphs = 0;
    if (files instanceof Map<?, ?> fm) {
      for (Map.Entry<?, ?> e : fm.entrySet()) {
        Map<?, ?> f = e.getValue() instanceof Map<?, ?> x ? x : Map.of();
        long bytes = f.get("bytes") instanceof Number n ? n.longValue() : 0;
        b.append(
            String.format(
                "  %-20s %s nodes, %s initializers, %s, structural check %s%n",
                e.getKey(),
                f.get("nodes"),
                f.get("initializers"),
                size(bytes),
                f.get("structural_check")));
        graphs++;
      }
    }
    b.append(String.format("  %-20s report (opset %s)%n", "export-report.json", s.get("opset")));
    if ("int8".equals(s.get("quantize"))) {
      b.append("  weights int8 per output channel, activations quantized dynamically\n");
    }
    b.append(String.format("%d graph%s written%n", graphs, graphs == 1 ? "" : "s"));
    return b.toString();
  }

  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
  }
}
