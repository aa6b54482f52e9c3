package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import dev.dllm.runtime.onnx.DllmGenerator;
import dev.dllm.runtime.onnx.GenerateOptions;
import dev.dllm.runtime.onnx.Prompt;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.cli.CommandLine;

/**
 * The prompts of a {@code dllm sample} run ({@link SampleCommand}): none, {@code --prompt TEXT}
 * (one for all samples) or {@code --prompts FILE} (each request {@code --num-samples} times, in
 * file order); how they become the generator's request, and their checks.
 */
record SampleRequests(String source, String prompt, List<PromptRequests.Request> file) {
  static final SampleRequests NONE = new SampleRequests(null, null, List.of());

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

  /**
   * The prompts given on the command line.
   *
   * @throws InvalidInputException for --prompt with --prompts, or a bad prompts file
   */
  static SampleRequests of(CommandLine cmd) {
    String prompt = cmd.getOptionValue("prompt");
    String file = cmd.getOptionValue("prompts");
    if (prompt != null && file != null) {
      throw new InvalidInputException(
          "--prompt and --prompts exclude each other: give one prompt for all samples or a file"
              + " of requests");
    }
    if (prompt != null) {
      return new SampleRequests("--prompt", prompt, List.of());
    }
    if (file != null) {
      Path path = Path.of(file);
      return new SampleRequests(path.toString(), null, PromptRequests.read(path));
    }
    return NONE;
  }
}
