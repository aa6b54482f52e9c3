package dev.dllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.metrics.SampleEntropy;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.eval.EvalFiles;
import dev.dllm.runtime.onnx.Completion;
import dev.dllm.runtime.onnx.DllmGenerator;
import dev.dllm.runtime.onnx.GenerateOptions;
import dev.dllm.runtime.onnx.Generated;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OnnxSessions;
import dev.dllm.runtime.onnx.OrtCalls;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.runtime.onnx.Prompt;
import dev.dllm.runtime.onnx.PromptBos;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
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
 * must not be a directory), and the batch and length are bounded up front ({@link #checkMemory}) so
 * that an oversized request fails with one line instead of an allocator error.
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
    Options o = new Options();
    o.addOption(req("model", "DIR", "export directory written by dllm export"));
    o.addOption(req("num-samples", "N", "number of samples"));
    o.addOption(req("steps", "T", "denoising steps (AR always takes L-1)"));
    o.addOption(
        req(
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
    o.addOption(CliOptions.opt("top-p", "P", "nucleus mass in (0, 1] (default 1 = off)"));
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
    o.addOption(
        CliOptions.opt("threads", "N", "intra-op threads (default: ONNX Runtime's choice)"));
    o.addOption(
        CliOptions.opt(
            "opt-level", "LEVEL", "ONNX Runtime graph optimisation: none|basic|extended|all"));
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
  static final long MAX_FORWARD_BYTES = 8L << 30;

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
   * A rough estimate of one forward pass's memory in bytes (float32): logits in ONNX Runtime and
   * their Java copy (2·B·L·V), attention scores and probabilities (2·B·H·L²) and activations
   * (16·B·L·D).
   */
  static long forwardBytes(DitConfig c, int batch, int length) {
    double b = batch;
    double l = length;
    double elems = 2 * b * l * c.vocabSize() + 2 * b * c.heads() * l * l + 16 * b * l * c.hidden();
    return (long) Math.min(Long.MAX_VALUE, 4 * elems);
  }

  /**
   * Refuses a batch and length whose forward pass would not fit: B·L·V must fit in a Java array and
   * {@link #forwardBytes} must be at most {@link #MAX_FORWARD_BYTES}.
   *
   * @throws InvalidInputException naming --length and --batch
   */
  static void checkMemory(DitConfig c, int batch, int length) {
    long bytes = forwardBytes(c, batch, length);
    if ((double) batch * length * c.vocabSize() >= Integer.MAX_VALUE || bytes > MAX_FORWARD_BYTES) {
      throw new InvalidInputException(
          String.format(
              "--length %d with --batch %d needs about %.1f GiB per forward pass (limit %d GiB);"
                  + " use a smaller --length or --batch",
              length, batch, bytes / (double) (1L << 30), MAX_FORWARD_BYTES >> 30));
    }
  }

  /** A required option; checked by {@link #required} (so that {@code --help} still parses). */
  static Option req(String name, String arg, String desc) {
    return Option.builder().longOpt(name).hasArg().argName(arg).desc(desc + " (required)").get();
  }

  /**
   * The value of a required option.
   *
   * @throws InvalidInputException when it is missing
   */
  static String required(CommandLine cmd, String name) {
    String v = cmd.getOptionValue(name);
    if (v == null) {
      throw new InvalidInputException("missing required option --" + name);
    }
    return v;
  }

  static OrtConfig ortConfig(CommandLine cmd) {
    return new OrtConfig(
        cmd.getOptionValue("provider", "cpu"),
        CliOptions.intOpt(cmd, "threads", 0, 0),
        cmd.getOptionValue("opt-level", "basic"));
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

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    for (String name : new String[] {"model", "num-samples", "steps", "out"}) {
      required(cmd, name);
    }
    int n = CliOptions.intOpt(cmd, "num-samples", 0, 1);
    int steps = CliOptions.intOpt(cmd, "steps", 0, 1);
    Requests requests = requests(cmd);
    int total = requests.samples(n);
    int batch = CliOptions.intOpt(cmd, "batch", Math.min(total, 16), 1);
    long seed = CliOptions.longOpt(cmd, "seed", 0L, Long.MIN_VALUE);
    double topP = CliOptions.doubleOpt(cmd, "top-p", 1.0);
    if (!(topP > 0 && topP <= 1)) {
      throw new InvalidInputException("--top-p must be in (0, 1], got " + topP);
    }
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
    Map<String, String> options = samplerOptions(cmd);
    OrtConfig ort = ortConfig(cmd);
    try (DllmGenerator gen = DllmGenerator.open(Path.of(cmd.getOptionValue("model")), ort, calls)) {
      OnnxModel model = gen.model();
      int length = CliOptions.intOpt(cmd, "length", model.metadata().seqLen(), 2);
      if (length < 2) {
        throw new InvalidInputException(
            "the model does not record its training length; pass --length L");
      }
      checkMemory(model.metadata().model(), Math.min(batch, total), length);
      DiffusionFamily family = model.family();
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
      Result r = jsonl(samples, model.metadata().specials(), requests, n, givenPerRow);
      int stepsTaken = samples.get(0).steps();
      Files.createDirectories(outFile.getParent());
      EvalFiles.writeString(outFile, r.jsonl);
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
        report.put("stop_reasons", r.stopReasons);
        report.put("bos", PromptBos.describe(bos));
        report.put("block_mode", model.metadata().blockMode());
        report.put("bos_before_prompt", PromptBos.id(model.metadata(), bos) >= 0);
      }
      report.put("seq_len", length);
      report.put("row_length", r.rowLength);
      report.put("batch", batch);
      report.put("seed", seed);
      report.put("top_p", topP);
      report.put("sampler_options", options);
      report.put("nfe_mean", r.nfeMean);
      report.put("seconds", r.seconds);
      report.put("tokens_per_second", r.tokens / r.seconds);
      report.put("entropy_mean", r.entropyMean);
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
          r.rowLength,
          family.name(),
          stepsTaken,
          model.provider(),
          r.nfeMean,
          r.tokens / r.seconds,
          r.entropyMean,
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

  /**
   * The prompts of a run: none, {@code --prompt TEXT} (one for all samples) or {@code --prompts
   * FILE} (each request {@code --num-samples} times, in file order).
   */
  record Requests(String source, String prompt, List<PromptRequests.Request> file) {
    static final Requests NONE = new Requests(null, null, List.of());

    int size() {
      return prompt != null ? 1 : file.size();
    }

    boolean conditioned(int maxNew) {
      return source != null || maxNew > 0;
    }

    /** Samples of the run: N per request. */
    int samples(int n) {
      if (file.isEmpty()) {
        return n;
      }
      long total = (long) n * file.size();
      if (total > Integer.MAX_VALUE) {
        throw new InvalidInputException(
            file.size() + " requests × --num-samples " + n + " samples is too many");
      }
      return (int) total;
    }

    /** The request of sample {@code i} of a file run. */
    PromptRequests.Request request(int i, int n) {
      return file.get(i / n);
    }

    /** {@code base} (one sample) for the whole run. */
    GenerateOptions options(GenerateOptions base, int n) {
      if (prompt != null) {
        return base.withNumber(n).withPrompt(prompt);
      }
      if (file.isEmpty()) {
        return base.withNumber(n);
      }
      List<Prompt> perSample = new ArrayList<>(n * file.size());
      for (PromptRequests.Request r : file) {
        for (int k = 0; k < n; k++) {
          perSample.add(r.prompt());
        }
      }
      return base.withNumber(perSample.size()).withRequests(perSample);
    }

    /**
     * Checks every request on its own as {@link DllmGenerator#check} does (encoding, length,
     * capacity, infill support) and names it: {@code --prompt}, or the file and line.
     */
    void check(DllmGenerator gen, GenerateOptions base) {
      if (prompt != null) {
        try {
          gen.check(base.withPrompt(prompt));
        } catch (InvalidInputException e) {
          String m = e.getMessage();
          throw new InvalidInputException(m.startsWith("prompt") ? "--" + m : "--prompt: " + m, e);
        }
      } else if (!file.isEmpty()) {
        java.util.Set<Prompt> checked = new java.util.HashSet<>();
        for (PromptRequests.Request r : file) {
          if (checked.add(r.prompt())) {
            try {
              gen.check(base.withRequests(List.of(r.prompt())));
            } catch (InvalidInputException e) {
              throw new InvalidInputException(
                  source + " line " + r.line() + ": " + e.getMessage(), e);
            }
          }
        }
      } else {
        gen.check(base);
      }
    }
  }

  /**
   * The prompts given on the command line.
   *
   * @throws InvalidInputException for --prompt with --prompts, or a bad prompts file
   */
  static Requests requests(CommandLine cmd) {
    String prompt = cmd.getOptionValue("prompt");
    String file = cmd.getOptionValue("prompts");
    if (prompt != null && file != null) {
      throw new InvalidInputException(
          "--prompt and --prompts exclude each other: give one prompt for all samples or a file"
              + " of requests");
    }
    if (prompt != null) {
      return new Requests("--prompt", prompt, List.of());
    }
    if (file != null) {
      Path path = Path.of(file);
      return new Requests(path.toString(), null, PromptRequests.read(path));
    }
    return Requests.NONE;
  }

  /**
   * Samples, their JSONL text and summary numbers.
   *
   * @param seconds wall seconds of the sampler calls (each batch counted once)
   * @param tokens generated tokens over all rows (N·L, or N·(L + strides·stride_length); N·(L − 1)
   *     for a causal family, whose rows start from BOS; for prompted samples the generated spans)
   * @param rowLength tokens in the longest row
   * @param stopReasons samples per stop reason
   */
  record Result(
      String jsonl,
      double nfeMean,
      double seconds,
      double entropyMean,
      long tokens,
      int rowLength,
      Map<String, Integer> stopReasons) {}

  /** {@link #jsonl(List, SpecialTokens, Requests, int)} of unconditional samples. */
  static Result jsonl(List<Generated> samples, SpecialTokens specials) throws IOException {
    return jsonl(samples, specials, Requests.NONE, samples.size(), 0);
  }

  /**
   * One JSON line per sample: index, for prompted runs the request (its 0-based index and, from a
   * file, its line), {@code prompt} or {@code prefix}/{@code suffix}, then {@code completion},
   * {@code stop_reason}, {@code prompt_length}, {@code generated_ids} (the span, ids after its EOS
   * included), and as before text (the whole row decoded), ids (the whole row), steps, NFE and the
   * entropy over the ids gen PPL scores (the row minus PAD and MASK, {@link
   * dev.dllm.eval.metrics.ScoredIds}, as eval and pareto).
   *
   * @param n samples per request
   * @param givenPerRow positions of each sample's generated ids that the sampler gave rather than
   *     generated (1 for the BOS of an unconditional causal row), left out of {@link Result#tokens}
   */
  static Result jsonl(
      List<Generated> samples, SpecialTokens specials, Requests requests, int n, int givenPerRow)
      throws IOException {
    ObjectMapper json = new ObjectMapper();
    StringBuilder lines = new StringBuilder();
    double nfeSum = 0;
    double entropySum = 0;
    double seconds = 0;
    long tokens = 0;
    int rowLength = 0;
    Map<String, Integer> reasons = new LinkedHashMap<>();
    for (String reason : List.of(Completion.EOS, Completion.STOP, Completion.LENGTH)) {
      reasons.put(reason, 0);
    }
    boolean prompted = requests.source() != null;
    for (Generated g : samples) {
      int[] scored = dev.dllm.eval.metrics.ScoredIds.of(g.ids(), specials);
      double h = SampleEntropy.of(scored, 0, scored.length);
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("index", g.index());
      if (requests.prompt() != null) {
        line.put("prompt", requests.prompt());
      } else if (!requests.file().isEmpty()) {
        PromptRequests.Request r = requests.request(g.index(), n);
        line.put("request", g.index() / n);
        line.put("line", r.line());
        if (r.prompt().isInfill() || r.prompt().length() > 0) {
          line.put("prefix", r.prompt().prefix());
          line.put("suffix", r.prompt().suffix());
          line.put("length", r.prompt().length());
        } else {
          line.put("prompt", r.prompt().prefix());
        }
      }
      line.put("completion", g.completion());
      line.put("stop_reason", g.stopReason());
      line.put("prompt_length", g.promptLength());
      if (prompted || g.generated().length != g.ids().length) {
        line.put("generated_ids", g.generated());
      }
      line.put("text", g.text());
      line.put("ids", g.ids());
      line.put("steps", g.steps());
      line.put("nfe", g.nfe());
      line.put("entropy", h);
      lines.append(json.writeValueAsString(line)).append('\n');
      nfeSum += g.nfe();
      entropySum += h;
      seconds += g.seconds() / g.batchSize();
      tokens += Math.max(0, g.generated().length - givenPerRow);
      rowLength = Math.max(rowLength, g.ids().length);
      reasons.merge(g.stopReason(), 1, Integer::sum);
    }
    int count = samples.size();
    return new Result(
        lines.toString(), nfeSum / count, seconds, entropySum / count, tokens, rowLength, reasons);
  }
}
