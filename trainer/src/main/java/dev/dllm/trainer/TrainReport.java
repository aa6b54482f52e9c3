package dev.dllm.trainer;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * The outcome of a run, written as {@code train-report.json} (snake_case keys). Units: losses in
 * nats/token, FLOPs counted as 6 · N_eff · tokens (spec §7.7).
 *
 * <p>A run continued with {@code --resume} reports the whole run: {@code steps}, {@code tokens},
 * {@code flops}, {@code seconds} and {@code loss_trace} are cumulative from step 0 to {@code
 * end_step}. What this invocation alone did is in {@code start_step}, {@code segment_steps} and
 * {@code segment_seconds}; {@code tokens_per_second} is the throughput of this invocation (B · L ·
 * segment_steps / segment_seconds). Values that do not exist are written as JSON null, never as
 * "NaN": {@code flops_budget} when the run was given {@code --steps}, {@code tokens_per_second}
 * when no time was measured.
 *
 * @param steps optimizer steps of the whole run (= end_step)
 * @param startStep the step this invocation started from (0, or the resumed checkpoint's step)
 * @param endStep the step this invocation stopped at
 * @param segmentSteps steps taken by this invocation (end_step − start_step)
 * @param tokens training tokens of the whole run, B · L · steps
 * @param flops training FLOPs of the whole run, 6 · N_eff · tokens
 * @param flopsBudget the {@code --flops} budget, or null when the length was given by {@code
 *     --steps}
 * @param seconds training wall clock of the whole run (the sum over all invocations; when resuming
 *     a checkpoint from before this field was recorded, only the invocations that recorded it):
 *     steps and checkpoints, validation excluded (it is in {@code validation_seconds})
 * @param segmentSeconds training wall clock of this invocation, validation excluded
 * @param validationSeconds wall clock of this invocation's validations (every {@code --val-every}
 *     and the final one); this invocation took about segment_seconds + validation_seconds from its
 *     first step to its report
 * @param finalValidationSeconds wall clock of the final validation (part of validation_seconds)
 * @param tokensPerSecond throughput of this invocation, or null
 * @param finalTrainLoss training loss of the last step, or null when unknown
 * @param lossTrace training loss of every step from step 1 (or from {@code loss_trace_start + 1}
 *     when resuming a checkpoint that did not record the earlier losses), in order
 * @param lossTraceStart number of steps before the first entry of {@code loss_trace} (0 unless the
 *     resumed checkpoint lacked the earlier trace)
 * @param corpus pre-training only (absent for fine-tuning): the corpus {@code path}, {@code
 *     format}, {@code files}, {@code bytes}, {@code checksum} (sha256 over the files' relative
 *     names, sizes and bytes) and its {@code split} (rule, requested fraction, train and validation
 *     tokens and bytes, the validation share of tokens)
 * @param sft fine-tuning only (absent otherwise): the prompt template, record formats, where the
 *     held-out pairs come from, and per split the file, pairs read, blocks kept, pairs skipped (too
 *     long for L; with their first lines), prompt and response tokens and the longest pair
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
    @JsonProperty("segment_steps") long segmentSteps,
    @JsonProperty("tokens") long tokens,
    @JsonProperty("flops") double flops,
    @JsonProperty("flops_budget") Double flopsBudget,
    @JsonProperty("seconds") double seconds,
    @JsonProperty("segment_seconds") double segmentSeconds,
    @JsonProperty("validation_seconds") double validationSeconds,
    @JsonProperty("final_validation_seconds") double finalValidationSeconds,
    @JsonProperty("tokens_per_second") Double tokensPerSecond,
    @JsonProperty("threads") int threads,
    @JsonProperty("final_train_loss") Double finalTrainLoss,
    @JsonProperty("val_nll") double valNll,
    @JsonProperty("val_bits_per_token") double valBitsPerToken,
    @JsonProperty("val_ppl") double valPpl,
    @JsonProperty("val_tokens") long valTokens,
    @JsonProperty("val_batches") int valBatches,
    @JsonProperty("val_uses_ema") boolean valUsesEma,
    @JsonProperty("checkpoint") String checkpoint,
    @JsonProperty("loss_trace_start") long lossTraceStart,
    @JsonProperty("loss_trace") List<Double> lossTrace,
    @JsonProperty("corpus") @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> corpus,
    @JsonProperty("sft") @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> sft) {}
