package dev.dllm.cli;

import dev.dllm.exporter.CheckpointExport;
import dev.dllm.exporter.OnnxExport;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code dllm export}: writes a checkpoint's DiT as ONNX (opset 17) into an export directory:
 * {@code model.onnx}, {@code decode.onnx} for AR (KV cache) and {@code export-report.json}. The
 * export is self-describing ({@code metadata_props}); {@code dllm sample} needs nothing else.
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
    o.addOption(SampleCommand.req("checkpoint", "DIR", "checkpoint directory (dllm train)"));
    o.addOption(SampleCommand.req("out", "DIR", "export directory to write (replaced atomically)"));
    o.addOption(
        SampleCommand.opt(
            "length", "L", "training sequence length to record (default: from the checkpoint)"));
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    OnnxExport.Report r =
        CheckpointExport.export(
            Path.of(SampleCommand.required(cmd, "checkpoint")),
            Path.of(SampleCommand.required(cmd, "out")),
            SampleCommand.intOpt(cmd, "length", 0, 1));
    @SuppressWarnings("unchecked")
    Map<String, Object> files = (Map<String, Object>) r.summary().get("files");
    out.printf(
        "exported %s (%s) -> %s: %s%n",
        r.summary().get("family"), r.summary().get("model"), r.directory(), files);
    return 0;
  }
}
