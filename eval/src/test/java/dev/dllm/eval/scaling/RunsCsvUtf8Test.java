package dev.dllm.eval.scaling;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dllm fit --runs} on a runs table that is not UTF-8: the message says so, not the decoder's
 * bare "Input length = 1".
 */
class RunsCsvUtf8Test {
  @Test
  void aTableThatIsNotUtf8IsNamedAsSuch(@TempDir Path dir) throws Exception {
    Path csv = dir.resolve("runs.csv");
    Files.write(
        csv,
        ("family,objective,preset,flops_budget,status,n_eff,val_nll\n"
                + "ar,ce,d\u00e9,1e11,finished,4284,2.5\n")
            .getBytes(StandardCharsets.ISO_8859_1));
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> RunsCsv.read(csv));
    assertTrue(e.getMessage().contains(csv.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("not valid UTF-8"), e.getMessage());
  }
}
