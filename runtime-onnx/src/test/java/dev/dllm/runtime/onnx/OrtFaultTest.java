package dev.dllm.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyMap;
import static org.mockito.Mockito.CALLS_REAL_METHODS;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.doNothing;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtException.OrtErrorCode;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.TokenBatch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault paths simulated with Mockito at the ONNX Runtime seam ({@link OrtCalls}), asserting what a
 * deployer sees (issue 11 §5).
 */
class OrtFaultTest {
  @TempDir Path tmp;

  /** A seam that calls ONNX Runtime for real unless a test stubs a method. */
  static OrtCalls realCalls() {
    return mock(OrtCalls.class, CALLS_REAL_METHODS);
  }

  /** Runs {@code body} with System.err captured; returns the captured lines. */
  static List<String> stderrOf(Runnable body) {
    PrintStream saved = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      body.run();
    } finally {
      System.setErr(saved);
    }
    return buf.toString(StandardCharsets.UTF_8).lines().toList();
  }

  static long warnings(List<String> lines) {
    return lines.stream().filter(l -> l.contains("CUDA provider unavailable")).count();
  }

  @Test
  void missingCudaProviderFallsBackToCpuWithOneWarning() throws Exception {
    OrtCalls calls = realCalls();
    doThrow(new OrtException(OrtErrorCode.ORT_EP_FAIL, "CUDA execution provider is not enabled"))
        .when(calls)
        .addCuda(any());
    OnnxModel[] opened = new OnnxModel[1];
    Path ar = OnnxRuntimeTest.fixture("ar-tiny");
    List<String> err =
        stderrOf(
            () -> opened[0] = OnnxModel.open(ar, OrtConfig.defaults().withProvider("cuda"), calls));
    try (OnnxModel m = opened[0]) {
      assertEquals("cpu", m.provider());
      assertEquals(1, warnings(err), String.join("\n", err));
      assertTrue(err.stream().anyMatch(l -> l.contains("model.onnx on the CPU")), "" + err);
      // model.onnx tried CUDA once; decode.onnx went straight to the CPU
      verify(calls, times(1)).addCuda(any());
      verify(calls, times(2)).createSession(any(), any(), any());
      assertEquals(
          3 * m.denoiser().vocabSize(),
          m.denoiser().forward(new TokenBatch(new int[] {1, 2, 3}, 1, 3), null).values().length);
    }
  }

  @Test
  void cudaSessionCreationFailureFallsBackToCpuWithOneWarning() throws Exception {
    OrtCalls calls = realCalls();
    doNothing().when(calls).addCuda(any()); // the provider "loads" ...
    AtomicInteger creations = new AtomicInteger();
    doAnswer(
            inv -> {
              if (creations.getAndIncrement() == 0) { // ... but the CUDA session fails
                throw new OrtException(
                    OrtErrorCode.ORT_RUNTIME_EXCEPTION,
                    "CUDA failure 100: no CUDA-capable device is detected\nmore detail");
              }
              return inv.callRealMethod();
            })
        .when(calls)
        .createSession(any(), any(), any());
    OnnxModel[] opened = new OnnxModel[1];
    Path mdlm = OnnxRuntimeTest.fixture("mdlm-tiny");
    List<String> err =
        stderrOf(
            () ->
                opened[0] = OnnxModel.open(mdlm, OrtConfig.defaults().withProvider("cuda"), calls));
    try (OnnxModel m = opened[0]) {
      assertEquals("cpu", m.provider());
      assertEquals(1, warnings(err), String.join("\n", err));
      assertTrue(err.stream().anyMatch(l -> l.contains("no CUDA-capable device")), "" + err);
      assertTrue(err.stream().noneMatch(l -> l.contains("more detail")), "one line: " + err);
      verify(calls, times(2)).createSession(any(), any(), any());
    }
  }

  @Test
  void sessionFailingMidSamplingGivesOneErrorAndNoPartialOutput() throws Exception {
    OrtCalls calls = realCalls();
    AtomicInteger runs = new AtomicInteger();
    AtomicInteger failAt = new AtomicInteger(5); // the 6th network call (0-based 5) fails
    doAnswer(
            inv -> {
              if (runs.getAndIncrement() == failAt.get()) {
                throw new OrtException(
                    OrtErrorCode.ORT_RUNTIME_EXCEPTION,
                    "Non-zero status code returned while running MatMul node");
              }
              return inv.callRealMethod();
            })
        .when(calls)
        .run(any(), anyMap(), anyMap());
    // plain ancestral with T = 3: 4 calls per batch, so call 5 is in the second batch
    GenerateOptions o =
        GenerateOptions.defaults()
            .withNumber(4)
            .withBatch(2)
            .withSteps(3)
            .withSeed(9)
            .withOption("predictor", "ancestral");
    try (DllmGenerator g =
        DllmGenerator.open(OnnxRuntimeTest.fixture("mdlm-tiny"), OrtConfig.defaults(), calls)) {
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.generate(o));
      assertTrue(
          e.getMessage()
              .startsWith(
                  "sampling failed in the batch of samples 2-3 of 4; no samples are returned: ONNX"
                      + " Runtime forward failed: "),
          e.getMessage());
      assertTrue(
          e.getMessage().endsWith("Non-zero status code returned while running MatMul node"),
          e.getMessage());
      assertEquals(1, e.getMessage().lines().count());
      assertInstanceOf(OrtException.class, e.getCause().getCause());
      // the generator is still usable, and its state was not corrupted by the failed call
      failAt.set(-1);
      try (DllmGenerator fresh = DllmGenerator.open(OnnxRuntimeTest.fixture("mdlm-tiny"))) {
        List<Generated> want = fresh.generate(o);
        List<Generated> got = g.generate(o);
        for (int i = 0; i < want.size(); i++) {
          assertEquals(want.get(i).text(), got.get(i).text());
        }
      }
    }
  }

  @Test
  void folderBecomingUnreadableAfterOpenDoesNotMatter() throws Exception {
    Path copy = copyFixture("mdlm-tiny", tmp.resolve("export"));
    OrtCalls calls = realCalls();
    GenerateOptions o = GenerateOptions.defaults().withNumber(2).withSteps(4).withSeed(3);
    try (DllmGenerator g = DllmGenerator.open(copy, OrtConfig.defaults(), calls)) {
      List<Generated> before = g.generate(o);
      // from now on ONNX Runtime could not read the folder, and the folder is gone
      doThrow(
              new OrtException(
                  OrtErrorCode.ORT_NO_SUCHFILE, "Load model failed: Permission denied"))
          .when(calls)
          .createSession(any(), any(), any());
      deleteTree(copy);
      List<Generated> after = g.generate(o);
      assertEquals(before.size(), after.size());
      for (int i = 0; i < before.size(); i++) {
        assertEquals(before.get(i).text(), after.get(i).text());
      }
      verify(calls, times(1)).createSession(any(), any(), any());
    }
  }

  @Test
  void folderBecomingUnreadableWhileOpeningNamesTheFile() throws Exception {
    OrtCalls calls = realCalls();
    doThrow(
            new OrtException(
                OrtErrorCode.ORT_NO_SUCHFILE,
                "Load model from /x/model.onnx failed:Permission denied"))
        .when(calls)
        .createSession(any(), any(), any());
    Path dir = OnnxRuntimeTest.fixture("mdlm-tiny");
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class, () -> OnnxModel.open(dir, OrtConfig.defaults(), calls));
    assertTrue(
        e.getMessage().startsWith("cannot load ONNX model " + dir.resolve("model.onnx") + ": "),
        e.getMessage());
    assertTrue(
        e.getMessage().endsWith("Load model from /x/model.onnx failed:Permission denied"),
        e.getMessage());
  }

  static Path copyFixture(String name, Path to) throws Exception {
    Path from = OnnxRuntimeTest.fixture(name);
    Files.createDirectories(to);
    try (Stream<Path> s = Files.list(from)) {
      for (Path p : s.toList()) {
        Files.copy(p, to.resolve(p.getFileName()));
      }
    }
    return to;
  }

  static void deleteTree(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
