package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.data.corpus.BlockMode;
import dev.dllm.runtime.onnx.OrtConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.cli.Option;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19 item 7: help texts list every value a command accepts (derived from the code that parses
 * them), say the defaults and which options are required; a default output that exists is refused
 * without naming an option the user never passed; a run folder given as {@code --model} is found
 * through its {@code onnx/} export or refused naming {@code dllm export}.
 */
class NewUserMessagesTest {
  @TempDir Path tmp;
  private final CliRun cli = new CliRun();

  private static Option option(Command c, String name) {
    Option o = c.options().getOption(name);
    assertTrue(o != null, c.name() + " --" + name);
    return o;
  }

  private static String help(Command c, String name) {
    Option o = option(c, name);
    return o.getArgName() + " " + o.getDescription();
  }

  @Test
  void everyAcceptedValueIsInTheHelp() {
    for (Command c : List.of(new TokenizeCommand(), new TrainCommand(), new SweepCommand())) {
      for (BlockMode m : BlockMode.values()) {
        assertTrue(help(c, "mode").contains(m.id()), c.name() + " --mode: " + help(c, "mode"));
      }
      for (String scheme : Tokenizers.schemes()) {
        assertTrue(
            help(c, "tokenizer").contains(scheme),
            c.name() + " --tokenizer lacks " + scheme + ": " + help(c, "tokenizer"));
      }
    }
    String level = help(new SampleCommand(), "opt-level");
    for (String l : OrtConfig.OPT_LEVELS) {
      assertTrue(level.contains(l), level);
    }
    assertTrue(level.contains("(default " + OrtConfig.DEFAULT_OPT_LEVEL + ")"), level);
    // the stated default is the one used
    assertEquals(
        new OrtConfig("cpu", 0, OrtConfig.DEFAULT_OPT_LEVEL),
        SampleOptions.ortConfig(parse(new SampleCommand())));
  }

  private static org.apache.commons.cli.CommandLine parse(Command c, String... args) {
    try {
      return new org.apache.commons.cli.DefaultParser().parse(c.options(), args);
    } catch (org.apache.commons.cli.ParseException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void trainHelpSaysWhichOptionsAreRequired() {
    Command train = new TrainCommand();
    for (String name : List.of("family", "out", "flops", "steps")) {
      assertTrue(option(train, name).getDescription().contains("required"), "--" + name);
    }
    // and they are: without them train refuses, naming the option
    assertEquals(2, cli.run("train", "--steps", "1", "--out", tmp.resolve("r").toString()));
    assertTrue(cli.err().contains("--family"), cli.err());
    assertEquals(2, cli.run("train", "--family", "ar", "--steps", "1"));
    assertTrue(cli.err().contains("--out"), cli.err());
  }

  @Test
  void aSecondEvalWithoutOutSaysWhereTheDefaultOutputIs() throws Exception {
    Path model = TinyExports.export("ar", 4, tmp.resolve("ex"));
    Path text = Files.writeString(tmp.resolve("t.txt"), "abc def ghij klm nop. ".repeat(20));
    String[] eval = {
      "eval", "--model", model.toString(), "--data", text.toString(), "--detokenizer", "none"
    };
    assertEquals(0, cli.run(eval), cli.err());
    assertEquals(2, cli.run(eval));
    String msg = cli.err().strip();
    assertTrue(
        msg.contains(
            model.resolve("eval-report.json")
                + " already exists (the default output, as --out was not given); choose another"
                + " place with --out or pass --overwrite"),
        msg);
    assertTrue(!msg.startsWith("--out"), msg);
  }

  @Test
  void aRunFolderAsModelFindsItsExportOrSaysToExport() throws Exception {
    Path run = tmp.resolve("run");
    Path onnx = TinyExports.export("mdlm", 3, run.resolve("onnx"));
    // TinyExports puts the checkpoint beside the export; a run folder holds it as checkpoint/
    Files.move(run.resolve("onnx-checkpoint"), run.resolve("checkpoint"));
    Path out = tmp.resolve("s.jsonl");
    String[] sample = {
      "sample",
      "--model",
      run.toString(),
      "--num-samples",
      "1",
      "--steps",
      "2",
      "--out",
      out.toString()
    };
    assertEquals(0, cli.run(sample), cli.err());
    assertTrue(Files.size(out) > 0);
    // the same run before its export
    Path bare = tmp.resolve("bare");
    Files.createDirectories(bare);
    Files.move(run.resolve("checkpoint"), bare.resolve("checkpoint"));
    sample[2] = bare.toString();
    sample[sample.length - 1] = tmp.resolve("s2.jsonl").toString();
    assertEquals(2, cli.run(sample));
    assertTrue(
        cli.err()
            .contains(
                "run `dllm export --checkpoint "
                    + bare.resolve("checkpoint")
                    + " --out "
                    + bare.resolve("onnx")
                    + "` first"),
        cli.err());
    assertEquals(1, cli.err().strip().lines().count(), cli.err());
    assertTrue(Files.isDirectory(onnx));
  }
}
