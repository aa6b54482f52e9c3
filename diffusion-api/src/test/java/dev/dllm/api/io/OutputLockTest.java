package dev.dllm.api.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link OutputLock}: across processes (a second JVM, {@link LockHolder}), threads and kills. */
class OutputLockTest {
  @TempDir Path tmp;

  @Test
  void aSecondProcessHoldingTheOutputIsNamedAndReleasingLetsTheNextOneIn() throws Exception {
    Path target = tmp.resolve("runs").resolve("mdlm");
    Path ready = tmp.resolve("ready");
    Path release = tmp.resolve("release");
    Process holder = LockHolder.start(target, ready, release);
    try {
      long pid = LockHolder.awaitReady(holder, ready);
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class, () -> OutputLock.acquire(target, "out", "dllm test"));
      String m = e.getMessage();
      assertTrue(m.startsWith("--out " + target + " is in use by another dllm process"), m);
      assertTrue(m.contains("pid " + pid + " on host "), m);
      assertTrue(m.contains("dllm lock-holder"), m);
      assertTrue(m.contains(", since 20"), m);
      assertFalse(m.contains("\n"), m);
      assertFalse(Files.exists(tmp.resolve("runs")), "nothing is created beside the output");
      Files.createFile(release);
      assertTrue(holder.waitFor(60, TimeUnit.SECONDS));
      assertEquals(0, holder.exitValue());
      Path file;
      try (OutputLock lock = OutputLock.acquire(target, "out", "dllm test")) {
        file = lock.file();
        assertEquals(
            OutputLock.folder()
                .resolve("mdlm-" + sha256(tmp.toRealPath() + "/runs/mdlm") + ".lock"),
            file);
        assertTrue(Files.readString(file).contains("pid " + ProcessHandle.current().pid()));
      }
      assertEquals("", Files.readString(file), "released: the lock file is emptied, not deleted");
    } finally {
      holder.destroyForcibly();
    }
  }

  @Test
  void aLockFileLeftByAKilledProcessDoesNotBlock() throws Exception {
    Path target = tmp.resolve("samples.jsonl");
    Path ready = tmp.resolve("ready");
    Process holder = LockHolder.start(target, ready, tmp.resolve("never"));
    long pid = LockHolder.awaitReady(holder, ready);
    holder.destroyForcibly(); // kill -9: no finally block, no release by the holder
    assertTrue(holder.waitFor(60, TimeUnit.SECONDS));
    Path file = OutputLock.lockFile(target, "out");
    assertTrue(Files.readString(file).contains("pid " + pid), "the dead holder's line stays");
    try (OutputLock lock = OutputLock.acquire(target, "out", "dllm test")) {
      assertTrue(Files.readString(file).contains("pid " + ProcessHandle.current().pid()));
    }
  }

  @Test
  void reentrantInItsThreadRefusedInAnother() throws Exception {
    Path target = tmp.resolve("demo");
    try (OutputLock outer = OutputLock.acquire(target, "out", "dllm demo")) {
      try (OutputLock inner = OutputLock.acquire(target, "out", "dllm pareto")) {
        assertEquals(outer.file(), inner.file());
      }
      // the inner close keeps the outer hold
      String m = otherThread(target);
      assertTrue(m.contains("this process, another thread: pid "), m);
      assertTrue(m.contains("dllm demo"), m);
    }
    assertEquals("free", otherThread(target));
  }

  @Test
  void twoSpellingsOfOneFolderShareOneLock() throws Exception {
    Files.createDirectories(tmp.resolve("a/b"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), tmp.resolve("a"));
    Path plain = tmp.resolve("a/b/../run");
    assertEquals(
        OutputLock.lockFile(tmp.resolve("a/run"), "out"), OutputLock.lockFile(plain, "out"));
    assertEquals(
        OutputLock.lockFile(tmp.resolve("a/run"), "out"),
        OutputLock.lockFile(link.resolve("run"), "out"));
    assertEquals(
        OutputLock.folder().resolve("run-" + sha256(tmp.toRealPath() + "/a/new/run") + ".lock"),
        OutputLock.lockFile(tmp.resolve("a/new/run"), "out"),
        "a missing parent resolves from its nearest existing ancestor");
  }

  @Test
  void aLockFolderThatCannotBeCreatedIsBadInputNamingTheOption() throws Exception {
    Path file = Files.writeString(tmp.resolve("file"), "x");
    String was = System.getProperty("dllm.locks");
    System.setProperty("dllm.locks", file.resolve("locks").toString());
    try {
      InvalidInputException e =
          assertThrows(
              InvalidInputException.class,
              () -> OutputLock.acquire(tmp.resolve("run"), "out", "dllm train"));
      assertTrue(
          e.getMessage()
              .startsWith("--out " + tmp.resolve("run") + ": cannot create the lock file"),
          e.getMessage());
    } finally {
      if (was == null) {
        System.clearProperty("dllm.locks");
      } else {
        System.setProperty("dllm.locks", was);
      }
    }
  }

  @Test
  void theHolderLineNamesTheDllmArgumentsAfterTheMainClass() {
    assertEquals(
        "train --seed 11 --out runs/a",
        OutputLock.dllmArguments(
            List.of(
                "-Xmx1g",
                "-cp",
                "x.jar",
                "dev.dllm.cli.Main",
                "train",
                "--seed",
                "11",
                "--out",
                "runs/a")));
    assertEquals("", OutputLock.dllmArguments(List.of("-cp", "x.jar", "org.junit.Runner")));
    assertEquals("", OutputLock.dllmArguments(List.of("dev.dllm.cli.Main")));
  }

  /** The first 16 hex digits of SHA-256 over {@code s} (UTF-8). */
  private static String sha256(String s) throws Exception {
    byte[] d =
        java.security.MessageDigest.getInstance("SHA-256")
            .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      b.append(String.format("%02x", d[i] & 0xff));
    }
    return b.toString();
  }

  /** Tries the lock from another thread: "free" when it got it, else the refusal. */
  private static String otherThread(Path target) throws Exception {
    return CompletableFuture.supplyAsync(
            () -> {
              try (OutputLock lock = OutputLock.acquire(target, "out", "dllm other")) {
                return "free";
              } catch (InvalidInputException e) {
                return e.getMessage();
              }
            })
        .get(60, TimeUnit.SECONDS);
  }
}
