package dev.dllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.data.BundledCorpus;
import dev.dllm.data.DllmCache;
import dev.dllm.data.bench.TokenizerBenchmark;
import dev.dllm.data.corpus.BlockDataset;
import dev.dllm.data.corpus.BlockMode;
import dev.dllm.data.corpus.CorpusFormat;
import dev.dllm.data.corpus.CorpusPipeline;
import dev.dllm.data.corpus.CorpusSource;
import dev.dllm.data.corpus.CorpusStats;
import dev.dllm.data.corpus.Newlines;
import dev.dllm.data.corpus.TokenizedCorpus;
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
 * {@code dllm tokenize}: tokenizes a corpus (or loads it from the token cache) and prints its
 * statistics as JSON: documents, bytes, tokens, train/validation tokens, blocks and dropped tokens
 * for {@code --seq-len}/{@code --mode}, vocabulary size, tokens/s and MB/s of the tokenization.
 * With {@code --bench}: the side-by-side throughput table of every tokenizer ({@link
 * TokenizerBenchmark}).
 */
public final class TokenizeCommand implements Command {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Override
  public String name() {
    return "tokenize";
  }

  @Override
  public String summary() {
    return "tokenize a corpus into the token cache and print its statistics (JSON)";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(
        Option.builder()
            .longOpt("data")
            .hasArg()
            .argName("PATH")
            .desc(".txt file, folder of .txt files, or .jsonl (default: bundled Tiny Shakespeare)")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("tokenizer")
            .hasArg()
            .argName("SPEC")
            .desc(
                "required: one of "
                    + Tokenizers.specForms()
                    + " (hf: a tokenizer.json, spm: a tokenizer.model)")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("seq-len")
            .hasArg()
            .argName("L")
            .desc("also count blocks of L tokens")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("mode")
            .hasArg()
            .argName(BlockMode.choices())
            .desc("block mode (default pack, as dllm train): " + BlockMode.described())
            .get());
    o.addOption(CorpusOptions.newlinesOption());
    o.addOption(
        Option.builder()
            .longOpt("text-field")
            .hasArg()
            .argName("F")
            .desc("JSONL field with the text (default text)")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("valid-fraction")
            .hasArg()
            .argName("F")
            .desc("validation fraction in [0, 0.5] (default 0.05)")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("cache")
            .hasArg()
            .argName("DIR")
            .desc("cache folder (default: -Ddllm.cache, $DLLM_CACHE or ~/.cache/dllm)")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("bench")
            .desc(
                "instead: tokenizer throughput of char, byte, gpt2, hf, spm on --data (hf/spm"
                    + " need -Ddllm.shared or $DLLM_SHARED)")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("out")
            .hasArg()
            .argName("FILE.json")
            .desc("also write the statistics to this file")
            .get());
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    if (cmd.hasOption("out")) {
      CliOptions.checkOutFile(Path.of(cmd.getOptionValue("out")), "out"); // before any work
    }
    if (cmd.hasOption("bench")) {
      return bench(cmd, out);
    }
    if (!cmd.hasOption("tokenizer")) {
      throw new InvalidInputException("--tokenizer is required: one of " + Tokenizers.specForms());
    }
    Path cache = cmd.hasOption("cache") ? Path.of(cmd.getOptionValue("cache")) : DllmCache.root();
    Path data =
        cmd.hasOption("data")
            ? Path.of(cmd.getOptionValue("data"))
            : BundledCorpus.tinyShakespeare(cache);
    CorpusSource source = CorpusSource.of(data);
    if (cmd.hasOption("text-field")) {
      source = source.withTextField(cmd.getOptionValue("text-field"));
    }
    if (cmd.hasOption("valid-fraction")) {
      source = source.withValidFraction(CliOptions.doubleOpt(cmd, "valid-fraction", 0));
    }
    source = source.withNewlines(CorpusOptions.newlines(cmd, Newlines.DEFAULT));
    TokenizedCorpus corpus =
        new CorpusPipeline(cache).load(source, cmd.getOptionValue("tokenizer"));
    CorpusStats s = corpus.stats();
    Tokenizer tok = corpus.tokenizer();
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("data", data.toAbsolutePath().toString());
    json.put("format", s.format());
    json.put("newlines", source.newlines().id());
    if (s.textField() != null) {
      json.put("textField", s.textField());
    }
    json.put("tokenizer", s.tokenizer());
    json.put("vocabSize", s.vocabSize());
    json.put("specials", tok.specials());
    if (source.format() == CorpusFormat.TEXT) {
      // one file is one document, split by byte fraction into a train and a validation part
      // (each part ends with EOS in the token stream)
      json.put("documents", 1);
      json.put("splitParts", s.documents());
    } else if (source.format() == CorpusFormat.DIRECTORY) {
      // at most one file is cut in two by the byte-tail split: it counts in both splits
      json.put("documents", s.files());
      json.put("trainDocuments", s.trainDocuments());
      json.put("validDocuments", s.validDocuments());
    } else {
      json.put("documents", s.documents());
      json.put("trainDocuments", s.trainDocuments());
      json.put("validDocuments", s.validDocuments());
    }
    json.put("fileBytes", s.bytes());
    json.put("textBytes", s.trainBytes() + s.validBytes());
    json.put("tokens", s.tokens());
    json.put("trainTokens", s.trainTokens());
    json.put("validTokens", s.validTokens());
    json.put("validFraction", s.validFraction());
    json.put("split", s.splitRule());
    json.put(
        "bytesPerToken",
        s.tokens() == 0 ? null : (double) (s.trainBytes() + s.validBytes()) / s.tokens());
    if (cmd.hasOption("seq-len")) {
      int length = CliOptions.intOpt(cmd, "seq-len", 0, 1);
      BlockMode mode = BlockMode.parse(cmd.getOptionValue("mode", "pack"));
      BlockDataset train = corpus.trainBlocks(length, mode);
      json.put("seqLen", length);
      json.put("mode", mode.id());
      json.put("trainBlocks", train.size());
      json.put("trainDroppedTokens", train.droppedTokens());
      try {
        BlockDataset valid = corpus.validBlocks(length, mode);
        json.put("validBlocks", valid.size());
        json.put("validDroppedTokens", valid.droppedTokens());
      } catch (InvalidInputException e) {
        json.put("validBlocks", 0);
        json.put("validDroppedTokens", s.validTokens());
        json.put("validNote", e.getMessage());
      }
    } else if (cmd.hasOption("mode")) {
      throw new InvalidInputException("--mode needs --seq-len");
    }
    json.put("cacheHit", corpus.cacheHit());
    if (corpus.cacheHit()) {
      // nothing was tokenized now: the throughput below is that of the run that built the entry
      json.put("throughputOf", "the run that built the cache entry (" + s.source() + ")");
    }
    json.put("tokenizeSeconds", s.tokenizeSeconds());
    json.put("tokensPerSecond", s.tokensPerSecond());
    json.put("megabytesPerSecond", s.megabytesPerSecond());
    json.put("cacheEntry", corpus.cacheEntry().toString());
    String text = JSON.writeValueAsString(json);
    out.println(text);
    writeOut(cmd, text);
    return 0;
  }

