package dev.dllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitPresets;
import dev.dllm.api.model.DitWeights;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.eval.EvalFiles;
import dev.dllm.exporter.OnnxExport;
import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.trainer.model.DitInit;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;

/**
 * {@code dllm bench-sample --sections esolm}: the wall time to draw the same B samples of length L
 * with Eso-LM (KV cache, and without), MDLM ancestral with T = L and MDLM cache-skip ({@code
 * ancestral_cache}), side by side with the ratios, on same-sized random DiTs exported to ONNX
 * (issue 9; paper: Eso-LM ≈14× faster than MDLM at L = 2048, ≈66× at L = 8192). Speed does not
 * depend on the weights, only on the shapes and the number of network calls and tokens fed.
 */
final class EsoLmSpeedBench {
  private EsoLmSpeedBench() {}

  /** The section's options, added to {@code bench-sample}'s. */
  static void addOptions(org.apache.commons.cli.Options o) {
    o.addOption(
        CliOptions.opt(
            "lengths", "LIST", "--sections esolm: sequence lengths, T = L (default 256,1024)"));
  }

  /** {@code --sections esolm}: {@link EsoLmSpeedBench} at each of {@code --lengths}. */
  static int command(CommandLine cmd, PrintStream out, int batch, OrtConfig ort, Path outFile)
      throws Exception {
    String[] parts = cmd.getOptionValue("lengths", "256,1024").split(",");
    int[] lengths = new int[parts.length];
    for (int i = 0; i < parts.length; i++) {
      try {
        lengths[i] = Integer.parseInt(parts[i].trim());
      } catch (NumberFormatException e) {
        throw new InvalidInputException("--lengths expects integers, got '" + parts[i] + "'");
      }
      if (lengths[i] < 2 || lengths[i] > 65536) {
        throw new InvalidInputException("--lengths must be in [2, 65536], got " + lengths[i]);
      }
    }
    Tokenizer tok = Tokenizers.create("byte", null);
    String preset = cmd.getOptionValue("preset", "xs");
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("preset", preset);
    report.put("batch", batch);
    report.put("threads", ort.threads());
    report.put("cpus", Runtime.getRuntime().availableProcessors());
    report.put(
        "paper", "Eso-LM vs MDLM sampling speed: about 14x at L=2048 and 66x at L=8192 (issue 9)");
    Path tmp = Files.createTempDirectory("dllm-bench-eso");
    try {
      report.put("esolm", run(preset, tok, batch, lengths, ort, tmp, out));
    } finally {
      BenchSampleCommand.deleteTree(tmp);
    }
    Files.createDirectories(outFile.getParent());
    EvalFiles.writeString(
        outFile,
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report)
            + "\n");
    out.println("-> " + outFile);
    return 0;
  }

  /**
   * Runs the comparison for each length.
   *
   * @return one row per length (seconds, NFE, tokens/s of each method and the ratios)
   */
  static List<Map<String, Object>> run(
      String preset,
      Tokenizer tok,
      int batch,
      int[] lengths,
      OrtConfig ort,
      Path tmp,
      PrintStream out)
      throws Exception {
    FamilyRegistry registry = FamilyRegistry.load();
    if (!registry.names().contains("esolm") || !registry.names().contains("mdlm")) {
      throw new InvalidInputException("--sections esolm needs the esolm and mdlm families");
    }
    DiffusionFamily eso = registry.get("esolm");
    DiffusionFamily mdlm = registry.get("mdlm");
    List<Map<String, Object>> rows = new ArrayList<>();
    out.printf(
        "%-6s %3s | %10s %10s | %10s %10s | %10s %10s | %8s %8s %8s%n",
        "L",
        "B",
        "eso kv s",
        "eso nokv s",
        "mdlm T=L s",
        "mdlm skip",
        "eso kv NFE",
        "mdlm NFE",
        "vs mdlm",
        "vs skip",
        "vs nokv");
    for (int length : lengths) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("length", length);
      row.put("batch", batch);
      BenchSampleCommand.Run kv;
      BenchSampleCommand.Run noKv;
      BenchSampleCommand.Run plain;
      BenchSampleCommand.Run skip;
      try (OnnxModel m = export(eso, preset, tok, length, tmp.resolve("eso-" + length), ort)) {
        kv = timed(eso, length, Map.of("kv_cache", "true"), m, batch, tok);
        noKv = timed(eso, length, Map.of("kv_cache", "false"), m, batch, tok);
      }
      try (OnnxModel m = export(mdlm, preset, tok, length, tmp.resolve("mdlm-" + length), ort)) {
        plain = timed(mdlm, length, Map.of("predictor", "ancestral"), m, batch, tok);
        skip = timed(mdlm, length, Map.of("predictor", "ancestral_cache"), m, batch, tok);
      }
      row.put("esolm_kv_cache", kv.toMap(batch, length));
      row.put("esolm_no_cache", noKv.toMap(batch, length));
      row.put("mdlm_ancestral_T_eq_L", plain.toMap(batch, length));
      row.put("mdlm_cache_skip", skip.toMap(batch, length));
      row.put("speedup_vs_mdlm", plain.seconds() / kv.seconds());
      row.put("speedup_vs_mdlm_cache_skip", skip.seconds() / kv.seconds());
      row.put("speedup_vs_esolm_no_cache", noKv.seconds() / kv.seconds());
      rows.add(row);
      out.printf(
          "%-6d %3d | %10.2f %10.2f | %10.2f %10.2f | %10d %10d | %7.1fx %7.1fx %7.1fx%n",
          length,
          batch,
          kv.seconds(),
          noKv.seconds(),
          plain.seconds(),
          skip.seconds(),
          kv.nfe(),
          plain.nfe(),
          plain.seconds() / kv.seconds(),
          skip.seconds() / kv.seconds(),
          noKv.seconds() / kv.seconds());
    }
    return rows;
  }

  private static BenchSampleCommand.Run timed(
      DiffusionFamily family,
      int steps,
      Map<String, String> options,
      OnnxModel model,
      int batch,
      Tokenizer tok) {
    return BenchSampleCommand.sampleRun(
        family,
        new SamplerSpec(steps, 1.0, options),
        model.denoiser(),
        batch,
        steps,
        tok.specials());
  }

  private static OnnxModel export(
      DiffusionFamily family, String preset, Tokenizer tok, int length, Path dir, OrtConfig ort) {
    BackboneSpec.Attention attention = family.backbone().attention();
    DitConfig cfg = DitPresets.preset(preset, tok.vocabSize(), attention);
    DitWeights w = DitInit.random(cfg, 1, 0.1);
    Map<String, String> familyMetadata = new LinkedHashMap<>(family.exportMetadata());
    familyMetadata.remove("family");
    ExportMetadata md =
        new ExportMetadata(
            family.name(),
            ExportMetadata.GRAPH_FULL,
            cfg,
            length,
            "",
            tok.spec(),
            tok.state(),
            tok.specials(),
            Map.of(),
            familyMetadata);
    OnnxExport.write(w, md, dir);
    return OnnxModel.open(dir, ort);
  }
}
