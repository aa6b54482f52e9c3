package dev.dllm.server;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM and SIGINT (Ctrl-C) handled by {@code dllm serve} itself rather than by a JVM shutdown
 * hook, so that the drain runs before the JVM starts shutting down.
 *
 * <p>Why not a shutdown hook: the JVM runs all hooks at once, in no order, and ONNX Runtime's Java
 * binding registers one that releases its native environment ({@code OrtEnvironment}) while our
 * drain is still sampling with sessions of that environment; and once the JVM is shutting down the
 * drain races everything else that stops with it. With the signals taken here, the server drains
 * and closes its exports first, and the process then exits normally.
 *
 * <p>Uses {@code sun.misc.Signal} (module {@code jdk.unsupported}, present in every JDK 17+); where
 * a signal cannot be taken (another platform), the caller's shutdown hook remains the way out.
 */
final class Termination {
  private static final Logger LOG = LoggerFactory.getLogger(Termination.class);

  private Termination() {}

  /**
   * Runs {@code stop} on a new thread at the first SIGTERM or SIGINT; later signals are ignored
   * (the stop in progress finishes).
   */
  static void onSignal(Runnable stop) {
    java.util.concurrent.atomic.AtomicBoolean started =
        new java.util.concurrent.atomic.AtomicBoolean();
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        sun.misc.Signal.handle(
            new sun.misc.Signal(name),
            sig -> {
              if (started.compareAndSet(false, true)) {
                Thread t = new Thread(stop, "dllm-serve-stop");
                t.start();
              }
            });
      } catch (IllegalArgumentException e) {
        LOG.debug("SIG{} cannot be handled here; the shutdown hook stops the server", name, e);
      }
    }
  }
}
