package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.tokenize.Tokenizers;
import dev.dllm.eval.run.Scorer;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --scorer default}: the scorer's resources are extracted into the cache once (atomically,
 * into {@code bundled-<sha256 prefix>}), reused afterwards, restored when a file went missing, and
 * a missing resource is a packaging fault naming it. The resources come from a class loader over a
 * folder holding a tiny AR export (only model.onnx and export-report.json: no decode.onnx).
 */
class BundledScorerTest {
  @TempDir static Path tmp;
  static Path export;
  static Path resources;

  @BeforeAll
  static void bundle() throws Exception {
    export = TinyExports.export("ar", 11, tmp.resolve("scorer-export"));
    resources = tmp.resolve("res");
    Path folder = Files.createDirectories(resources.resolve(BundledScorer.PREFIX));
    Files.copy(export.resolve("model.onnx"), folder.resolve("model.onnx"));
    Files.copy(export.resolve("export-report.json"), folder.resolve("export-report.json"));
    Files.writeString(folder.resolve("train-report.json"), "{\"val_nll\": 1.9}\n");
    Files.writeString(folder.resolve("recipe.txt"), "dllm train --family ar ...\n");
    Files.writeString(
        folder.resolve("files.txt"),
        "model.onnx\nexport-report.json\ntrain-report.json\nrecipe.txt\n");
  }

  private static ClassLoader loader(Path root) throws Exception {
    return new URLClassLoader(new URL[] {root.toUri().toURL()}, null);
  }

  @Test
  void firstUseExtractsSecondReusesAndAMissingFileIsRestored() throws Exception {
    Path cache = tmp.resolve("cache1");
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    PrintStream ps = new PrintStream(log, true, StandardCharsets.UTF_8);
    ClassLoader cl = loader(resources);

    Path onnx = BundledScorer.ensure(cl, BundledScorer.PREFIX, cache, ps);
    byte[] model = Files.readAllBytes(export.resolve("model.onnx"));
    String hash =
        HexFormat.of()
            .formatHex(MessageDigest.getInstance("SHA-256").digest(model))
            .substring(0, 12);
    assertEquals(cache.resolve("bundled-" + hash).resolve("onnx"), onnx);
    assertEquals(
        List.of("export-report.json", "model.onnx"),
        Files.list(onnx).map(p -> p.getFileName().toString()).sorted().toList());
    assertEquals(
        "dllm train --family ar ...", Files.readString(onnx.resolveSibling("recipe.txt")).strip());
    assertTrue(Files.isRegularFile(onnx.resolveSibling("train-report.json")));
    assertTrue(Arrays.equals(model, Files.readAllBytes(onnx.resolve("model.onnx"))));
    assertTrue(log.toString(StandardCharsets.UTF_8).contains("extracted"));
    assertEquals(1, Files.list(cache).count(), "no temporary folder is left behind");

    // second use: nothing is copied again
    long mtime = Files.getLastModifiedTime(onnx.resolve("model.onnx")).toMillis();
    Files.setLastModifiedTime(
        onnx.resolve("model.onnx"), java.nio.file.attribute.FileTime.fromMillis(mtime - 60_000));
    log.reset();
    assertEquals(onnx, BundledScorer.ensure(cl, BundledScorer.PREFIX, cache, ps));
    assertEquals("", log.toString(StandardCharsets.UTF_8));
    assertEquals(mtime - 60_000, Files.getLastModifiedTime(onnx.resolve("model.onnx")).toMillis());

    // an incomplete copy is extracted again
    Files.delete(onnx.resolve("export-report.json"));
    assertEquals(onnx, BundledScorer.ensure(cl, BundledScorer.PREFIX, cache, ps));
    assertTrue(Files.isRegularFile(onnx.resolve("export-report.json")));
    assertTrue(log.toString(StandardCharsets.UTF_8).contains("extracted"));
  }

