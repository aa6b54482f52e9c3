package dev.dllm.api.io;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A second process for the lock tests: {@code LockHolder TARGET READY RELEASE} takes the {@link
 * OutputLock} on TARGET, creates READY, waits until RELEASE exists (at most 60 s), then releases
 * the lock and exits 0 (3 when the lock was refused, with the message on standard error).
 */
public final class LockHolder {
  private LockHolder() {}

  public static void main(String[] args) throws Exception {
    Path ready = Path.of(args[1]);
    Path release = Path.of(args[2]);
    try (OutputLock lock = OutputLock.acquire(Path.of(args[0]), "out", "dllm lock-holder")) {
      Files.writeString(ready, Long.toString(ProcessHandle.current().pid()));
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(release) && System.nanoTime() < end) {
        Thread.sleep(10);
      }
    } catch (dev.dllm.api.InvalidInputException e) {
      System.err.println(e.getMessage());
      System.exit(3);
    }
  }

  /** Starts {@code LockHolder target ready release} in a fresh JVM on the test class path. */
  public static Process start(Path target, Path ready, Path release) throws Exception {
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String prop : new String[] {"dllm.locks", "dllm.cache"}) {
      if (System.getProperty(prop) != null) { // the same lock folder as this JVM
        cmd.add("-D" + prop + "=" + System.getProperty(prop));
      }
    }
    cmd.add("-cp");
    cmd.add(String.join(File.pathSeparator, cp.split(File.pathSeparator)));
    cmd.add(LockHolder.class.getName());
    cmd.add(target.toString());
    cmd.add(ready.toString());
    cmd.add(release.toString());
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  /**
   * Waits until {@code p} has created {@code ready} (it holds the lock) and returns its pid.
   *
   * @throws AssertionError when it exits first or takes more than 60 s
   */
  public static long awaitReady(Process p, Path ready) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < end) {
      if (Files.exists(ready) && !Files.readString(ready).isEmpty()) {
        return Long.parseLong(Files.readString(ready).strip());
      }
      if (!p.isAlive()) {
        throw new AssertionError(
            "lock holder exited with "
                + p.exitValue()
                + ": "
                + new String(p.getInputStream().readAllBytes()));
      }
      Thread.sleep(10);
    }
    throw new AssertionError("lock holder did not start within 60 s");
  }
}
