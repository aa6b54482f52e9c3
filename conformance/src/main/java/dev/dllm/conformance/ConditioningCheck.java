package dev.dllm.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.DiffusionFamily;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.NllSum;
import dev.dllm.api.model.ReferenceDit;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The conditioning checks of {@link FamilyConformanceTestCase} (issue 16): given positions come
 * back verbatim at 1 and 2 threads, batched rows with different prompt lengths equal the same rows
 * sampled one by one, infill is honoured or refused, an empty conditioning is the unconditional
 * sampler, and conditional likelihood with nothing given is {@code nelboPerRow}.
 */
final class ConditioningCheck {
  private static final long SEED = 42;

  private final Fixture f;
  private final DiffusionFamily family;
  private final SamplerSpec spec;

  ConditioningCheck(Fixture f, DiffusionFamily family, SamplerSpec spec) {
    this.f = f;
    this.family = family;
    this.spec = spec;
  }

  /** B + 1 rows; row b has a prompt of 1 + 2b tokens (capped at L - 2), all different. */
  Conditioning prompts() {
    int rows = f.tiny.batch() + 1;
    int length = f.tiny.length();
    SplittableRandom r = new SplittableRandom(3);
    int chars = f.tokenizer.vocabSize() - 4;
    List<int[]> prompts = new ArrayList<>();
    for (int b = 0; b < rows; b++) {
      int[] p = new int[Math.min(1 + 2 * b, length - 2)];
      for (int i = 0; i < p.length; i++) {
        p[i] = r.nextInt(chars);
      }
      prompts.add(p);
    }
    return Conditioning.prefixes(prompts, length);
  }

  /** A prefix of 2, a gap, 2 given tokens, a gap of 1, one given token at the end (L >= 6). */
  Conditioning gaps() {
    int length = f.tiny.length();
    int[] ids = new int[length];
    Arrays.fill(ids, Conditioning.FREE);
    ids[0] = 1;
    ids[1] = 2;
    ids[length - 4] = 3;
    ids[length - 3] = 0;
    ids[length - 1] = 4;
    return Conditioning.stack(List.of(Conditioning.of(ids, 1, length), prompts().row(0)));
  }

  SampleBatch sample(Conditioning given, int threads, Rng[] rows) {
    try (OnnxModel m = OnnxModel.open(f.export(), OrtConfig.defaults().withThreads(threads))) {
      return family
          .newSampler(spec)
          .sample(m.denoiser(), given, m.metadata().specials(), rows, null);
    }
  }

  static Rng[] streams(int batch) {
    return Conditioning.rowStreams(new Rng(SEED), batch);
  }

  void assertHonours(Conditioning given, SampleBatch s, String what) {
    assertEquals(given.batch(), s.tokens().batch(), what + ": rows");
    assertEquals(given.length(), s.tokens().length(), what + ": row length");
    int mask = f.tokenizer.specials().mask();
    for (int b = 0; b < given.batch(); b++) {
      for (int l = 0; l < given.length(); l++) {
        int id = s.tokens().get(b, l);
        assertTrue(id >= 0 && id < f.config.vocabSize(), what + ": id " + id + " outside [0, V)");
        assertNotEquals(mask, id, what + ": MASK left at row " + b + ", position " + l);
        if (given.isGiven(b, l)) {
          assertEquals(
              given.id(b, l), id, what + ": given id changed at row " + b + ", position " + l);
        }
      }
    }
    assertTrue(s.nfe() >= 0, what + ": NFE must not be negative, got " + s.nfe());
    assertTrue(s.nfe() > 0 || allGiven(given), what + ": free positions but NFE " + s.nfe());
  }

  private static boolean allGiven(Conditioning given) {
    for (int b = 0; b < given.batch(); b++) {
      if (given.givenCount(b) < given.length()) {
        return false;
      }
    }
    return true;
  }

  void givenPositionsComeBackVerbatim() {
    Conditioning given = prompts();
    SampleBatch one = sample(given, 1, streams(given.batch()));
    SampleBatch two = sample(given, 2, streams(given.batch()));
    assertHonours(given, one, "prompts, 1 thread");
    assertHonours(given, two, "prompts, 2 threads");
    assertArrayEquals(
        one.tokens().ids(), two.tokens().ids(), "conditional samples differ at 1 and 2 threads");
  }