  private static int bench(CommandLine cmd, PrintStream out) throws Exception {
    Path cache = cmd.hasOption("cache") ? Path.of(cmd.getOptionValue("cache")) : DllmCache.root();
    Path data =
        cmd.hasOption("data")
            ? Path.of(cmd.getOptionValue("data"))
            : BundledCorpus.tinyShakespeare(cache);
    if (!Files.isRegularFile(data)) {
      throw new InvalidInputException("--bench needs --data to be a text file, got " + data);
    }
    List<TokenizerBenchmark.Result> rows =
        TokenizerBenchmark.run(data, out, TokenizerBenchmark.sharedDir());
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("data", data.toAbsolutePath().toString());
    json.put("threads", 1);
    json.put("cores", Runtime.getRuntime().availableProcessors());
    List<Map<String, Object>> list = new ArrayList<>();
    for (TokenizerBenchmark.Result r : rows) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("tokenizer", r.name());
      m.put("spec", r.spec());
      m.put("vocabSize", r.vocabSize());
      m.put("tokens", r.tokens());
      m.put("bytes", r.bytes());
      m.put("bytesPerToken", r.bytesPerToken());
      m.put("encodeMegabytesPerSecond", r.encodeMegabytesPerSecond());
      m.put("encodeTokensPerSecond", r.encodeTokensPerSecond());
      m.put("decodeMegabytesPerSecond", r.decodeMegabytesPerSecond());
      m.put("loadMillis", r.loadMillis());
      m.put("exactRoundTrip", r.exactRoundTrip());
      list.add(m);
    }
    json.put("results", list);
    writeOut(cmd, JSON.writeValueAsString(json));
    return 0;
  }

  private static void writeOut(CommandLine cmd, String text) throws java.io.IOException {
    if (!cmd.hasOption("out")) {
      return;
    }
    Path file = Path.of(cmd.getOptionValue("out")).toAbsolutePath();
    Files.createDirectories(file.getParent());
    Path tmp = dev.dllm.eval.EvalFiles.newTempFile(file.getParent(), "." + file.getFileName());
    try {
      Files.writeString(tmp, text + System.lineSeparator());
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
