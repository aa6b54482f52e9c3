package dev.dllm.trainer;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The outcome of a run, written as {@code train-report.json} (snake_case keys). Units: losses in
 * nats/token, FLOPs counted as 6 · N_eff · tokens (spec §7.7), seconds of wall clock for the steps
 * of this invocation (a resumed run reports its own part), tokens/s = B · L · steps / seconds.
 *
 * @param lossTrace training loss of every step taken in this invocation, in order
 */
public record TrainReport(
    @JsonProperty("family") String family,
    @JsonProperty("objective") String objective,
    @JsonProperty("preset") String preset,
    @JsonProperty("tokenizer") String tokenizer,
    @JsonProperty("vocab_size") int vocabSize,
    @JsonProperty("params_total") long paramsTotal,
    @JsonProperty("params_non_embedding") long paramsNonEmbedding,
    @JsonProperty("n_eff") long nEff,
    @JsonProperty("seq_len") int seqLen,
    @JsonProperty("batch") int batch,
    @JsonProperty("accumulation") int accumulation,
    @JsonProperty("steps") long steps,
    @JsonProperty("start_step") long startStep,
    @JsonProperty("end_step") long endStep,
    @JsonProperty("tokens") long tokens,
    @JsonProperty("flops") double flops,
    @JsonProperty("flops_budget") double flopsBudget,
    @JsonProperty("seconds") double seconds,
    @JsonProperty("tokens_per_second") double tokensPerSecond,
    @JsonProperty("threads") int threads,
    @JsonProperty("final_train_loss") double finalTrainLoss,
    @JsonProperty("val_nll") double valNll,
    @JsonProperty("val_bits_per_token") double valBitsPerToken,
    @JsonProperty("val_ppl") double valPpl,
    @JsonProperty("val_tokens") long valTokens,
    @JsonProperty("val_batches") int valBatches,
    @JsonProperty("val_uses_ema") boolean valUsesEma,
    @JsonProperty("checkpoint") String checkpoint,
    @JsonProperty("loss_trace") List<Double> lossTrace) {}
