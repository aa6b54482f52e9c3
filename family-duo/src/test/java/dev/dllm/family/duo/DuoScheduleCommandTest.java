package dev.dllm.family.duo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.FamilyCommand;
import dev.dllm.api.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The command itself; its CLI behaviour is tested through {@code dllm} in the cli module. */
class DuoScheduleCommandTest {
  @Test
  void isFoundThroughServiceLoader() {
    assertTrue(
        ServiceLoader.load(FamilyCommand.class).stream()
            .anyMatch(p -> p.type() == DuoScheduleCommand.class));
  }

  @Test
  void jsonIsOneLineInTheFormerLayout() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    new DuoScheduleCommand()
        .run(
            Map.of("vocab", "2", "gamma", "0", "json", "true"),
            new PrintStream(bytes, true, StandardCharsets.UTF_8));
    GaussianDuality d = GaussianDuality.of(2);
    double[] pd = d.integrals(0);
    assertEquals(
        "{\"vocab\":2,\"rows\":[{\"gamma\":0.0,\"p\":"
            + pd[0]
            + ",\"alpha\":"
            + d.alphaOf(pd[0])
            + ",\"dalpha_dgamma\":"
            + d.dalphaOf(pd[1])
            + "}]}",
        bytes.toString(StandardCharsets.UTF_8).strip());
  }

  @Test
  void tooLargeVocabularyIsBadInput() {
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class,
            () ->
                new DuoScheduleCommand()
                    .run(Map.of("vocab", "16777217", "gamma", "0"), System.out));
    assertEquals("--vocab must be <= 16777216, got 16777217", e.getMessage());
  }
}
