package dev.dllm.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.dllm.api.AttentionLayout;
import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.FamilyRegistry;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.Logits;
import dev.dllm.api.NllSum;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.api.train.TrainingBatch;
import dev.dllm.api.train.TrainingObjective;
import dev.dllm.runtime.onnx.ExportMetadata;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import dev.dllm.trainer.Objectives;
import dev.dllm.trainer.autograd.DjlBackbone;
import dev.dllm.trainer.model.DitModel;
import dev.dllm.trainer.model.DjlDenoiser;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
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
    Fixture f = fixture();
    TinyModel tiny = f.tiny;
    int b = tiny.batch();
    int l = tiny.length();
    SpecialTokens specials = f.tokenizer.specials();
    TrainingObjective<NDArray> objective = Objectives.forFamily(familyName());
    ReferenceDit reference = new ReferenceDit(f.weights);
    int checked = 0;
    try (NDManager root = NDManager.newBaseManager("PyTorch");
        DitModel model = DitModel.fromWeights(root, f.weights)) {
      for (String name : objective.objectives()) {
        if (trainingOnlyObjectives().contains(name)) {
          continue;
        }
        for (long seed = 1; seed <= 2; seed++) {
          int[] x0 = f.cleanTokens(seed);
          double[] t = times(b);
          NllSum nelbo = family().nelbo(reference, x0, b, l, t.clone(), specials, new Rng(seed));
          assertTrue(nelbo.tokens() > 0 && nelbo.nll() > 0, "nelbo is not positive: " + nelbo);
          double expected = nelbo.nll() / lossNormaliser(name, nelbo, b, l);
          double loss;
          try (NDManager scope = root.newSubManager()) {
            TrainingBatch batch =
                new TrainingBatch(x0.clone(), b, l, t.clone(), specials, new Rng(seed), 0, 1);
            loss = objective.loss(batch, new DjlBackbone(model, scope, null), name).getFloat();
          }
          assertEquals(
              expected,
              loss,
              LOSS_TOLERANCE * Math.max(1, Math.abs(expected)),
              "objective '" + name + "' seed " + seed + ": DJL loss vs nelbo " + nelbo);
          checked++;
        }
      }
      assertTrue(
          checked > 0,
          "every objective of "
              + familyName()
              + " is listed as training-only; at least one must be a bound");
      try (NDManager scope = root.newSubManager()) {
        TrainingBatch batch =
            new TrainingBatch(f.cleanTokens(3), b, l, times(b), specials, new Rng(3), 0, 1);
        assertThrows(
            InvalidInputException.class,
            () -> objective.loss(batch, new DjlBackbone(model, scope, null), "no-such-objective"),
            "an unknown objective name must be refused");
      }
    }
  }

  /** Check 3: ONNX logits = DJL logits (dynamic batch and length; per-row sigma if timed). */
  @Test
  public void onnxLogitsEqualDjlLogits() {
    Fixture f = fixture();
    boolean timed = family().backbone().timeConditioned();
    int b = f.tiny.batch();
    int l = f.tiny.length();
    SplittableRandom r = new SplittableRandom(5);
    try (OnnxModel onnx = OnnxModel.open(f.export(), OrtConfig.defaults());
        NDManager root = NDManager.newBaseManager("PyTorch");
        DitModel model = DitModel.fromWeights(root, f.weights);
        DjlDenoiser djl = new DjlDenoiser(model)) {
      for (int[] shape : new int[][] {{1, 3}, {b, l}, {b + 1, l + 3}}) {
        TokenBatch tokens = f.anyTokens(r, shape[0], shape[1]);
        AttentionLayout layout = layout(shape[0], shape[1], r);
        float[] sigma = null;
        if (timed) {
          sigma = new float[shape[0]];
          for (int i = 0; i < sigma.length; i++) {
            sigma[i] = (float) (0.25 + 0.5 * i + r.nextDouble());
          }
        }
        Logits got = onnx.denoiser().forward(tokens, sigma, layout);
        float[] want = djl.forward(tokens, sigma, layout).values();
        String where = shape[0] + "x" + shape[1] + (layout == null ? "" : " sorted-causal");
        assertEquals(shape[0], got.batch(), where);
        assertEquals(shape[1], got.length(), where);
        assertEquals(f.config.vocabSize(), got.vocab(), where);
        double diff = Fixture.maxAbsDiff(got.values(), want);
        assertTrue(diff <= LOGIT_TOLERANCE, where + ": max |ONNX - DJL| = " + diff);
        assertTrue(Fixture.spread(want) > 0.1, where + ": logits are constant; check is vacuous");
        if (timed) {
          float[] zero = onnx.denoiser().forward(tokens, new float[shape[0]], layout).values();
          assertTrue(
              Fixture.maxAbsDiff(got.values(), zero) > 1e-3,
              where + ": a time-conditioned backbone ignores sigma in the export");
        }
      }
    }
  }

  /**
   * The layout the family's own forward uses: none (the backbone's pattern, positions 0..L-1),
   * except for a sorted-causal backbone: causal over the fed order with the rotary positions of a
   * random permutation per row (Eso-LM, spec §4.3).
   */
  private AttentionLayout layout(int batch, int length, SplittableRandom r) {
    if (family().backbone().attention() != BackboneSpec.Attention.SORTED_CAUSAL) {
      return null;
    }
    int[] positions = new int[batch * length];
    for (int row = 0; row < batch; row++) {
      for (int i = 0; i < length; i++) {
        int j = r.nextInt(i + 1); // Fisher-Yates, inside-out
        positions[row * length + i] = positions[row * length + j];
        positions[row * length + j] = i;
      }
    }
    return AttentionLayout.sortedCausal(positions, batch, length);
  }

  /** Check 4: samples hold no MASK and are identical at 1 and 2 ONNX Runtime threads. */
  @Test
  public void samplesHaveNoMaskAndDoNotDependOnThreads() {
    Fixture f = fixture();
    SampleBatch one = sample(f, 1);
    SampleBatch two = sample(f, 2);
    int b = f.tiny.batch();
    int l = f.tiny.length();
    int mask = f.tokenizer.specials().mask();
    assertEquals(b, one.tokens().batch());
    assertEquals(l, one.tokens().length());
    for (int id : one.tokens().ids()) {
      assertTrue(id >= 0 && id < f.config.vocabSize(), "sampled id " + id + " is outside [0, V)");
      assertNotEquals(mask, id, "a sample contains the MASK id");
    }
    assertTrue(one.nfe() > 0, "NFE must be positive, got " + one.nfe());
    assertArrayEquals(
        one.tokens().ids(), two.tokens().ids(), "samples differ between 1 and 2 threads");
    assertEquals(one.nfe(), two.nfe());
  }

  private SampleBatch sample(Fixture f, int threads) {
    try (OnnxModel m = OnnxModel.open(f.export(), OrtConfig.defaults().withThreads(threads))) {
      return family()
          .newSampler(samplerSpec())
          .sample(
              m.denoiser(), f.tiny.batch(), f.tiny.length(), m.metadata().specials(), new Rng(42));
    }
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
    Fixture f = fixture();
    DiffusionFamily fam = family();
    ExportMetadata md;
    try (OnnxModel m = OnnxModel.open(f.export(), OrtConfig.defaults())) {
      md = m.metadata();
    }
    assertEquals(familyName(), md.family());
    assertEquals(f.config, md.model());
    assertEquals(f.tiny.length(), md.seqLen());
    assertEquals(fam.schedule() == null ? "" : fam.schedule().name(), md.schedule());
    assertEquals(f.tokenizer.specials(), md.specials());
    Tokenizer restored = Tokenizers.restore(md.tokenizerSpec(), md.tokenizerState());
    assertEquals(f.tokenizer.spec(), restored.spec());
    assertEquals(f.tokenizer.vocabSize(), restored.vocabSize());
    assertEquals(f.tokenizer.state(), restored.state());
    assertEquals(f.tokenizer.specials(), restored.specials());
    Map<String, String> own = new TreeMap<>(fam.exportMetadata());
    assertEquals(familyName(), own.getOrDefault("family", familyName()), "exportMetadata family");
    own.remove("family");
    assertEquals(own, new TreeMap<>(md.familyMetadata()), "the family's exportMetadata()");
  }

  /** Check 6: N steps straight = N/2 steps, stop, resume, N/2 steps; bit for bit. */
  @Test
  public void resumeIsBitExact() throws Exception {
    ResumeCheck.run(fixture());
  }

  /** Diffusion times per row: spread over (0.2, 0.9) with a schedule, zeros without (as AR). */
  private double[] times(int batch) {
    double[] t = new double[batch];
    if (family().schedule() != null) {
      for (int i = 0; i < batch; i++) {
        t[i] = 0.2 + 0.7 * (i + 0.5) / batch;
      }
    }
    return t;
  }
}
