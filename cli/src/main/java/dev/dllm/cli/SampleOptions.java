package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.DitConfig;
import dev.dllm.runtime.onnx.MemoryCheck;
import dev.dllm.runtime.onnx.OrtConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * The options of {@code dllm sample} ({@link SampleCommand}): their declarations, the bound on one
 * forward pass's memory that {@code --batch} and {@code --length} must respect, and the ONNX
 * Runtime ({@code --provider}, {@code --threads}, {@code --opt-level}) and sampler ({@code
 * --option}, {@code --predictor}, {@code --greedy-tail}) options, which the other commands that
 * sample an export parse the same way.
 */
public final class SampleOptions {
  private SampleOptions() {}

  /** The options of {@code dllm sample}. */
  static Options options() {
    Options o = new Options();
    o.addOption(CliOptions.req("model", "DIR", "export directory written by dllm export"));
    o.addOption(CliOptions.req("num-samples", "N", "number of samples"));
    o.addOption(
        CliOptions.opt(
            "steps",
            "T",
            "denoising steps (required, except for AR, which always takes L-1 and ignores it)"));
    o.addOption(
        CliOptions.req(
            "out",
            "FILE",
            "output JSONL file; the report goes next to it: sample-report.json for"
                + " samples.jsonl, <stem>.sample-report.json otherwise"));
    o.addOption(
        Option.builder().longOpt("overwrite").desc("replace an existing --out and report").get());
    o.addOption(
        Option.builder()
            .longOpt("greedy-tail")
            .desc(
                "Duo: final step z_0 = argmax x_theta (the greedy tail); = --option greedy_tail=true")
            .get());
    o.addOption(CliOptions.opt("batch", "B", "rows sampled together (default min(N, 16))"));
    o.addOption(CliOptions.opt("seed", "S", "random seed (default 0)"));
    o.addOption(EvalOptions.topPOption());
    o.addOption(
        CliOptions.opt(
            "predictor", "NAME", "family predictor, e.g. ancestral, ancestral_cache (mdlm)"));
    o.addOption(
        CliOptions.opt(
            "length",
            "L",
            "sequence length (default: the model's training length); B·L is bounded so that the"
                + " estimated forward memory stays <= "
                + (MAX_FORWARD_BYTES >> 30)
                + " GiB"));
    o.addOption(CliOptions.opt("provider", "cpu|cuda", "ONNX Runtime provider (default cpu)"));
    o.addOption(ThreadsOption.option(ThreadsOption.Engine.ORT, "0"));
    o.addOption(
        CliOptions.opt(
            "opt-level",
            "LEVEL",
            "ONNX Runtime graph optimisation: "
                + String.join("|", OrtConfig.OPT_LEVELS)
                + " (default "
                + OrtConfig.DEFAULT_OPT_LEVEL
                + ")"));
    o.addOption(
        CliOptions.opt(
            "prompt", "TEXT", "prompt to continue, the same for every sample (issue 16)"));
    o.addOption(
        CliOptions.opt(
            "prompts",
            "FILE.jsonl",
            "one request per line: {\"prompt\": TEXT} or {\"prefix\": TEXT, \"suffix\": TEXT,"
                + " \"length\": N} (fill-in-the-middle); --num-samples samples per request"));
    o.addOption(
        CliOptions.opt(
            "max-new-tokens",
            "N",
            "tokens generated after the prompt (default: the rest of the row); a diffusion"
                + " family generates them inside its block, the rest given as EOS"));
    o.addOption(
        Option.builder()
            .longOpt("stop")
            .hasArg()
            .argName("STR")
            .desc("the completion ends before this string; repeatable")
            .get());
    o.addOption(
        CliOptions.opt(
            "bos",
            "auto|true|false",
            "put the tokenizer's BOS before every prompt (default auto: exactly when the export"
                + " was trained in wrap block mode and the tokenizer has a BOS id)"));
    o.addOption(
        Option.builder()
            .longOpt("no-stop-at-eos")
            .desc("do not end the completion at the first generated EOS")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("option")
            .hasArgs()
            .argName("KEY=VALUE")
            .desc("extra sampler option, repeatable (e.g. kv_cache=false, noise_removal=none)")
            .get());
    return o;
  }

  /** Upper bound on the estimated memory of one forward pass ({@link #forwardBytes}): 8 GiB. */
  static final long MAX_FORWARD_BYTES = MemoryCheck.MAX_FORWARD_BYTES;

  /** {@link MemoryCheck#forwardBytes}. */
  static long forwardBytes(DitConfig c, int batch, int length) {
    return MemoryCheck.forwardBytes(c, batch, length);
  }

  /**
   * Refuses a batch and length whose forward pass would not fit: B·L·V must fit in a Java array and
   * {@link #forwardBytes} must be at most {@link #MAX_FORWARD_BYTES}.
   *
   * @throws InvalidInputException naming --length and --batch
   */
  public static void checkMemory(DitConfig c, int batch, int length) {
    long bytes = forwardBytes(c, batch, length);
    if ((double) batch * length * c.vocabSize() >= Integer.MAX_VALUE || bytes > MAX_FORWARD_BYTES) {
      throw new InvalidInputException(
          String.format(
              "--length %d with --batch %d needs about %.1f GiB per forward pass (limit %d GiB);"
                  + " use a smaller --length or --batch",
              length, batch, bytes / (double) (1L << 30), MAX_FORWARD_BYTES >> 30));
    }
  }

  static OrtConfig ortConfig(CommandLine cmd) {
    return new OrtConfig(
        cmd.getOptionValue("provider", "cpu"),
        ThreadsOption.parse(cmd, 0, 0),
        cmd.getOptionValue("opt-level", OrtConfig.DEFAULT_OPT_LEVEL));
  }

  static Map<String, String> samplerOptions(CommandLine cmd) {
    Map<String, String> opts = new LinkedHashMap<>();
    String[] extra = cmd.getOptionValues("option");
    if (extra != null) {
      for (String kv : extra) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
          throw new InvalidInputException("--option must be KEY=VALUE, got '" + kv + "'");
        }
        opts.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
      }
    }
    if (cmd.hasOption("predictor")) {
      opts.put("predictor", cmd.getOptionValue("predictor"));
    }
    if (cmd.hasOption("greedy-tail")) {
      String given = opts.put("greedy_tail", "true");
      if (given != null && !given.equals("true")) {
        throw new InvalidInputException(
            "--greedy-tail and --option greedy_tail=" + given + " contradict; give one of them");
      }
    }
    return opts;
  }
}
