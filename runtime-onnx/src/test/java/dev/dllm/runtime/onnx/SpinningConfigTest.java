package dev.dllm.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link OrtConfig#spinning()} reaches the session options ONNX Runtime is given (issue 20). */
class SpinningConfigTest {
  /** The config entries of every session created through the seam while opening {@code dir}. */
  private static List<Map<String, String>> entriesOpening(Path dir, OrtConfig config)
      throws Exception {
    OrtCalls calls = OrtFaultTest.realCalls();
    List<Map<String, String>> seen = new ArrayList<>();
    doAnswer(
            inv -> {
              OrtSession.SessionOptions so = inv.getArgument(2);
              seen.add(Map.copyOf(so.getConfigEntries()));
              return inv.callRealMethod();
            })
        .when(calls)
        .createSession(any(), any(), any());
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s =
        OnnxSessions.open(env, dir.resolve("model.onnx"), config, calls).session()) {
      assertTrue(s.getInputNames().contains("tokens"));
    }
    return seen;
  }

  @Test
  void offByDefaultAndOnWhenAsked() throws Exception {
    Path dir = OnnxRuntimeTest.fixture("mdlm-tiny");
    assertFalse(OrtConfig.defaults().spinning());
    assertFalse(new OrtConfig("cpu", 2, "basic").spinning());
    for (Map<String, String> e : entriesOpening(dir, OrtConfig.defaults().withThreads(2))) {
      assertEquals("0", e.get(OnnxSessions.ALLOW_SPINNING), e.toString());
    }
    List<Map<String, String>> on =
        entriesOpening(dir, OrtConfig.defaults().withThreads(2).withSpinning(true));
    assertFalse(on.isEmpty());
    for (Map<String, String> e : on) {
      assertEquals("1", e.get(OnnxSessions.ALLOW_SPINNING), e.toString());
    }
  }

  @Test
  void withersKeepTheOtherFields() {
    OrtConfig c = new OrtConfig("cpu", 3, "all", true);
    assertEquals(new OrtConfig("cpu", 3, "extended", true), c.withOptLevel("extended"));
    assertEquals(new OrtConfig("cpu", 5, "all", true), c.withThreads(5));
    assertEquals(new OrtConfig("cpu", 3, "all", false), c.withSpinning(false));
  }
}
