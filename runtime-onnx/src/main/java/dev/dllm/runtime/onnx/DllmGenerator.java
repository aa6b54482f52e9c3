package dev.dllm.runtime.onnx;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Text generation from an export folder for deployers: ONNX Runtime and the family jars only (no
 * DJL, no checkpoint). The family, tokenizer and block length come from the export's metadata.
 *
 * <pre>{@code
 * try (DllmGenerator g = DllmGenerator.open(Path.of("export"))) {
 *   for (Generated s : g.generate(GenerateOptions.defaults().withNumber(4).withSteps(128))) {
 *     System.out.println(s.nfe() + " NFE: " + s.text());
 *   }
 * }
 * }</pre>
 *
 * <p>Everything is loaded by {@link #open} (sessions and tokenizer): the folder is not read again.
 * Thread-safe: several threads may call {@link #generate} on one generator; each call has its own
 * sampler and random streams and the network calls overlap (see {@link OnnxDenoiser}). Samples
 * depend only on the options (same seed, same samples, whatever the concurrency): batch k of a
 * request draws from the k-th split of {@code new Rng(seed)}, as {@code dllm sample} does.
 */
public final class DllmGenerator implements AutoCloseable {
  private final OnnxModel model;
  private final Tokenizer tokenizer;

  private DllmGenerator(OnnxModel model) {
    this.model = model;
    try {
      this.tokenizer = model.tokenizer();
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
  }

  /**
   * Opens an export folder on the CPU with ONNX Runtime's default threads.
   *
   * @throws InvalidInputException when the folder is not a readable, consistent dllm export or its
   *     family or tokenizer is not on the class path
   */
  public static DllmGenerator open(Path export) {
    return open(export, OrtConfig.defaults());
  }

  /** As {@link #open(Path)} with a provider, thread count and optimisation level. */
  public static DllmGenerator open(Path export, OrtConfig config) {
    return open(export, config, OrtCalls.DEFAULT);
  }

  /** As {@link #open(Path, OrtConfig)}, calling ONNX Runtime through {@code calls} (test seam). */
  public static DllmGenerator open(Path export, OrtConfig config, OrtCalls calls) {
    return new DllmGenerator(OnnxModel.open(export, config, calls));
  }

  /** The opened export (metadata, family, provider). */
  public OnnxModel model() {
    return model;
  }

  /** The family's registry name, from the export's metadata. */
  public String family() {
    return model.family().name();
  }

  /** The tokenizer restored from the export. */
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /**
   * Draws {@code options.number()} samples.
   *
   * @return the samples in request order, all complete; nothing is returned when a network call
   *     fails
   * @throws InvalidInputException for options the family refuses, a length the export does not
   *     record, or a token id outside the vocabulary
   * @throws IllegalStateException when ONNX Runtime fails while sampling: one message naming the
   *     samples whose batch failed (the cause is ONNX Runtime's error)
   */
  public List<Generated> generate(GenerateOptions options) {
    int n = options.number();
    int length = options.length() > 0 ? options.length() : model.metadata().seqLen();
    if (length < 2) {
      throw new InvalidInputException(
          model.directory() + " does not record its training length; set a length");
    }
    DiffusionFamily family = model.family();
    Sampler sampler =
        family.newSampler(
            new SamplerSpec(options.steps(), options.topP(), options.familyOptions()));
    int steps =
        family.backbone().attention() == BackboneSpec.Attention.CAUSAL
            ? length - 1
            : options.steps();
    int batch = options.effectiveBatch();
    Rng rng = new Rng(options.seed());
    List<Generated> out = new ArrayList<>(n);
    for (int done = 0; done < n; ) {
      int b = Math.min(batch, n - done);
      Rng batchRng = rng.split();
      long t0 = System.nanoTime();
      SampleBatch s;
      try {
        s = sampler.sample(model.denoiser(), b, length, model.metadata().specials(), batchRng);
      } catch (InvalidInputException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new IllegalStateException(
            String.format(
                "sampling failed in the batch of samples %d-%d of %d; no samples are returned: %s",
                done, done + b - 1, n, firstLine(e.getMessage())),
            e);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      int rowLength = s.tokens().length();
      if (s.tokens().batch() != b) {
        throw new IllegalStateException(
            "sampler returned " + s.tokens().batch() + " rows for a batch of " + b);
      }
      for (int row = 0; row < b; row++) {
        int[] ids = Arrays.copyOfRange(s.tokens().ids(), row * rowLength, (row + 1) * rowLength);
        out.add(new Generated(done + row, tokenizer.decode(ids), ids, steps, s.nfe(), b, seconds));
      }
      done += b;
    }
    return out;
  }

  static String firstLine(String s) {
    return String.valueOf(s).lines().findFirst().orElse("").strip();
  }

  /** Closes the sessions and frees their native memory (waits for calls in flight). */
  @Override
  public void close() {
    model.close();
  }
}
