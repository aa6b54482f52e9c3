package dev.dllm.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.Denoiser;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.TokenBatch;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SampleBatch;
import dev.dllm.api.sample.Sampler;
import dev.dllm.api.sample.StepListener;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 16 §3-4: how {@link DllmGenerator} lays prompts out in a {@link Conditioning} and reports
 * the span, checked with a scripted sampler on the tiny fixtures (L 12, chars " ,.:abehinoqrstu",
 * BOS 16, EOS 17, PAD 18, MASK 19), independent of any family's conditional sampler.
 */
class GeneratePromptTest {
  static final int L = 12;
  static final int BOS = 16;
  static final int EOS = 17;

  /**
   * Fills each free position from its row's stream with a letter, or with EOS at the positions
   * listed in {@code eosAt} (counted from the row's first free position).
   */
  static class Scripted implements Sampler {
    final boolean infill;
    final List<Conditioning> seen = new ArrayList<>();
    int eosAt = -1;

    Scripted(boolean infill) {
      this.infill = infill;
    }

    @Override
    public SampleBatch sample(Denoiser d, int batch, int length, SpecialTokens s, Rng rng) {
      int[] x = new int[batch * length];
      Arrays.fill(x, 4);
      return new SampleBatch(new TokenBatch(x, batch, length), 1);
    }

    @Override
    public SampleBatch sample(
        Denoiser d, Conditioning given, SpecialTokens s, Rng[] rows, StepListener listener) {
      seen.add(given);
      int b = given.batch();
      int l = given.length();
      assertEquals(b, rows.length);
      if (!infill) {
        given.requirePrefixOnly("scripted");
      }
      int[] x = given.ids();
      for (int r = 0; r < b; r++) {
        int first = given.prefixLength(r);
        for (int i = 0; i < l; i++) {
          if (x[r * l + i] == Conditioning.FREE) {
            x[r * l + i] = i - first == eosAt ? EOS : 4 + rows[r].nextInt(12);
          }
        }
      }
      return new SampleBatch(new TokenBatch(x, b, l), 7);
    }

    @Override
    public boolean supportsInfill() {
      return infill;
    }
  }

  static DllmGenerator open(String fixture) throws Exception {
    return DllmGenerator.open(OnnxRuntimeTest.fixture(fixture));
  }

  @Test
  void aPromptIsGivenThenTheSpanThenAnEosTail() throws Exception {
    try (DllmGenerator g = open("mdlm-tiny")) {
      Scripted s = new Scripted(true);
      int[] prompt = g.tokenizer().encode("to be");
      List<Generated> out =
          g.generate(GenerateOptions.defaults().withPrompt("to be").withMaxNewTokens(4), s);
      Conditioning c = s.seen.get(0);
      assertEquals(L, c.length());
      int[] want = new int[L];
      Arrays.fill(want, EOS);
      System.arraycopy(prompt, 0, want, 0, 5);
      Arrays.fill(want, 5, 9, Conditioning.FREE);
      assertArrayEquals(want, c.ids());
      Generated r = out.get(0);
      assertEquals(5, r.promptLength());
      assertArrayEquals(prompt, Arrays.copyOf(r.ids(), 5));
      assertArrayEquals(Arrays.copyOfRange(r.ids(), 5, 9), r.generated());
      assertEquals(g.tokenizer().decode(r.generated()), r.completion());
      assertEquals(Completion.LENGTH, r.stopReason());
      assertEquals(g.tokenizer().decode(r.ids()), r.text());
      assertEquals(64, r.steps());
      assertEquals(7, r.nfe());
    }
  }

  @Test
  void theCompletionStopsAtTheFirstGeneratedEos() throws Exception {
    try (DllmGenerator g = open("mdlm-tiny")) {
      Scripted s = new Scripted(true);
      s.eosAt = 2;
      Generated r =
          g.generate(GenerateOptions.defaults().withPrompt("to").withMaxNewTokens(5), s).get(0);
      assertEquals(Completion.EOS, r.stopReason());
      assertEquals(g.tokenizer().decode(Arrays.copyOf(r.generated(), 2)), r.completion());
      assertEquals(5, r.generated().length);
      assertEquals(EOS, r.generated()[2]);
      Generated on =
          g.generate(
                  GenerateOptions.defaults()
                      .withPrompt("to")
                      .withMaxNewTokens(5)
                      .withStopAtEos(false),
                  s)
              .get(0);
      assertEquals(Completion.LENGTH, on.stopReason());
      assertEquals(4, on.completion().length());
    }
  }