  void batchedRowsEqualRowsOneByOne() {
    Conditioning given = prompts();
    Rng[] rows = streams(given.batch());
    SampleBatch batched = sample(given, 1, rows);
    Rng[] again = streams(given.batch());
    int length = given.length();
    for (int b = 0; b < given.batch(); b++) {
      SampleBatch alone = sample(given.row(b), 1, new Rng[] {again[b]});
      assertArrayEquals(
          Arrays.copyOfRange(batched.tokens().ids(), b * length, (b + 1) * length),
          alone.tokens().ids(),
          "row " + b + " (prompt of " + given.prefixLength(b) + ") sampled alone differs");
    }
  }

  void infillIsHonouredOrRefused() {
    Conditioning given = gaps();
    Sampler sampler = family.newSampler(spec);
    if (sampler.supportsInfill()) {
      assertHonours(given, sample(given, 1, streams(given.batch())), "gaps");
    } else {
      InvalidInputException e =
          assertThrows(InvalidInputException.class, () -> sample(given, 1, streams(2)));
      assertTrue(e.getMessage().contains("position"), "the refusal names the position: " + e);
    }
  }

  void emptyConditioningIsTheUnconditionalSampler() {
    int b = f.tiny.batch();
    int l = f.tiny.length();
    try (OnnxModel m = OnnxModel.open(f.export(), OrtConfig.defaults().withThreads(1))) {
      SpecialTokens specials = m.metadata().specials();
      SampleBatch plain =
          family.newSampler(spec).sample(m.denoiser(), b, l, specials, new Rng(SEED));
      SampleBatch none =
          family
              .newSampler(spec)
              .sample(m.denoiser(), Conditioning.none(b, l), specials, streams(b), null);
      assertArrayEquals(plain.tokens().ids(), none.tokens().ids(), "Conditioning.none differs");
      assertEquals(plain.nfe(), none.nfe(), "NFE of Conditioning.none");
    }
  }

  void conditionalNelbo() {
    int b = f.tiny.batch();
    int l = f.tiny.length();
    SpecialTokens specials = f.tokenizer.specials();
    ReferenceDit reference = new ReferenceDit(f.weights);
    int[] x0 = f.cleanTokens(9);
    double[] t = new double[b];
    for (int i = 0; i < b; i++) {
      t[i] = 0.3 + 0.5 * i / Math.max(1, b - 1);
    }
    NllSum plain = family.nelboPerRow(reference, x0, b, l, t.clone(), specials, streams(b));
    NllSum empty =
        family.conditionalNelbo(
            reference, x0, new boolean[b * l], b, l, t.clone(), specials, streams(b));
    assertEquals(plain.tokens(), empty.tokens(), "scored tokens with nothing given");
    assertEquals(
        plain.nll(), empty.nll(), 1e-9 * Math.abs(plain.nll()), "NELBO with nothing given");
    boolean[] prompt = new boolean[b * l];
    for (int row = 0; row < b; row++) {
      Arrays.fill(prompt, row * l, row * l + l / 2, true);
    }
    NllSum cond =
        family.conditionalNelbo(reference, x0, prompt, b, l, t.clone(), specials, streams(b));
    assertTrue(
        cond.tokens() > 0 && cond.tokens() <= (long) b * (l - l / 2),
        "only free positions are scored: " + cond.tokens() + " of " + b * (l - l / 2));
    assertTrue(Double.isFinite(cond.nll()) && cond.nll() > 0, "conditional NELBO " + cond);
    // changing a given token's value changes the condition, never which positions are scored
    int[] other = x0.clone();
    other[0] = (other[0] + 1) % (f.tokenizer.vocabSize() - 4);
    NllSum changed =
        family.conditionalNelbo(reference, other, prompt, b, l, t.clone(), specials, streams(b));
    assertEquals(cond.tokens(), changed.tokens(), "scored positions depend on a prompt token");
  }
}
