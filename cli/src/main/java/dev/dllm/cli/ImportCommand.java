package dev.dllm.cli;

import dev.dllm.api.io.OutputLock;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import dev.dllm.trainer.imports.CheckpointImport;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code dllm import}: a downloaded MDLM / Duo / Eso-LM / SDLLM release (a local folder; nothing is
 * downloaded) becomes a dllm checkpoint for {@code dllm export} ({@link CheckpointImport}).
 */
public final class ImportCommand implements Command {
  @Override
  public String name() {
    return "import";
  }

  @Override
  public String summary() {
    return "import a published MDLM / Duo / Eso-LM / SDLLM checkpoint folder as a dllm checkpoint";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(
        CliOptions.req(
            "from",
            "DIR",
            "release folder or file: " + String.join("; ", CheckpointImport.layouts())));
    o.addOption(CliOptions.req("family", "F", "family the release was trained as (dllm families)"));
    o.addOption(CliOptions.req("out", "DIR", "checkpoint folder to create (never overwritten)"));
    o.addOption(
        CliOptions.opt(
            "tokenizer",
            "SPEC",
            "tokenizer (default: tokenizer.json of the folder, else gpt2 when V = 50258)"));
    o.addOption(
        Option.builder()
            .longOpt("ema")
            .desc("take the EMA weights (ema.shadow_params) of a Lightning .ckpt")
            .get());
    o.addOption(CliOptions.opt("heads", "H", "attention heads, when the release does not say"));
    o.addOption(
        CliOptions.opt("length", "L", "training sequence length, when the release does not say"));
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    Integer heads = cmd.hasOption("heads") ? CliOptions.intOpt(cmd, "heads", 1, 1) : null;
    Integer length = cmd.hasOption("length") ? CliOptions.intOpt(cmd, "length", 1, 1) : null;
    Path outDir = Path.of(CliOptions.required(cmd, "out"));
    refuseDllmCheckpoint(Path.of(CliOptions.required(cmd, "from")));
    CliOptions.checkParentDirs(outDir, "out"); // the checkpoint is written beside it, then moved
    CheckpointImport.Options options =
        new CheckpointImport.Options(
            Path.of(CliOptions.required(cmd, "from")),
            CliOptions.required(cmd, "family"),
            cmd.getOptionValue("tokenizer"),
            cmd.hasOption("ema"),
            heads,
            length,
            outDir);
    CheckpointImport.Report r;
    // one process per output: a second import into the same --out is refused while the first
    // runs (its existence check alone let both write, the last one replacing the first)
    try (OutputLock lock = OutputLock.acquire(outDir, "out", "dllm import")) {
      r = CheckpointImport.run(options);
    }
    DitConfig c = r.plan().config();
    Map<String, Object> rec = r.record();
    out.printf(
        Locale.ROOT,
        "imported %s (%s) as %s: V=%d, L=%d, d=%d, %d blocks, %d heads, %.1fM parameters%n",
        rec.get("source"),
        rec.get("layout"),
        cmd.getOptionValue("family"),
        c.vocabSize(),
        r.plan().length(),
        c.hidden(),
        c.blocks(),
        c.heads(),
        DitLayout.totalParams(c) / 1e6);
    out.printf(
        "  tokenizer %s, license %s, config from %s%n",
        r.tokenizer().spec(), rec.get("license"), rec.get("config_from"));
    if (rec.get("sha256") instanceof Map<?, ?> sums) {
      sums.forEach((f, h) -> out.printf("  sha256 %s  %s%n", h, f));
    }
    out.printf("  -> %s; next: dllm export --checkpoint %s --out EXPORT_DIR%n", r.out(), r.out());
    return 0;
  }

  /**
   * Refuses a {@code --from} that already is a dllm checkpoint (its {@code config.json}, or that of
   * its {@code checkpoint/}, has dllm's {@code format_version} and {@code family}): there is
   * nothing to import.
   *
   * @throws dev.dllm.api.InvalidInputException naming {@code --from} and {@code dllm export}
   */
  static void refuseDllmCheckpoint(Path from) {
    for (Path dir : new Path[] {from, from.resolve("checkpoint")}) {
      Path config = dir.resolve("config.json");
      if (!java.nio.file.Files.isRegularFile(config)) {
        continue;
      }
      com.fasterxml.jackson.databind.JsonNode root;
      try {
        root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(config.toFile());
      } catch (java.io.IOException e) {
        return; // not ours to judge: the importer names a bad config.json
      }
      if (root != null && root.has("format_version") && root.path("family").isTextual()) {
        throw new dev.dllm.api.InvalidInputException(
            "--from "
                + from
                + " is already a dllm checkpoint (family "
                + root.path("family").asText()
                + "); it needs no import: dllm export --checkpoint "
                + dir
                + " --out DIR");
      }
    }
  }
}
