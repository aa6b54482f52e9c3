package dev.dllm.trainer;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Refuses a training run whose token batch, model or activations cannot fit in memory, before
 * anything is allocated or written (a {@code --batch 1000000000} otherwise fails after minutes with
 * an allocator error). First, B·L must fit one Java array ({@link #requireOneArray}, checked by
 * {@link TrainConfig#validate()}); then, with the model's shape known, the estimates below are
 * compared with the memory available. They are lower bounds, so a refused run could not have run:
 *
 * <ul>
 *   <li>Java heap: the step's token batch {@code [B, L]} int32 and one micro-batch's copies (int32
 *       ids, int32 z_t and their int64 copies for the engine): {@code 4·B·L + 24·b·L} bytes with b
 *       = B / K; validation copies the logits {@code [b_v, L, V]} float32 to the heap, {@code
 *       4·b_v·L·V} with b_v = min(B, validation sequences). Bound: {@link Runtime#maxMemory()}.
 *   <li>Native memory (PyTorch): parameters, gradients and the two AdamW moments (plus the EMA
 *       copy) in float32, {@code 4·P·(4 + ema)}; the activations autograd keeps for one
 *       micro-batch: per block at least 16 values per token and hidden unit plus the attention
 *       probabilities {@code H·L} per token (the backward of softmax·V needs them), and the logits
 *       with their log-softmax and gradient {@code 3·V} per token, all float32. Bound: the
 *       machine's physical memory.
 * </ul>
 */
public final class MemoryBudget {
  /** Most tokens one step's batch may hold: B·L ids live in one Java {@code int[]}. */
  public static final long MAX_BATCH_TOKENS = Integer.MAX_VALUE - 8;

  private MemoryBudget() {}

  /**
   * Refuses a batch whose B·L token ids exceed one Java array ({@link #MAX_BATCH_TOKENS}).
   *
   * @throws InvalidInputException naming --batch and --seq-len
   */
  static void requireOneArray(int batch, int seqLen) {
    long tokens = (long) batch * seqLen;
    if (tokens > MAX_BATCH_TOKENS) {
      throw new InvalidInputException(
          "--batch "
              + batch
              + " with --seq-len "
              + seqLen
              + " is "
              + tokens
              + " tokens per step; one token batch holds at most "
              + MAX_BATCH_TOKENS
              + " (a Java array); use a smaller --batch");
    }
  }

  /** The estimated bytes of one training run; see the class comment. */
  record Estimate(long heapBytes, long modelBytes, long activationBytes) {
    long nativeBytes() {
      return saturatedAdd(modelBytes, activationBytes);
    }
  }

  /**
   * Checks {@code config} with model {@code shape} against this JVM's heap and this machine's
   * physical memory.
   *
   * @param validSequences validation sequences of the corpus (bounds the validation batch)
   * @throws InvalidInputException naming the option to change when the run cannot fit
   */
  public static void check(TrainConfig config, DitConfig shape, long validSequences) {
    check(config, shape, validSequences, Runtime.getRuntime().maxMemory(), physicalMemory());
  }

  /**
   * {@link #check(TrainConfig, DitConfig, long)} against given bounds (tests); a bound &lt;= 0 is
   * not checked.
   */
  static void check(
      TrainConfig config, DitConfig shape, long validSequences, long maxHeap, long physical) {
    Estimate e = estimate(config, shape, validSequences);
    String model = ModelShape.option(config);
    if (physical > 0 && e.modelBytes() > physical) {
      throw new InvalidInputException(
          String.format(
              Locale.ROOT,
              "%s: the model's %d parameters need at least %s with gradients and AdamW state, more"
                  + " than this machine's %s of memory; choose a smaller model",
              model,
              DitLayout.totalParams(shape),
              bytes(e.modelBytes()),
              bytes(physical)));
    }
    if (physical > 0 && e.nativeBytes() > physical) {
      throw new InvalidInputException(
          String.format(
              Locale.ROOT,
              "--batch %d (--seq-len %d, --accum %d): one micro-batch of %d sequences needs at"
                  + " least %s of activations besides %s for the model and AdamW state, more than"
                  + " this machine's %s of memory; use a smaller --batch or --seq-len, or"
                  + " --accum K to split the batch into K micro-batches",
              config.batch(),
              config.seqLen(),
              config.accumulation(),
              config.batch() / config.accumulation(),
              bytes(e.activationBytes()),
              bytes(e.modelBytes()),
              bytes(physical)));
    }
    if (maxHeap > 0 && maxHeap != Long.MAX_VALUE && e.heapBytes() > maxHeap) {
      throw new InvalidInputException(
          String.format(
              Locale.ROOT,
              "--batch %d (--seq-len %d): the token batch and validation logits need at least %s"
                  + " of Java heap, but this JVM may use at most %s; use a smaller --batch (or"
                  + " raise the heap, e.g. DLLM_JAVA_OPTS=-Xmx%dg)",
              config.batch(),
              config.seqLen(),
              bytes(e.heapBytes()),
              bytes(maxHeap),
              Math.max(1, (long) Math.ceil(e.heapBytes() * 1.5 / (1L << 30)))));
    }
  }

  /** The estimate of the class comment, saturating at {@link Long#MAX_VALUE}. */
  static Estimate estimate(TrainConfig config, DitConfig shape, long validSequences) {
    double b = config.batch();
    double micro = b / config.accumulation();
    double len = config.seqLen();
    double vocab = shape.vocabSize();
    double validRows = Math.min(b, Math.max(0, validSequences));
    double heap = Math.max(4 * b * len + 24 * micro * len, 4 * validRows * len * vocab);
    double params = DitLayout.totalParams(shape);
    double model = 4 * params * (config.ema() > 0 ? 5 : 4);
    double perToken = shape.blocks() * (16.0 * shape.hidden() + shape.heads() * len) + 3 * vocab;
    double activations = 4 * micro * len * perToken;
    return new Estimate(toLong(heap), toLong(model), toLong(activations));
  }

  /** Total physical memory in bytes (the container's limit where one applies), or 0 if unknown. */
  static long physicalMemory() {
    try {
      if (ManagementFactory.getOperatingSystemMXBean()
          instanceof com.sun.management.OperatingSystemMXBean os) {
        return os.getTotalMemorySize();
      }
    } catch (RuntimeException | LinkageError e) {
      // not available on this JVM: only the heap is checked
    }
    return 0;
  }

  /** Bytes in binary units, e.g. {@code 1.5 GiB}. */
  static String bytes(long n) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = n;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0 ? n + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  private static long toLong(double v) {
    return v >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) Math.ceil(v);
  }

  private static long saturatedAdd(long a, long b) {
    long s = a + b;
    return ((a ^ s) & (b ^ s)) < 0 ? Long.MAX_VALUE : s;
  }
}
