package dev.dllm.cli;

import dev.dllm.api.io.OutputLock;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The other process of the cli lock tests: {@code LockHolderMain READY RELEASE TARGET...} takes the
 * {@link OutputLock} of each TARGET (as a dllm command does on its output), writes its pid to
 * READY, waits until RELEASE exists (at most 120 s), releases and exits 0.
 */
public final class LockHolderMain {
  private LockHolderMain() {}

  public static void main(String[] args) throws Exception {
    List<OutputLock> locks = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      locks.add(OutputLock.acquire(Path.of(args[i]), "out", "dllm lock-holder"));
    }
    Files.writeString(Path.of(args[0]), Long.toString(ProcessHandle.current().pid()));
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (!Files.exists(Path.of(args[1])) && System.nanoTime() < end) {
      Thread.sleep(10);
    }
    locks.forEach(OutputLock::close);
  }

  /** A running holder of {@code targets}; {@link #close} lets it release and waits for its exit. */
  static final class Holder implements AutoCloseable {
    final Process process;
    final long pid;
    private final Path release;

    Holder(Path work, List<Path> targets) throws Exception {
      Files.createDirectories(work);
      Path ready = work.resolve("ready");
      release = work.resolve("release");
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      for (String prop : new String[] {"dllm.locks", "dllm.cache"}) {
        if (System.getProperty(prop) != null) { // the same lock folder as this JVM
          cmd.add("-D" + prop + "=" + System.getProperty(prop));
        }
      }
      cmd.add("-cp");
      cmd.add(
          System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))
              .replace(";", File.pathSeparator));
      cmd.add(LockHolderMain.class.getName());
      cmd.add(ready.toString());
      cmd.add(release.toString());
      targets.forEach(t -> cmd.add(t.toString()));
      process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!(Files.exists(ready) && !Files.readString(ready).isEmpty())) {
        if (!process.isAlive() || System.nanoTime() > until) {
          process.destroyForcibly();
          throw new AssertionError(
              "lock holder did not start: " + new String(process.getInputStream().readAllBytes()));
        }
        Thread.sleep(10);
      }
      pid = Long.parseLong(Files.readString(ready).strip());
    }

    /** Kills the holder (no release of its own): the OS drops its locks. */
    void kill() throws Exception {
      process.destroyForcibly();
      process.waitFor(60, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
      Files.writeString(release, "");
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
