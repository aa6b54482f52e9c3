package dev.dllm.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a class path without DJL, hf/spm fail with a clear InvalidInputException; gpt2 still works.
 */
class WithoutDjlTest {
  @TempDir Path tmp;

  private static URLClassLoader loaderWithoutDjl() throws Exception {
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<URL> urls = new ArrayList<>();
    for (String entry : cp.split(File.pathSeparator)) {
      if (!entry.isEmpty() && !entry.replace('\\', '/').contains("/ai/djl/")) {
        urls.add(Path.of(entry).toUri().toURL());
      }
    }
    return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
  }

  private static Object create(ClassLoader loader, String spec) throws Throwable {
    Thread t = Thread.currentThread();
    ClassLoader old = t.getContextClassLoader();
    t.setContextClassLoader(loader);
    try {
      Class<?> tokenizers = Class.forName("dev.dllm.api.tokenize.Tokenizers", true, loader);
      Method create = tokenizers.getMethod("create", String.class, CharSequence.class);
      return create.invoke(null, spec, null);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    } finally {
      t.setContextClassLoader(old);
    }
  }

  @Test
  void hfAndSpmNeedDjl() throws Exception {
    Path json = Files.writeString(tmp.resolve("tokenizer.json"), "{}");
    Path model = Files.write(tmp.resolve("x.model"), new byte[] {0});
    try (URLClassLoader loader = loaderWithoutDjl()) {
      assertThrows(
          ClassNotFoundException.class,
          () -> Class.forName("ai.djl.huggingface.tokenizers.HuggingFaceTokenizer", false, loader));
      for (String spec : new String[] {"hf:" + json, "spm:" + model}) {
        Throwable e = assertThrows(Throwable.class, () -> create(loader, spec));
        assertEquals("dev.dllm.api.InvalidInputException", e.getClass().getName(), e.toString());
        assertTrue(e.getMessage().contains("ai.djl."), e.getMessage());
        assertTrue(e.getMessage().contains(spec), e.getMessage());
      }
      Object gpt2 = assertDoesNotThrowValue(() -> create(loader, "gpt2"));
      assertEquals(loader, gpt2.getClass().getClassLoader());
    }
  }

  private interface ThrowingSupplier {
    Object get() throws Throwable;
  }

  private static Object assertDoesNotThrowValue(ThrowingSupplier s) {
    try {
      return s.get();
    } catch (Throwable e) {
      throw new AssertionError("unexpected " + e, e);
    }
  }
}