  @Test
  void theRuntimeScoresWithTheScorerOnlyFolderAsWithTheFullExport() throws Exception {
    Path onnx =
        BundledScorer.ensure(loader(resources), BundledScorer.PREFIX, tmp.resolve("c2"), null);
    assertFalse(Files.exists(onnx.resolve("decode.onnx")));
    assertTrue(Files.isRegularFile(export.resolve("decode.onnx")));
    var tok = Tokenizers.create("char", "abcdefgh ijklmnop.");
    List<int[]> samples = List.of(tok.encode("abc def ghij klm"), tok.encode("ponml kjih gfedc"));
    double extracted;
    double original;
    try (Scorer s = Scorer.open(onnx, OrtConfig.defaults(), 2)) {
      extracted = s.score(samples, tok).perplexity();
    }
    try (Scorer s = Scorer.open(export, OrtConfig.defaults(), 2)) {
      original = s.score(samples, tok).perplexity();
    }
    assertTrue(extracted > 1, "perplexity " + extracted);
    assertEquals(original, extracted, 1e-9);
  }

  @Test
  void aMissingResourceIsAPackagingFaultNamingIt() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    PackagingException e =
        assertThrows(
            PackagingException.class,
            () ->
                BundledScorer.ensure(loader(empty), BundledScorer.PREFIX, tmp.resolve("c3"), null));
    assertTrue(e.getMessage().contains("dev/dllm/scorer/files.txt"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("c3")));

    Path noModel = tmp.resolve("no-model");
    Path folder = Files.createDirectories(noModel.resolve(BundledScorer.PREFIX));
    Files.writeString(folder.resolve("files.txt"), "model.onnx\nexport-report.json\n");
    Files.writeString(folder.resolve("export-report.json"), "{}");
    e =
        assertThrows(
            PackagingException.class,
            () ->
                BundledScorer.ensure(
                    loader(noModel), BundledScorer.PREFIX, tmp.resolve("c3"), null));
    assertTrue(e.getMessage().contains("no resource dev/dllm/scorer/model.onnx"), e.getMessage());
    assertTrue(e.getMessage().contains("--scorer DIR"), e.getMessage());
  }

  /**
   * Through the CLI with the jar's own resources: while the scorer is not committed, {@code
   * --scorer default} exits 1 with one line naming the resource; once it is, it is extracted into
   * the cache and opens as an AR scorer.
   */
  @Test
  void theCliScorerDefault() throws Exception {
    boolean bundled =
        BundledScorer.class.getClassLoader().getResource(BundledScorer.PREFIX + BundledScorer.INDEX)
            != null;
    String before = System.getProperty("dllm.cache");
    System.setProperty("dllm.cache", tmp.resolve("cli-cache").toString());
    try {
      if (bundled) {
        Path onnx = ScorerArg.resolve("default", null);
        assertTrue(onnx.startsWith(tmp.resolve("cli-cache").resolve("scorers")), onnx.toString());
        try (Scorer s = Scorer.open(onnx, OrtConfig.defaults(), 1)) {
          assertEquals("ar", s.describe().get("family"));
        }
        return;
      }
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int rc =
          Main.run(
              new String[] {
                "pareto",
                "--models",
                export.toString(),
                "--scorer",
                "default",
                "--out",
                tmp.resolve("p").toString()
              },
              new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8));
      String e = err.toString(StandardCharsets.UTF_8);
      assertEquals(1, rc, e);
      assertEquals(1, e.strip().lines().count(), e);
      assertTrue(e.contains("no resource dev/dllm/scorer/files.txt"), e);
      assertFalse(Files.exists(tmp.resolve("p")));
      // the demo refuses before it creates anything
      err.reset();
      rc =
          Main.run(
              new String[] {"demo", "--quick", "--out", tmp.resolve("d").toString()},
              new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8));
      assertEquals(1, rc, err.toString(StandardCharsets.UTF_8));
      assertFalse(Files.exists(tmp.resolve("d")));
    } finally {
      if (before == null) {
        System.clearProperty("dllm.cache");
      } else {
        System.setProperty("dllm.cache", before);
      }
    }
  }
}
