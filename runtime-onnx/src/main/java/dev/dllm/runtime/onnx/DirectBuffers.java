package dev.dllm.runtime.onnx;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Native-order direct buffers that are freed when their owner is closed, not at the next garbage
 * collection: {@link #free} runs the buffer's cleaner at once ({@code sun.misc.Unsafe
 * #invokeCleaner}, module {@code jdk.unsupported}, the JDK's supported way since Java 9). Where
 * that is unavailable, freeing falls back to the garbage collector.
 *
 * <p>Only buffers from {@link #allocate} may be freed, once, after every tensor over them is
 * closed.
 */
final class DirectBuffers {
  private static final Object UNSAFE;
  private static final Method INVOKE_CLEANER;

  static {
    Object unsafe = null;
    Method invoke = null;
    try {
      Class<?> c = Class.forName("sun.misc.Unsafe");
      Field f = c.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      unsafe = f.get(null);
      invoke = c.getMethod("invokeCleaner", ByteBuffer.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      unsafe = null;
      invoke = null;
    }
    UNSAFE = unsafe;
    INVOKE_CLEANER = invoke;
  }

  private DirectBuffers() {}

  /** A zeroed direct buffer of {@code bytes} bytes in native byte order. */
  static ByteBuffer allocate(long bytes) {
    if (bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "a direct buffer of " + bytes + " bytes exceeds the 2 GiB limit of one Java buffer");
    }
    return ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.nativeOrder());
  }

  /** Whether {@link #free} releases memory at once (else at the next GC). */
  static boolean canFree() {
    return INVOKE_CLEANER != null;
  }

  /** Releases {@code buffer}'s native memory now; null is ignored. */
  static void free(ByteBuffer buffer) {
    if (buffer == null || !buffer.isDirect() || INVOKE_CLEANER == null) {
      return;
    }
    try {
      INVOKE_CLEANER.invoke(UNSAFE, buffer);
    } catch (ReflectiveOperationException | RuntimeException e) {
      // a view or duplicate cannot be freed here; the garbage collector frees its owner
    }
  }
}
