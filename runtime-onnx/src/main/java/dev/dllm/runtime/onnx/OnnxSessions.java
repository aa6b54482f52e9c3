package dev.dllm.runtime.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates ONNX Runtime sessions with the CPU default and a guarded CUDA path (ecosystem.md §3). */
public final class OnnxSessions {
  private static final Logger LOG = LoggerFactory.getLogger(OnnxSessions.class);

  private OnnxSessions() {}

  /** ONNX Runtime's session config key for spin-waiting intra-op threads. */
  static final String ALLOW_SPINNING = "session.intra_op.allow_spinning";

  /**
   * A session and the provider it really runs on.
   *
   * @param provider {@code cpu} or {@code cuda}
   */
  public record Opened(OrtSession session, String provider) {}

  /**
   * Opens {@code file}. With {@code cuda}, both {@code addCUDA} and the session creation are
   * guarded: either failing logs one warning line and retries on the CPU. An int8 graph on the CPU
   * runs at optimisation level {@code extended} at least ({@link #int8Level}).
   *
   * @throws InvalidInputException when the file is missing or is not a loadable ONNX model
   */
  public static Opened open(OrtEnvironment env, Path file, OrtConfig config) {
    return open(env, file, config, OrtCalls.DEFAULT);
  }

  /**
   * As {@link #open(OrtEnvironment, Path, OrtConfig)}, calling ONNX Runtime through {@code calls}.
   *
   * @throws InvalidInputException when the file is missing, unreadable, or not an ONNX model (the
   *     message names the file and says "not an ONNX model" before ONNX Runtime's own text)
   */
  public static Opened open(OrtEnvironment env, Path file, OrtConfig config, OrtCalls calls) {
    if (!Files.isRegularFile(file)) {
      throw new InvalidInputException("ONNX model " + file + " does not exist");
    }
    if (!Files.isReadable(file)) {
      throw new InvalidInputException("ONNX model " + file + " is not readable");
    }
    try {
      if (Files.size(file) == 0) {
        throw new InvalidInputException(
            file.getFileName() + " is not an ONNX model (" + file + "): the file is empty");
      }
    } catch (IOException e) {
      throw new InvalidInputException("cannot read ONNX model " + file + ": " + e.getMessage(), e);
    }
    if (config.provider().equals("cuda")) {
      try (OrtSession.SessionOptions so = options(config)) {
        calls.addCuda(so);
        return new Opened(calls.createSession(env, file, so), "cuda");
      } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
        if (e instanceof OrtException oe && notAnOnnxModel(oe)) {
          throw loadFailure(file, oe);
        }
        LOG.warn(
            "CUDA provider unavailable ({}); running {} on the CPU",
            String.valueOf(e.getMessage()).lines().findFirst().orElse("?").strip(),
            file.getFileName());
      }
    }
    Opened cpu = openCpu(env, file, config, calls);
    OrtConfig fused = int8Level(cpu.session(), config);
    if (fused == config) {
      return cpu;
    }
    LOG.debug("{} is an int8 graph: reopening at optimisation level extended", file.getFileName());
    closeQuietly(cpu.session());
    return openCpu(env, file, fused, calls);
  }

  private static Opened openCpu(OrtEnvironment env, Path file, OrtConfig config, OrtCalls calls) {
    try (OrtSession.SessionOptions so = options(config)) {
      return new Opened(calls.createSession(env, file, so), "cpu");
    } catch (OrtException e) {
      throw loadFailure(file, e);
    }
  }

  /**
   * The config an int8 graph ({@link ExportMetadata#QUANTIZE_KEY} = {@value ExportMetadata#INT8})
   * is run with on the CPU: at least optimisation level {@code extended}, the lowest level at which
   * ONNX Runtime fuses {@code DynamicQuantizeLinear + MatMulInteger + Cast + Mul} into its {@code
   * DynamicQuantizeMatMul} kernel (unfused, the int32 product makes two more passes over memory and
   * most of the int8 speed-up is lost); {@code config} itself for any other graph, or when it asks
   * for {@code extended} or {@code all} already.
   */
  static OrtConfig int8Level(OrtSession session, OrtConfig config) {
    if (session == null
        || config.optLevel().equals("extended")
        || config.optLevel().equals("all")) {
      return config;
    }
    try {
      ai.onnxruntime.OnnxModelMetadata md = session.getMetadata();
      Map<String, String> props = md == null ? null : md.getCustomMetadata();
      if (props == null || !ExportMetadata.INT8.equals(props.get(ExportMetadata.QUANTIZE_KEY))) {
        return config;
      }
    } catch (OrtException e) {
      return config; // no readable metadata: OnnxModel reports that itself
    }
    return config.withOptLevel("extended");
  }

  private static void closeQuietly(OrtSession s) {
    try {
      s.close();
    } catch (OrtException e) {
      LOG.debug("closing a session: {}", e.getMessage());
    }
  }

  /** Whether ONNX Runtime refused the bytes as a model (not protobuf, not an ONNX graph). */
  static boolean notAnOnnxModel(OrtException e) {
    String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    return e.getCode() == OrtException.OrtErrorCode.ORT_INVALID_PROTOBUF
        || m.contains("protobuf parsing failed")
        || m.contains("no graph was found");
  }

  private static InvalidInputException loadFailure(Path file, OrtException e) {
    String ort = String.valueOf(e.getMessage()).strip();
    if (notAnOnnxModel(e)) {
      return new InvalidInputException(
          file.getFileName() + " is not an ONNX model (" + file + "); ONNX Runtime says: " + ort,
          e);
    }
    return new InvalidInputException("cannot load ONNX model " + file + ": " + ort, e);
  }

  /**
   * Whether {@code t} (or a cause) is an {@link OrtException} reporting a failed memory allocation
   * (e.g. a sequence too long for the machine), as opposed to a malformed graph.
   */
  public static boolean isAllocationFailure(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof OrtException || c instanceof OutOfMemoryError) {
        String m = String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT);
        if (c instanceof OutOfMemoryError
            || m.contains("alloc")
            || m.contains("out of memory")
            || m.contains("bad_alloc")) {
          return true;
        }
      }
    }
    return false;
  }

  private static OrtSession.SessionOptions options(OrtConfig config) throws OrtException {
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    try {
      so.setOptimizationLevel(config.level());
      if (config.threads() > 0) {
        so.setIntraOpNumThreads(config.threads());
        so.setInterOpNumThreads(1);
      }
      so.addConfigEntry(ALLOW_SPINNING, config.spinning() ? "1" : "0");
      return so;
    } catch (OrtException | RuntimeException e) {
      so.close();
      throw e;
    }
  }

  /** Whether the graph's {@code tokens} input is int64 (else int32); anything else is rejected. */
  static boolean idsAreInt64(OrtSession session) {
    try {
      NodeInfo info = session.getInputInfo().get("tokens");
      if (info == null || !(info.getInfo() instanceof TensorInfo ti)) {
        throw new InvalidInputException(
            "ONNX graph has no tensor input 'tokens' (int64 [batch, seq]); inputs are "
                + session.getInputNames());
      }
      if (ti.type == OnnxJavaType.INT64) {
        return true;
      }
      if (ti.type == OnnxJavaType.INT32) {
        return false;
      }
      throw new InvalidInputException(
          "ONNX graph input 'tokens' is " + ti.type + "; expected int64 token ids");
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }
}