  @Test
  void withoutMaxNewTokensTheSpanIsTheRestOfTheBlock() throws Exception {
    try (DllmGenerator g = open("mdlm-tiny")) {
      Scripted s = new Scripted(true);
      Generated r = g.generate(GenerateOptions.defaults().withPrompt("to"), s).get(0);
      assertEquals(L - 2, r.generated().length);
      assertEquals(2, s.seen.get(0).givenCount(0));
    }
  }

  @Test
  void anInfillIsPrefixGapSuffixThenEos() throws Exception {
    try (DllmGenerator g = open("mdlm-tiny")) {
      Scripted s = new Scripted(true);
      Generated r = g.generate(GenerateOptions.defaults().withInfill("to", "be", 3), s).get(0);
      int[] c = s.seen.get(0).ids();
      int f = Conditioning.FREE;
      int[] to = g.tokenizer().encode("to");
      int[] be = g.tokenizer().encode("be");
      assertArrayEquals(
          new int[] {to[0], to[1], f, f, f, be[0], be[1], EOS, EOS, EOS, EOS, EOS}, c);
      assertEquals(2, r.promptLength());
      assertArrayEquals(Arrays.copyOfRange(r.ids(), 2, 5), r.generated());
    }
  }

  @Test
  void rowsAreTheSamplersOutputLength() throws Exception {
    try (DllmGenerator g = open("mdlm-tiny")) {
      // as semi-autoregressive MDLM with strides=2, stride_length=5
      Scripted s =
          new Scripted(true) {
            @Override
            public int outputLength(int block) {
              return block + 10;
            }
          };
      GenerateOptions o =
          GenerateOptions.defaults().withPrompt("to be or not to be").withMaxNewTokens(3);
      Generated r = g.generate(o, s).get(0);
      assertEquals(L + 10, s.seen.get(0).length());
      assertEquals(18, r.promptLength());
      assertEquals(3, r.generated().length);
      assertEquals(EOS, r.ids()[L + 9]);
      // 18 >= L without strides
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () ->
                  g.generate(
                      GenerateOptions.defaults().withPrompt("to be or not to be"),
                      new Scripted(true)));
      assertTrue(
          e.getMessage()
              .startsWith("prompt is too long: 18 prompt tokens leave no position to generate"),
          e.getMessage());
    }
  }

  @Test
  void capacityAndTooLongPromptsAreNamed() throws Exception {
    try (DllmGenerator g = open("mdlm-tiny")) {
      Scripted s = new Scripted(true);
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () ->
                  g.generate(
                      GenerateOptions.defaults().withPrompt("to be").withMaxNewTokens(8), s));
      assertEquals(
          "prompt: max new tokens 8 is beyond capacity: after 5 prompt tokens, at most 7 fit in"
              + " the model's length L = 12",
          e.getMessage());
      e =
          assertThrows(
              InvalidInputException.class,
              () ->
                  g.generate(
                      GenerateOptions.defaults()
                          .withNumber(2)
                          .withPrompts(List.of("to", "to be or not to be")),
                      s));
      assertTrue(e.getMessage().startsWith("prompt of sample 1 is too long"), e.getMessage());
      e =
          assertThrows(
              InvalidInputException.class,
              () -> g.generate(GenerateOptions.defaults().withPrompt("to bz"), s));
      assertTrue(
          e.getMessage().startsWith("prompt: character 'z' (U+007A) at position 4"),
          e.getMessage());
      assertTrue(s.seen.isEmpty(), "nothing sampled");
      // check() says the same without sampling
      assertThrows(
          InvalidInputException.class,
          () -> g.check(GenerateOptions.defaults().withPrompt("to be").withMaxNewTokens(8)));
    }
  }

  @Test
  void rowsDoNotDependOnTheBatchAndMayHaveDifferentPrompts() throws Exception {
    try (DllmGenerator g = open("mdlm-tiny")) {
      GenerateOptions o =
          GenerateOptions.defaults()
              .withNumber(5)
              .withSeed(9)
              .withPrompts(List.of("to", "be", "", "to be", "a"))
              .withMaxNewTokens(3);
      List<Generated> one = g.generate(o.withBatch(1), new Scripted(true));
      List<Generated> three = g.generate(o.withBatch(3), new Scripted(true));
      for (int i = 0; i < 5; i++) {
        assertArrayEquals(one.get(i).ids(), three.get(i).ids(), "sample " + i);
        assertEquals(one.get(i).completion(), three.get(i).completion());
      }
      assertEquals(3, three.get(0).batchSize());
      assertEquals(2, three.get(4).batchSize());
      assertEquals(0, three.get(2).promptLength());
    }
  }

  @Test
  void aPrefixOnlySamplerGetsRowsOfTheLongestPromptPlusNewTokens() throws Exception {
    try (DllmGenerator g = open("ar-tiny")) {
      Scripted s = new Scripted(false);
      List<Generated> out =
          g.generate(
              GenerateOptions.defaults()
                  .withNumber(3)
                  .withBatch(3)
                  .withPrompts(List.of("to", "to be", ""))
                  .withMaxNewTokens(3),
              s);
      Conditioning c = s.seen.get(0);
      assertEquals(8, c.length());
      assertTrue(c.isPrefixOnly());
      assertEquals(2, c.prefixLength(0));
      assertEquals(5, c.prefixLength(1));
      // an empty prompt starts from BOS
      assertEquals(1, c.prefixLength(2));
      assertEquals(BOS, c.id(2, 0));
      for (Generated r : out) {
        assertEquals(3, r.generated().length);
        assertEquals(8, r.ids().length);
        assertEquals(8 - r.promptLength(), r.steps());
      }
      // P + new > L is refused
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () ->
                  g.generate(
                      GenerateOptions.defaults().withPrompt("to be").withMaxNewTokens(8), s));
      assertTrue(e.getMessage().contains("beyond capacity"), e.getMessage());
    }
  }

  @Test
  void aSuffixForAPrefixOnlySamplerIsRefusedClearly() throws Exception {
    try (DllmGenerator g = open("ar-tiny")) {
      Scripted s = new Scripted(false);
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () -> g.generate(GenerateOptions.defaults().withInfill("to", "be", 2), s));
      assertEquals(
          "prompt: family ar only continues a prompt prefix; a suffix (fill-in-the-middle) needs a"
              + " family whose sampler supports infilling",
          e.getMessage());
      assertTrue(s.seen.isEmpty());
    }
  }

  @Test
  void aSamplerWithoutConditioningIsAnInputError() throws Exception {
    try (DllmGenerator g = open("mdlm-tiny")) {
      Sampler plain =
          new Sampler() {
            @Override
            public SampleBatch sample(Denoiser d, int batch, int length, SpecialTokens s, Rng r) {
              throw new AssertionError("unconditional path");
            }
          };
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () -> g.generate(GenerateOptions.defaults().withPrompt("to"), plain));
      assertTrue(
          e.getMessage().startsWith("family mdlm does not implement conditional generation"),
          e.getMessage());
    }
  }

  @Test
  void unconditionalRowsReportTheirCompletion() throws Exception {
    try (DllmGenerator g = open("mdlm-tiny")) {
      Generated r = g.generate(GenerateOptions.defaults().withSteps(4)).get(0);
      assertEquals(0, r.promptLength());
      assertArrayEquals(r.ids(), r.generated());
      int eos = Arrays.stream(r.ids()).boxed().toList().indexOf(EOS);
      assertEquals(eos >= 0 ? Completion.EOS : Completion.LENGTH, r.stopReason());
      assertEquals(
          g.tokenizer().decode(eos >= 0 ? Arrays.copyOf(r.ids(), eos) : r.ids()), r.completion());
    }
  }

  @Test
  void realMdlmKeepsThePromptAndTheEosTail() throws Exception {
    try (DllmGenerator g = open("mdlm-tiny")) {
      int[] prompt = g.tokenizer().encode("to be");
      GenerateOptions o =
          GenerateOptions.defaults()
              .withNumber(3)
              .withSteps(4)
              .withSeed(5)
              .withPrompts(List.of("to be", "or", ""))
              .withMaxNewTokens(4);
      List<Generated> batched = g.generate(o.withBatch(3));
      List<Generated> alone = g.generate(o.withBatch(1));
      for (int i = 0; i < 3; i++) {
        Generated r = batched.get(i);
        assertEquals(L, r.ids().length);
        assertArrayEquals(alone.get(i).ids(), r.ids(), "sample " + i);
        for (int l = r.promptLength() + 4; l < L; l++) {
          assertEquals(EOS, r.ids()[l]);
        }
      }
      assertArrayEquals(prompt, Arrays.copyOf(batched.get(0).ids(), 5));
      // semi-autoregressive: a prompt longer than the block is continued
      Generated semi =
          g.generate(
                  GenerateOptions.defaults()
                      .withSteps(4)
                      .withOption("strides", "2")
                      .withOption("stride_length", "5")
                      .withPrompt("to be or not to be")
                      .withMaxNewTokens(3))
              .get(0);
      assertEquals(L + 10, semi.ids().length);
      assertArrayEquals(g.tokenizer().encode("to be or not to be"), Arrays.copyOf(semi.ids(), 18));
      assertEquals(3, semi.generated().length);
    }
  }
}
