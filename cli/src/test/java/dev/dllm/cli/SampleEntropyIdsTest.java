package dev.dllm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dllm.api.tokenize.SpecialTokens;
import dev.dllm.runtime.onnx.Generated;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code dllm sample}'s per-sample entropy looks at the same ids as eval's and pareto's (the row
 * minus PAD and MASK), so one sample gets one entropy whichever command reports it.
 */
class SampleEntropyIdsTest {
  @Test
  void padAndMaskAreNotCounted() throws Exception {
    SpecialTokens specials = new SpecialTokens(-1, -1, 8, 9);
    // ids 1 and 2 twice each, plus PAD x3 and MASK: ln 2 over the scored ids (1.0397 with them)
    int[] ids = {1, 2, 8, 1, 2, 9, 8, 8};
    SampleJsonl.Result r =
        SampleJsonl.jsonl(List.of(new Generated(0, "abab", ids, 4, 4, 1, 0.1)), specials);
    assertEquals(Math.log(2), r.entropyMean(), 1e-12);
    assertEquals(true, r.jsonl().contains("\"entropy\":" + Math.log(2)), r.jsonl());
  }
}
