package dev.dllm.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.sample.Conditioning;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The BOS before the prompt in {@link DllmGenerator}'s layout ({@link GenerateOptions#bos}; the
 * automatic rule for a {@code wrap}-trained export is {@link PromptBosTest}, and end to end with a
 * wrap export the exporter's and the CLI's tests): P counts it, capacity accounts for it, the
 * completion never holds it. Scripted samplers of {@link GeneratePromptTest} on the tiny fixtures
 * (L 12, BOS 16, EOS 17), which record no block mode (unknown: no BOS unless forced).
 */
class GeneratePromptBosTest {
  static final int L = GeneratePromptTest.L;
  static final int BOS = GeneratePromptTest.BOS;
  static final int EOS = GeneratePromptTest.EOS;

  static DllmGenerator open(String fixture) throws Exception {
    return GeneratePromptTest.open(fixture);
  }

  @Test
  void aForcedBosGoesBeforeThePromptAndCountsInP() throws Exception {
    try (DllmGenerator g = open("mdlm-tiny")) {
      GeneratePromptTest.Scripted s = new GeneratePromptTest.Scripted(true);
      int[] prompt = g.tokenizer().encode("to be");
      Generated r =
          g.generate(
                  GenerateOptions.defaults().withPrompt("to be").withMaxNewTokens(4).withBos(true),
                  s)
              .get(0);
      int[] want = new int[L];
      Arrays.fill(want, EOS);
      want[0] = BOS;
      System.arraycopy(prompt, 0, want, 1, 5);
      Arrays.fill(want, 6, 10, Conditioning.FREE);
      assertArrayEquals(want, s.seen.get(0).ids());
      assertEquals(6, r.promptLength());
      assertEquals(BOS, r.ids()[0]);
      assertArrayEquals(Arrays.copyOfRange(r.ids(), 6, 10), r.generated());
      assertEquals(g.tokenizer().decode(r.generated()), r.completion());
      // automatic (the fixture records no block mode) and forced off: the prompt at 0, as before
      for (Boolean bos : new Boolean[] {null, false}) {
        GeneratePromptTest.Scripted t = new GeneratePromptTest.Scripted(true);
        Generated plain =
            g.generate(
                    GenerateOptions.defaults().withPrompt("to be").withMaxNewTokens(4).withBos(bos),
                    t)
                .get(0);
        assertEquals(5, plain.promptLength());
        assertArrayEquals(prompt, Arrays.copyOf(plain.ids(), 5));
      }
    }
  }

  @Test
  void anInfillPrefixGetsTheBosToo() throws Exception {
    try (DllmGenerator g = open("mdlm-tiny")) {
      GeneratePromptTest.Scripted s = new GeneratePromptTest.Scripted(true);
      Generated r =
          g.generate(GenerateOptions.defaults().withInfill("to", "be", 3).withBos(true), s).get(0);
      int f = Conditioning.FREE;
      int[] to = g.tokenizer().encode("to");
      int[] be = g.tokenizer().encode("be");
      assertArrayEquals(
          new int[] {BOS, to[0], to[1], f, f, f, be[0], be[1], EOS, EOS, EOS, EOS},
          s.seen.get(0).ids());
      assertEquals(3, r.promptLength());
      assertArrayEquals(Arrays.copyOfRange(r.ids(), 3, 6), r.generated());
    }
  }

  @Test
  void capacityCountsTheBos() throws Exception {
    try (DllmGenerator g = open("mdlm-tiny")) {
      GeneratePromptTest.Scripted s = new GeneratePromptTest.Scripted(true);
      GenerateOptions seven = GenerateOptions.defaults().withPrompt("to be").withMaxNewTokens(7);
      // 5 + 7 = L fits without the BOS, not with it
      assertEquals(7, g.generate(seven, s).get(0).generated().length);
      InvalidInputException e =
          assertThrows(InvalidInputException.class, () -> g.check(seven.withBos(true)));
      assertEquals(
          "prompt: max new tokens 7 is beyond capacity: after the BOS token and 5 prompt tokens,"
              + " at most 6 fit in the model's length L = 12",
          e.getMessage());
      // the rest of the row is one shorter
      Generated rest =
          g.generate(GenerateOptions.defaults().withPrompt("to be").withBos(true), s).get(0);
      assertEquals(L - 6, rest.generated().length);
      // 11 prompt tokens fit alone, not after a BOS
      String eleven = "to be or no";
      assertEquals(11, g.tokenizer().encode(eleven).length);
      g.check(GenerateOptions.defaults().withPrompt(eleven));
      e =
          assertThrows(
              InvalidInputException.class,
              () -> g.check(GenerateOptions.defaults().withPrompt(eleven).withBos(true)));
      assertEquals(
          "prompt is too long: the BOS token and 11 prompt tokens leave no position to generate"
              + " in the model's length L = 12",
          e.getMessage());
    }
  }

  @Test
  void aPrefixOnlySamplerGetsBosPlusPromptAndAnEmptyPromptOneBos() throws Exception {
    try (DllmGenerator g = open("ar-tiny")) {
      GeneratePromptTest.Scripted s = new GeneratePromptTest.Scripted(false);
      List<Generated> out =
          g.generate(
              GenerateOptions.defaults()
                  .withNumber(2)
                  .withBatch(2)
                  .withPrompts(List.of("to", ""))
                  .withMaxNewTokens(3)
                  .withBos(true),
              s);
      Conditioning c = s.seen.get(0);
      assertEquals(3, c.prefixLength(0));
      assertEquals(BOS, c.id(0, 0));
      assertEquals(1, c.prefixLength(1), "an empty prompt is one BOS, not two");
      assertEquals(BOS, c.id(1, 0));
      assertEquals(3, out.get(0).promptLength());
      assertEquals(6, out.get(0).ids().length);
      assertEquals(1, out.get(1).promptLength());
      // forced off, a prefix-only sampler still starts an empty prompt from BOS
      GeneratePromptTest.Scripted t = new GeneratePromptTest.Scripted(false);
      g.generate(GenerateOptions.defaults().withPrompt("").withMaxNewTokens(2).withBos(false), t);
      assertEquals(1, t.seen.get(0).prefixLength(0));
      assertTrue(
          assertThrows(
                  InvalidInputException.class,
                  () ->
                      g.check(
                          GenerateOptions.defaults()
                              .withPrompt("to be")
                              .withMaxNewTokens(7)
                              .withBos(true)))
              .getMessage()
              .contains("after the BOS token and 5 prompt tokens, at most 6 fit"));
    }
  }
}
