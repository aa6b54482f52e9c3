package dev.dllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.io.OutputLock;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.eval.EvalFiles;
import dev.dllm.runtime.onnx.DllmGenerator;
import dev.dllm.runtime.onnx.GenerateOptions;
import dev.dllm.runtime.onnx.Generated;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OnnxSessions;
import dev.dllm.runtime.onnx.OrtCalls;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.runtime.onnx.PromptBos;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code dllm sample}: draws samples from an ONNX export with ONNX Runtime and the family's sampler
 * (no DJL involved). Writes one JSON line per sample (text, ids, steps, NFE, entropy) and a report
 * next to it: family, steps, num_samples, seq_len (the block length L the network sees), row_length
 * (tokens per sample: L, or L + N·S with the semi-autoregressive options {@code strides=N}, {@code
 * stride_length=S}), batch, nfe_mean, seconds, tokens_per_second (generated tokens over all rows /
 * wall seconds of sampling; the BOS a causal row starts from is not generated), entropy_mean (spec
 * §6.3, nats, over each row minus PAD and MASK), provider.
 *
 * <p>With {@code --bos auto|true|false} (default auto) the tokenizer's BOS goes before every prompt
 * exactly when the export was trained in {@code wrap} block mode ({@link PromptBos}); the report of
 * a prompted run records {@code bos}, {@code block_mode} and {@code bos_before_prompt}.
 *
 * <p>The report is named by {@link #reportFile}: {@code sample-report.json} for {@code
 * samples.jsonl}, otherwise {@code <stem>.sample-report.json} (e.g. {@code a.jsonl} gets {@code
 * a.sample-report.json}), so that several JSONL files in one folder never share (and overwrite) a
 * report. The CLI prints the report path.
 *
 * <p>The steps recorded per sample are those the sampler really takes: {@code L-1} for families
 * whose backbone is causal (left-to-right, one token per step), {@code T} otherwise.
 *
 * <p>{@code --out} is checked before sampling (its folder must be a directory or creatable, and it
 * must not be a directory), and the batch and length are bounded up front ({@link
 * SampleOptions#checkMemory}) so that an oversized request fails with one line instead of an
 * allocator error.
 *
 * <p>The options are declared in {@link SampleOptions}, the prompts planned in {@link
 * SampleRequests}, the JSONL lines written by {@link SampleJsonl}.
 */
public final class SampleCommand implements Command {
  private final OrtCalls calls;

  public SampleCommand() {
    this(OrtCalls.DEFAULT);
  }

  /** A command calling ONNX Runtime through {@code calls} (a test seam for fault paths). */
  SampleCommand(OrtCalls calls) {
    this.calls = calls;
  }

  @Override
  public String name() {
    return "sample";
  }

  @Override
  public String summary() {
    return "sample text from an exported model with ONNX Runtime (writes JSONL + a report:"
        + " sample-report.json for samples.jsonl, else <stem>.sample-report.json)";
  }

  @Override
  public Options options() {
    return SampleOptions.options();
  }

  /** The report written next to {@code jsonl}: see the class comment. */
  static Path reportFile(Path jsonl) {
    String name = jsonl.getFileName().toString();
    if (name.equals("samples.jsonl")) {
      return jsonl.resolveSibling("sample-report.json");
    }
    int dot = name.lastIndexOf('.');
    String stem = dot > 0 ? name.substring(0, dot) : name;
    return jsonl.resolveSibling(stem + ".sample-report.json");
  }

  /**
   * The sampler's T: {@code --steps} ({@code given}, 0 when absent), required for a diffusion
   * family; a causal (AR) family takes L-1 steps whatever it says, so there it is optional and a
   * given value gets a note that it is ignored.
   *
   * @throws InvalidInputException when {@code --steps} is missing for a non-causal family
   */
  static int stepsFor(DiffusionFamily family, int given, int length, PrintStream out) {
    boolean causal = family.backbone().attention() == BackboneSpec.Attention.CAUSAL;
    if (!causal) {
      if (given == 0) {
        throw new InvalidInputException(
            "missing required option --steps (family " + family.name() + ")");
      }
      return given;
    }
    if (given > 0) {
      out.printf(
          "note: --steps %d is ignored by family %s (left to right: L-1 = %d steps)%n",
          given, family.name(), length - 1);
      return given;
    }
    return Math.max(1, length - 1);
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    for (String name : new String[] {"model", "num-samples", "out"}) {
      CliOptions.required(cmd, name);
    }
    int n = CliOptions.intOpt(cmd, "num-samples", 0, 1);
    int steps = CliOptions.intOpt(cmd, "steps", 0, 1);
    SampleRequests requests = SampleRequests.of(cmd);
    int total = requests.samples(n);
    int batch = CliOptions.intOpt(cmd, "batch", Math.min(total, 16), 1);
    long seed = CliOptions.longOpt(cmd, "seed", 0L, Long.MIN_VALUE);
    double topP = EvalOptions.topP(cmd);
    int maxNew = CliOptions.intOpt(cmd, "max-new-tokens", 0, 1);
    String[] stopValues = cmd.getOptionValues("stop");
    List<String> stops = stopValues == null ? List.of() : List.of(stopValues);
    for (String st : stops) {
      if (st.isEmpty()) {
        throw new InvalidInputException("--stop must not be empty");
      }
    }
    boolean stopAtEos = !cmd.hasOption("no-stop-at-eos");
    Boolean bos = PromptBos.parse(cmd.getOptionValue("bos", "auto"), "--bos");
    Path outFile = Path.of(cmd.getOptionValue("out")).toAbsolutePath().normalize();
    CliOptions.checkOutFile(outFile, "out");
    Path reportFile = reportFile(outFile);
    if (Files.isDirectory(reportFile)) {
      throw new InvalidInputException(
          "--out " + outFile + ": its report " + reportFile + " is a directory");
    }
    CliOptions.refuseExisting(cmd, "out", outFile, reportFile);
    Map<String, String> options = SampleOptions.samplerOptions(cmd);
    OrtConfig ort = SampleOptions.ortConfig(cmd);
    try (OutputLock lock = OutputLock.acquire(outFile, "out", "dllm sample");
        DllmGenerator gen = DllmGenerator.open(Path.of(cmd.getOptionValue("model")), ort, calls)) {
      CliOptions.refuseExisting(cmd, "out", outFile, reportFile); // again, under the lock
      OnnxModel model = gen.model();
      int length = CliOptions.intOpt(cmd, "length", model.metadata().seqLen(), 2);
      if (length < 2) {
        throw new InvalidInputException(
            "the model does not record its training length; pass --length L");
      }
      SampleOptions.checkMemory(model.metadata().model(), Math.min(batch, total), length);
      DiffusionFamily family = model.family();
      steps = stepsFor(family, steps, length, out);
      // refuse unknown sampler options before any work
      family.newSampler(new SamplerSpec(steps, topP, options));
      GenerateOptions base =
          new GenerateOptions(
              1, steps, seed, topP, batch, length, options, List.of(), maxNew, stops, stopAtEos,
              bos);
      requests.check(gen, base);
      GenerateOptions request = requests.options(base, n);
      List<Generated> samples;
      try {
        samples = gen.generate(request);
      } catch (IllegalStateException e) {
        if (OnnxSessions.isAllocationFailure(e)) {
          throw new InvalidInputException(
              "ONNX Runtime could not allocate memory for --length "
                  + length
                  + " --batch "
                  + batch
                  + " ("
                  + firstLine(rootMessage(e))
                  + "); use a smaller --length or --batch",
              e);
        }
        throw new IllegalStateException(
            e.getMessage() + "; nothing was written to " + outFile, e.getCause());
      }
      boolean conditioned = requests.conditioned(maxNew);
      // an unconditional causal row starts from the BOS the sampler gives; it is not generated
      int givenPerRow =
          !conditioned
                  && family.backbone().attention()
                      == dev.dllm.api.model.BackboneSpec.Attention.CAUSAL
              ? 1
              : 0;
      SampleJsonl.Result r =
          SampleJsonl.jsonl(samples, model.metadata().specials(), requests, n, givenPerRow);
      int stepsTaken = samples.get(0).steps();
      Files.createDirectories(outFile.getParent());
      EvalFiles.writeString(outFile, r.jsonl());
      Map<String, Object> report = new LinkedHashMap<>();
      report.put("family", family.name());
      report.put("model", model.directory().toString());
      report.put("steps", stepsTaken);
      report.put("num_samples", total);
      if (conditioned) {
        report.put("prompts", requests.source());
        report.put("requests", requests.size());
        report.put("samples_per_request", n);
        report.put("max_new_tokens", maxNew > 0 ? maxNew : null);
        report.put("stop", stops);
        report.put("stop_at_eos", stopAtEos);
        report.put("stop_reasons", r.stopReasons());
        report.put("bos", PromptBos.describe(bos));
        report.put("block_mode", model.metadata().blockMode());
        report.put("bos_before_prompt", PromptBos.id(model.metadata(), bos) >= 0);
      }
      report.put("seq_len", length);
      report.put("row_length", r.rowLength());
      report.put("batch", batch);
      report.put("seed", seed);
      report.put("top_p", topP);
      report.put("sampler_options", options);
      report.put("nfe_mean", r.nfeMean());
      report.put("seconds", r.seconds());
      report.put("tokens_per_second", r.tokens() / r.seconds());
      report.put("entropy_mean", r.entropyMean());
      report.put("provider", model.provider());
      report.put("threads", ort.threads());
      report.put("opt_level", ort.optLevel());
      EvalFiles.writeString(
          reportFile,
          new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report)
              + "\n");
      out.printf(
          "%d samples of %d tokens (%s, %d steps, %s): NFE %.1f, %.1f tokens/s, entropy %.3f nats"
              + "%n-> samples %s%n-> report %s%n",
          total,
          r.rowLength(),
          family.name(),
          stepsTaken,
          model.provider(),
          r.nfeMean(),
          r.tokens() / r.seconds(),
          r.entropyMean(),
          outFile,
          reportFile);
    }
    return 0;
  }

  static String firstLine(String s) {
    return String.valueOf(s).lines().findFirst().orElse("").strip();
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c.getMessage();
  }
}
