package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An output in a folder that cannot be written (read-only file system, no permission) is bad input:
 * exit 2 with one line naming {@code --out} and the folder, before any work, instead of exit 1 with
 * a {@code FileSystemException} after sampling or evaluating.
 *
 * <p>The folder is made read-only with the file's permissions; where that does not stop this
 * process (root), the tests skip unless {@code -Ddllm.test.readonly=DIR} names a folder on a
 * read-only mount.
 */
class ReadOnlyOutputTest {
  @TempDir static Path fixtures;
  static Path mdlm;
  static Path readOnly;

  @BeforeAll
  static void setUp() throws Exception {
    mdlm = TinyExports.export("mdlm", 3, fixtures.resolve("mdlm"));
    String given = System.getProperty("dllm.test.readonly");
    if (given != null && !given.isBlank()) {
      readOnly = Path.of(given);
    } else {
      readOnly = Files.createDirectories(fixtures.resolve("read-only"));
      readOnly.toFile().setWritable(false, false);
    }
  }

  @AfterAll
  static void tearDown() {
    if (readOnly.startsWith(fixtures)) {
      readOnly.toFile().setWritable(true, false); // so that @TempDir can delete it
    }
  }

  private static void assumeReadOnly() {
    assumeFalse(Files.isWritable(readOnly), readOnly + " is writable to this process (root?)");
  }

  private static void assertRefusedBeforeWork(CliRun cli, int rc, Path out) {
    String e = cli.err();
    assertEquals(Main.EXIT_BAD_INPUT, rc, e);
    assertTrue(e.contains("--out " + out) && e.contains("cannot write in " + readOnly), e);
    assertEquals(1, e.strip().lines().count(), e);
    assertFalse(e.contains("Exception"), e);
    assertFalse(cli.out().contains("val NELBO") || cli.out().contains("samples of"), cli.out());
  }

  @Test
  void sampleIntoAReadOnlyFolderIsRefused() {
    assumeReadOnly();
    CliRun cli = new CliRun();
    Path out = readOnly.resolve("s.jsonl").toAbsolutePath();
    String[] args = {"sample", "--model", mdlm.toString(), "--num-samples", "1", "--steps", "2"};
    int rc = cli.run(concat(args, "--out", out.toString()));
    assertRefusedBeforeWork(cli, rc, out);
  }

  @Test
  void evalIntoAReadOnlyFolderIsRefused() {
    assumeReadOnly();
    CliRun cli = new CliRun();
    Path out = readOnly.resolve("e").toAbsolutePath();
    int rc =
        cli.run("eval", "--model", mdlm.toString(), "--max-rows", "1", "--out", out.toString());
    assertRefusedBeforeWork(cli, rc, out.resolve("eval-report.json"));
  }

  @Test
  void exportIntoAReadOnlyFolderIsRefused() {
    assumeReadOnly();
    CliRun cli = new CliRun();
    Path out = readOnly.resolve("new-export").toAbsolutePath();
    Path ck = fixtures.resolve("mdlm-checkpoint");
    int rc = cli.run("export", "--checkpoint", ck.toString(), "--out", out.toString());
    assertRefusedBeforeWork(cli, rc, out);
    assertFalse(Files.exists(out));
  }

  private static String[] concat(String[] a, String... b) {
    List<String> all = new java.util.ArrayList<>(List.of(a));
    all.addAll(List.of(b));
    return all.toArray(String[]::new);
  }
}
