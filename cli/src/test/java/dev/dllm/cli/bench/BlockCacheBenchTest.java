package dev.dllm.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.Denoiser;
import dev.dllm.api.sample.BlockCache;
import dev.dllm.api.sample.RecomputingBlockKvCache;
import dev.dllm.api.sample.Rng;
import dev.dllm.api.sample.SamplerSpec;
import dev.dllm.runtime.onnx.OnnxModel;
import dev.dllm.runtime.onnx.OrtConfig;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code dllm bench-block-cache} and its error probe on a tiny MDLM export (issue 20): the probe
 * reads zero error over an exact cache ({@link RecomputingBlockKvCache}, a second implementation
 * that answers every slice with the full forward) and a positive, finite error over the export's
 * block graph, for MDLM and Duo; the command prints and writes the three variants.
 */
class BlockCacheBenchTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @ValueSource(strings = {"mdlm", "duo"})
  void probeIsZeroOnAnExactCacheAndPositiveOnTheBlockGraph(String family) throws Exception {
    // two blocks: with one, the K/V of every position depend on its own token only and the cache
    // is exact; Duo's z_t holds no MASK, so the probe compares every real slot
    Path ex = BenchExports.export(tmp, family, 3, 16, 2);
    try (OnnxModel m = OnnxModel.open(ex, OrtConfig.defaults().withThreads(1))) {
      Denoiser den = m.denoiser();
      int mask = m.metadata().specials().mask();
      Map<String, String> opts = BenchBlockCacheCommand.options(4, 0.7, BlockCache.DUAL);
      var sampler = m.family().newSampler(new SamplerSpec(8, 1.0, opts));
      BlockCacheProbe exact =
          new BlockCacheProbe(new RecomputingBlockKvCache(den, BlockCache.DUAL), den, mask);
      sampler.sample(exact.wrap(den), 2, 16, m.metadata().specials(), new Rng(5));
      Map<String, Object> e = exact.toMap();
      assertTrue(((Number) e.get("compared_positions")).longValue() > 0, e.toString());
      assertEquals(0.0, ((Number) e.get("max_abs_logit_diff")).doubleValue(), 1e-6);
      assertEquals(1.0, ((Number) e.get("top1_agreement")).doubleValue());
      BlockCacheProbe real =
          new BlockCacheProbe(den.blockKvCacheDecoder().orElseThrow(), den, mask);
      sampler.sample(real.wrap(den), 2, 16, m.metadata().specials(), new Rng(5));
      double d = ((Number) real.toMap().get("max_abs_logit_diff")).doubleValue();
      double kl = ((Number) real.toMap().get("kl_max_nats")).doubleValue();
      assertTrue(d > 1e-4 && Double.isFinite(d), "stale K/V must show: " + real.toMap());
      assertTrue(kl > 0 && Double.isFinite(kl), real.toMap().toString());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"mdlm", "duo"})
  void commandPrintsAndWritesTheThreeVariants(String family) throws Exception {
    // Duo's sampler reports its steps: the cached path must report every forward as one
    Path ex = BenchExports.export(tmp, family, 4, 16);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Path json = tmp.resolve("r.json");
    int rc =
        BenchExports.run(
            out,
            err,
            "bench-block-cache",
            "--model",
            ex.toString(),
            "--steps",
            "8",
            "--block-length",
            "4",
            "--threshold",
            "0.7",
            "--batch",
            "2",
            "--threads",
            "1",
            "--out",
            json.toString());
    assertEquals(0, rc, err.toString(StandardCharsets.UTF_8));
    String printed = out.toString(StandardCharsets.UTF_8);
    assertTrue(printed.contains("dual") && printed.contains("prefix"), printed);
    JsonNode r = new ObjectMapper().readTree(json.toFile());
    assertEquals(1.0, r.get("none").get("speed_vs_none").asDouble(), 1e-12);
    for (String c : new String[] {"prefix", "dual"}) {
      JsonNode e = r.get(c).get("error_inside_block");
      assertTrue(e.get("slice_forwards").asLong() > 0, c + ": " + e);
      double t = e.get("top1_agreement").asDouble();
      assertTrue(t >= 0 && t <= 1, c + ": " + e);
    }
    // an export without the block graph (as written before it existed): refused, exit 2
    Path old = tmp.resolve("old");
    java.nio.file.Files.createDirectories(old);
    try (var files = java.nio.file.Files.list(ex)) {
      for (Path f : files.toList()) {
        if (!f.getFileName().toString().equals("decode.onnx")) {
          java.nio.file.Files.copy(f, old.resolve(f.getFileName()));
        }
      }
    }
    ByteArrayOutputStream err2 = new ByteArrayOutputStream();
    int rc2 =
        BenchExports.run(
            new ByteArrayOutputStream(),
            err2,
            "bench-block-cache",
            "--model",
            old.toString(),
            "--out",
            tmp.resolve("r2.json").toString());
    assertEquals(2, rc2, err2.toString(StandardCharsets.UTF_8));
    assertTrue(err2.toString(StandardCharsets.UTF_8).contains("has no block KV graph"));
  }
}
