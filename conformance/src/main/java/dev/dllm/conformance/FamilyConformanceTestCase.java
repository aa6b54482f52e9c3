package dev.dllm.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.NllSum;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.trainer.Objectives;
import dev.dllm.trainer.autograd.DjlBackbone;
import dev.dllm.trainer.model.DitModel;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What every family owes, as one abstract JUnit 5 test (after Lucene's {@code
 * BasePostingsFormatTestCase}): a family's test class extends it, names the family and a tiny
 * model, and inherits the checks.
 *
 * <pre>{@code
 * class DuoConformanceTest extends FamilyConformanceTestCase {
 *   protected String familyName() { return "duo"; }
 *   protected TinyModel tinyModel() { return TinyModel.DEFAULT; }
 * }
 * }</pre>
 *
 * <ol>
 *   <li>{@link #foundByName}: {@link FamilyRegistry} finds the family by its name, with its DJL
 *       {@link TrainingObjective}; an unknown name fails listing the registered ones.
 *   <li>{@link #trainingLossEqualsFloat64Nelbo}: for every objective that is a bound, the DJL
 *       training loss ({@link TrainingObjective#loss} through {@link DjlBackbone} on a tiny random
 *       {@link DitModel}) equals the family's float64 {@link DiffusionFamily#nelbo} over the
 *       independent float64 {@link ReferenceDit} on the same weights, tokens, times and Rng seed,
 *       divided by {@link #lossNormaliser} (B·L for MDLM, B·(L−1) for AR: {@link NllSum#tokens()}).
 *   <li>{@link #onnxLogitsEqualDjlLogits}: the ONNX export's logits equal DJL's within 1e-4 for
 *       random tokens at several batch sizes and lengths (one longer than the trained L), with a
 *       distinct sigma ≠ 0 per row when the backbone is time-conditioned (and sigma must matter),
 *       and through a sorted-causal layout over random orders when the backbone is sorted-causal.
 *   <li>{@link #samplesHaveNoMaskAndDoNotDependOnThreads}: {@link DiffusionFamily#newSampler} over
 *       the ONNX denoiser returns ids in [0, V) without the MASK id, identical for one seed at 1
 *       and 2 ONNX Runtime intra-op threads.
 *   <li>{@link #exportMetadataRoundTrips}: family, model shape, sequence length, schedule,
 *       tokenizer (spec, state, special ids) and the family's own metadata survive checkpoint →
 *       export → {@link OnnxModel#open}.
 *   <li>{@link #resumeIsBitExact}: a tiny {@code Trainer} run of N steps and one stopped halfway
 *       then resumed give bit-identical loss traces, weights and optimizer state.
 *   <li>Conditioning ({@link ConditioningCheck}): {@link #givenPositionsComeBackVerbatim}, {@link
 *       #batchedRowsEqualRowsSampledOneByOne}, {@link #infillIsHonouredOrRefused}, {@link
 *       #emptyConditioningIsTheUnconditionalSampler}, {@link
 *       #conditionalNelboScoresOnlyFreePositions}.
 *   <li>{@link #sftLossMasksThePrompt} ({@link SftMaskCheck}, issue 17): every objective honours
 *       the SFT loss mask {@link TrainingBatch#given()}: an empty mask is pre-training, prompt
 *       positions are never corrupted in what the network is fed, the loss of a bound equals {@link
 *       DiffusionFamily#conditionalNelbo} / its free tokens, and a prompt token's target never
 *       changes the loss.
 * </ol>
 *
 * <p>Hooks: {@link #trainingOnlyObjectives} (objectives that are not a bound, such as {@code
 * low_var}), {@link #lossNormaliser}, {@link #samplerSpec}. The kit builds random weights, a
 * scratch folder and one export per test class; every check runs in about a second.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class FamilyConformanceTestCase {
  /** Largest |ONNX − DJL| logit difference allowed. */
  public static final double LOGIT_TOLERANCE = 1e-4;

  /** Relative tolerance of DJL float32 loss vs float64 NELBO per token. */
  public static final double LOSS_TOLERANCE = 1e-4;

  private Fixture fixture;

  /** The family's registry name ({@link DiffusionFamily#name()}). */
  protected abstract String familyName();

  /** The tiny model and batch the checks run on; {@link TinyModel#DEFAULT} suits most families. */
  protected abstract TinyModel tinyModel();

  /**
   * The family under test; by default the one {@link FamilyRegistry} finds under {@link
   * #familyName()}. Override only to test the kit itself (wrapping a family in a fault).
   */
  protected DiffusionFamily family() {
    return FamilyRegistry.load().get(familyName());
  }

  /**
   * Objectives of the family's {@link TrainingObjective} that are training-only, not a bound on the
   * NLL, and so are not compared with {@code nelbo} (MDLM: {@code low_var}). Default: none.
   */
  protected Set<String> trainingOnlyObjectives() {
    return Set.of();
  }

  /**
   * What the NELBO sum is divided by to give the training loss of {@code objective}: by default
   * {@link NllSum#tokens()} (B·L positions for MDLM-style families, B·(L−1) targets for AR).
   */
  protected double lossNormaliser(String objective, NllSum nelbo, int batch, int length) {
    return nelbo.tokens();
  }

  /** The sampler configuration of the sampling check: 4 steps, no top-p, default options. */
  protected SamplerSpec samplerSpec() {
    return new SamplerSpec(4, 1.0, Map.of());
  }

  /** The shared fixture (built on first use). */
  final synchronized Fixture fixture() {
    if (fixture == null) {
      fixture = new Fixture(familyName(), family(), tinyModel());
    }
    return fixture;
  }

  /** Deletes the scratch folder of this test class (JUnit calls it after the last check). */
  @AfterAll
  protected final synchronized void closeFixture() {
    if (fixture != null) {
      fixture.close();
      fixture = null;
    }
  }

  /** Check 1: found by name (with a DJL training objective); unknown names list the registered. */
  @Test
  public void foundByName() {
    FamilyRegistry registry = FamilyRegistry.load();
    assertTrue(
        registry.names().contains(familyName()),
        "family '" + familyName() + "' is not registered; registered: " + registry.names());
    DiffusionFamily f = registry.get(familyName());
    assertEquals(familyName(), f.name());
    assertNotNull(f.backbone(), "backbone()");
    assertTrue(f.description() != null && !f.description().isBlank(), "description()");
    TrainingObjective<NDArray> objective = Objectives.forFamily(familyName());
    assertEquals(familyName(), objective.family());
    assertTrue(!objective.objectives().isEmpty(), "the training objective lists no objectives");
    String unknown = familyName() + "-not-registered";
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> registry.get(unknown));
    assertTrue(e.getMessage().contains(unknown), e.getMessage());
    for (String name : registry.names()) {
      assertTrue(e.getMessage().contains(name), "message lists '" + name + "': " + e.getMessage());
    }
  }

  /**
   * Check 2: DJL training loss = float64 nelbo / normaliser, for each objective that is a bound.
   */
  @Test
  public void trainingLossEqualsFloat64Nelbo() {
    LossCheck.run(
        fixture(), family(), familyName(), trainingOnlyObjectives(), this::lossNormaliser);
  }

  /** Check 3: ONNX logits = DJL logits (dynamic batch and length; per-row sigma if timed). */
  @Test
  public void onnxLogitsEqualDjlLogits() {
    new ExportCheck(fixture(), family(), familyName()).onnxLogitsEqualDjlLogits();
  }

  /** Check 4: samples hold no MASK and are identical at 1 and 2 ONNX Runtime threads. */
  @Test
  public void samplesHaveNoMaskAndDoNotDependOnThreads() {
    new SamplingCheck(fixture(), family(), samplerSpec()).run();
  }

  private ConditioningCheck conditioning() {
    return new ConditioningCheck(fixture(), family(), samplerSpec());
  }

  /** Check 7: prompt ids come back verbatim (rows of different prompt lengths), 1 = 2 threads. */
  @Test
  public void givenPositionsComeBackVerbatim() {
    conditioning().givenPositionsComeBackVerbatim();
  }

  /** Check 8: batched rows with different prompts equal the same rows sampled one by one. */
  @Test
  public void batchedRowsEqualRowsSampledOneByOne() {
    conditioning().batchedRowsEqualRowsOneByOne();
  }

  /** Check 9: gaps are filled around given tokens, or refused (prefix-only families such as AR). */
  @Test
  public void infillIsHonouredOrRefused() {
    conditioning().infillIsHonouredOrRefused();
  }

  /** Check 10: {@code Conditioning.none} gives exactly the unconditional samples and NFE. */
  @Test
  public void emptyConditioningIsTheUnconditionalSampler() {
    conditioning().emptyConditioningIsTheUnconditionalSampler();
  }

  /** Check 11: conditional likelihood with nothing given is nelboPerRow; a prompt is not scored. */
  @Test
  public void conditionalNelboScoresOnlyFreePositions() {
    conditioning().conditionalNelbo();
  }

  /**
   * Check 12: the SFT loss mask (prompt positions never corrupted, never scored; loss = float64
   * conditional NELBO per free token), for every objective; see {@link SftMaskCheck}.
   */
  @Test
  public void sftLossMasksThePrompt() {
    new SftMaskCheck(
            fixture(), family(), Objectives.forFamily(familyName()), trainingOnlyObjectives())
        .run();
  }

  /** Check 5: export metadata round-trips through checkpoint, export and open. */
  @Test
  public void exportMetadataRoundTrips() {
    new ExportCheck(fixture(), family(), familyName()).exportMetadataRoundTrips();
  }

  /** Check 6: N steps straight = N/2 steps, stop, resume, N/2 steps; bit for bit. */
  @Test
  public void resumeIsBitExact() throws Exception {
    ResumeCheck.run(fixture());
  }
}
