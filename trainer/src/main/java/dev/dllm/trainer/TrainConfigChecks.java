package dev.dllm.trainer;

import dev.dllm.api.InvalidInputException;

/** The range and combination checks of {@link TrainConfig#validate()}. */
final class TrainConfigChecks {
  private TrainConfigChecks() {}

  /**
   * Checks ranges and combinations.
   *
   * @throws InvalidInputException naming the option and what was expected
   */
  static void check(TrainConfig c) {
    require(c.family() != null && !c.family().isBlank(), "--family is required");
    require(c.out() != null, "--out is required");
    require(c.seqLen() >= 2, "--seq-len must be >= 2, got " + c.seqLen());
    dev.dllm.data.corpus.BlockMode.parse(c.mode());
    dev.dllm.data.corpus.Newlines.parse(c.newlines());
    require(c.batch() >= 1, "--batch must be >= 1, got " + c.batch());
    MemoryBudget.requireOneArray(c.batch(), c.seqLen());
    require(c.accumulation() >= 1, "--accum must be >= 1, got " + c.accumulation());
    require(
        c.batch() % c.accumulation() == 0,
        "--batch " + c.batch() + " must be divisible by --accum " + c.accumulation());
    require(c.steps() >= 0, "--steps must be >= 1, got " + c.steps());
    double flops = c.flops();
    require(
        flops >= 0 && !Double.isNaN(flops) && !Double.isInfinite(flops),
        "--flops must be a finite number > 0, got " + flops);
    require(
        (flops > 0) != (c.steps() > 0),
        "give exactly one of --flops C or --steps N (got flops "
            + flops
            + ", steps "
            + c.steps()
            + ")");
    double lr = c.lr();
    require(lr > 0 && Double.isFinite(lr), "--lr must be > 0, got " + lr);
    require(c.minLr() >= 0 && c.minLr() <= lr, "--min-lr must be in [0, lr], got " + c.minLr());
    require(c.clipNorm() >= 0, "--clip must be >= 0, got " + c.clipNorm());
    double ema = c.ema();
    require(ema == 0 || (ema > 0 && ema < 1), "--ema must be 0 (off) or in (0, 1), got " + ema);
    require(c.dropout() >= 0 && c.dropout() < 1, "--dropout must be in [0, 1), got " + c.dropout());
    require(c.threads() >= 0, "--threads must be >= 0, got " + c.threads());
    require(
        c.valEvery() >= 0 && c.valBatches() >= 0 && c.checkpointEvery() >= 0,
        "intervals must be >= 0");
    require(c.stopAfter() >= 0, "--stop-after must be >= 0");
    long round = c.familyTraining().teacherRefresh();
    require(
        round <= 0 || c.checkpointEvery() % round == 0,
        "--checkpoint-every "
            + c.checkpointEvery()
            + " is not a multiple of --steps-per-round "
            + round
            + ": a checkpoint inside a teacher round cannot be resumed exactly (the round's"
            + " frozen teacher is not saved)");
    require(c.warmup() >= -1, "--warmup must be >= 0, got " + c.warmup());
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new InvalidInputException(message);
    }
  }
}
