package dev.dllm.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Issue 16 §4: the prompt, infill and stop settings of {@link GenerateOptions}. */
class GenerateOptionsPromptTest {

  @Test
  void defaultsAreUnconditionalAndStopAtEos() {
    GenerateOptions o = GenerateOptions.defaults();
    assertFalse(o.conditioned());
    assertTrue(o.stopAtEos());
    assertEquals(0, o.maxNewTokens());
    assertEquals(List.of(), o.prompts());
    assertEquals(List.of(), o.stop());
    assertEquals(Prompt.of(""), o.prompt(3));
  }

  @Test
  void theSevenArgumentConstructorAndWithMethodsStillWork() {
    GenerateOptions o =
        new GenerateOptions(3, 8, 5L, 0.9, 2, 16, Map.of("predictor", "ancestral"))
            .withPrompt("ab")
            .withMaxNewTokens(4)
            .withStop("\n", ".")
            .withStopAtEos(false)
            .withNumber(4)
            .withSteps(9)
            .withSeed(6)
            .withTopP(0.8)
            .withBatch(3)
            .withLength(12)
            .withOption("noise_removal", "none");
    assertEquals(4, o.number());
    assertEquals(9, o.steps());
    assertEquals(6L, o.seed());
    assertEquals(3, o.batch());
    assertEquals(12, o.length());
    assertEquals(Map.of("predictor", "ancestral", "noise_removal", "none"), o.familyOptions());
    assertEquals(List.of(Prompt.of("ab")), o.prompts());
    assertEquals(4, o.maxNewTokens());
    assertEquals(List.of("\n", "."), o.stop());
    assertFalse(o.stopAtEos());
    assertTrue(o.conditioned());
    assertEquals(Prompt.of("ab"), o.prompt(2));
  }

  @Test
  void maxNewTokensBelowOneIsRefused() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class, () -> GenerateOptions.defaults().withMaxNewTokens(0));
    assertTrue(e.getMessage().contains("max new tokens must be >= 1, got 0"), e.getMessage());
    assertThrows(
        InvalidInputException.class, () -> GenerateOptions.defaults().withMaxNewTokens(-3));
    assertTrue(GenerateOptions.defaults().withMaxNewTokens(1).conditioned());
  }

  @Test
  void promptsAreOneForAllOrOnePerSample() {
    GenerateOptions per =
        GenerateOptions.defaults().withNumber(3).withPrompts(List.of("a", "b", "c"));
    assertEquals(Prompt.of("b"), per.prompt(1));
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> GenerateOptions.defaults().withNumber(3).withPrompts(List.of("a", "b")));
    assertTrue(e.getMessage().contains("2 prompts for 3 samples"), e.getMessage());
    // changing N afterwards is checked too
    assertThrows(InvalidInputException.class, () -> per.withNumber(2));
  }

  @Test
  void infillNeedsAGap() {
    GenerateOptions o = GenerateOptions.defaults().withInfill("ab", "cd", 3);
    assertTrue(o.prompt(0).isInfill());
    assertEquals(3, o.prompt(0).length());
    assertThrows(InvalidInputException.class, () -> Prompt.infill("a", "b", 0));
    assertThrows(InvalidInputException.class, () -> new Prompt("a", "b", 0));
    assertThrows(InvalidInputException.class, () -> new Prompt("a", "", -1));
    assertFalse(new Prompt("a", "", 5).isInfill());
  }

  @Test
  void emptyStopStringIsRefused() {
    assertThrows(InvalidInputException.class, () -> GenerateOptions.defaults().withStop(""));
  }
}
