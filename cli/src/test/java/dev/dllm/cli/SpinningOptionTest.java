package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.runtime.onnx.OrtConfig;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.Options;
import org.junit.jupiter.api.Test;

class SpinningOptionTest {
  private static CommandLine parse(String... args) throws Exception {
    Options o = new Options();
    o.addOption(SpinningOption.option());
    return new DefaultParser().parse(o, args);
  }

  @Test
  void onOffAndAbsent() throws Exception {
    OrtConfig base = new OrtConfig("cpu", 2, "basic");
    assertSame(base, SpinningOption.apply(parse(), base));
    assertTrue(SpinningOption.apply(parse("--spinning", "on"), base).spinning());
    assertFalse(
        SpinningOption.apply(parse("--spinning", "OFF"), base.withSpinning(true)).spinning());
    assertEquals(2, SpinningOption.apply(parse("--spinning", "on"), base).threads());
  }

  @Test
  void anythingElseIsBadInputNamingTheOption() throws Exception {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () -> SpinningOption.apply(parse("--spinning", "fast"), OrtConfig.defaults()));
    assertTrue(e.getMessage().contains("--spinning 'fast'"), e.getMessage());
    assertTrue(e.getMessage().contains("on or off"), e.getMessage());
  }
}
