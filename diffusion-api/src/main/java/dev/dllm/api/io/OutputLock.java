package dev.dllm.api.io;

import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An exclusive, cross-process lock on one output (a run folder, an export folder, a samples file),
 * so that "nothing is overwritten" holds when two dllm processes are given the same {@code --out}:
 * the second one is refused with one line naming the holder.
 *
 * <p>The lock is an OS file lock ({@link FileChannel#tryLock}) on a file of the lock folder ({@link
 * #folder}: {@code locks/} in the dllm cache, {@code ~/.cache/dllm/locks} by default), named after
 * the output and a hash of its real path ({@code mdlm-<16 hex>.lock}), so that nothing is written
 * next to the outputs (a refused or failed command leaves its output folder as it was). The file is
 * created when missing and never deleted (deleting it would let two processes lock two different
 * files of the same name). While held, it holds the holder's pid, host, command and start time; on
 * release it is emptied. The OS drops the lock when the process dies, so a lock file left by a
 * killed process does not block: only a live holder does, whatever the file holds. Processes that
 * use different lock folders (another {@code DLLM_CACHE}) do not see each other's locks.
 *
 * <p>Within one JVM the lock is re-entrant for the thread that holds it (a command that runs
 * another command in-process, such as {@code dllm demo} running {@code pareto} into its own folder)
 * and refused for other threads. One JVM never opens the lock file twice: on POSIX systems closing
 * any descriptor of a file drops every lock the process holds on it.
 */
public final class OutputLock implements AutoCloseable {
  /** Offset of the locked byte, past any holder text, so that the text stays readable. */
  private static final long REGION = 1L << 30;

  private static final int MAX_INFO_BYTES = 4096;

  /** Held locks of this JVM, by lock file. */
  private static final Map<Path, Held> HELD = new HashMap<>();

  private final Path file;
  private final Held held;
  private boolean closed;

  private OutputLock(Path file, Held held) {
    this.file = file;
    this.held = held;
  }

  /**
   * Takes the lock on {@code target} or refuses at once; never waits. Neither the target nor its
   * parent folders are created (only the lock folder and file are).
   *
   * @param target the output file or folder
   * @param option the option that named it (e.g. {@code out}), for the message
   * @param command what holds it, e.g. {@code dllm train}, recorded for a second process to name
   * @return the held lock; {@link #close} releases it
   * @throws InvalidInputException naming {@code --option}, the target and the holder (pid, host,
   *     command, start time) when another process or another thread of this one holds it, or when
   *     the lock file cannot be created
   */
  public static OutputLock acquire(Path target, String option, String command) {
    Path file = lockFile(target, option);
    synchronized (HELD) {
      Held h = HELD.get(file);
      if (h != null) {
        if (h.owner != Thread.currentThread()) {
          throw busy(target, option, file, "this process, another thread: " + h.info.strip());
        }
        h.count++;
        return new OutputLock(file, h);
      }
      Held fresh = open(target, option, file, command);
      HELD.put(file, fresh);
      return new OutputLock(file, fresh);
    }
  }

  /**
   * The lock file of {@code target}: {@code <folder>/<name>-<hash>.lock}, the hash (SHA-256, 16 hex
   * digits) over the target's absolute path with its existing part resolved to the real path (so
   * that two spellings of one folder share one lock).
   *
   * @throws InvalidInputException when {@code target} has no name (a file system root)
   */
  public static Path lockFile(Path target, String option) {
    Path abs = target.toAbsolutePath().normalize();
    if (abs.getFileName() == null) {
      throw new InvalidInputException("--" + option + " " + target + ": not a file or folder");
    }
    Path real = realPrefix(abs);
    String name = real.getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
    if (name.length() > 40) {
      name = name.substring(0, 40);
    }
    return folder().resolve(name + "-" + hash(real.toString()) + ".lock");
  }

  /**
   * The folder of the lock files: system property {@code dllm.locks}, else {@code locks/} in the
   * dllm cache (property {@code dllm.cache}, else {@code $DLLM_CACHE}, else {@code ~/.cache/dllm};
   * the folder of {@code dev.dllm.data.DllmCache}, a module this one does not see).
   */
  public static Path folder() {
    String locks = System.getProperty("dllm.locks");
    if (locks != null && !locks.isBlank()) {
      return Path.of(locks).toAbsolutePath();
    }
    String cache = System.getProperty("dllm.cache");
    if (cache == null || cache.isBlank()) {
      cache = System.getenv("DLLM_CACHE");
    }
    Path root =
        cache != null && !cache.isBlank()
            ? Path.of(cache)
            : Path.of(System.getProperty("user.home"), ".cache", "dllm");
    return root.resolve("locks").toAbsolutePath();
  }

  /** The lock file held. */
  public Path file() {
    return file;
  }

  /** Releases the lock (empties the lock file first); idempotent. */
  @Override
  public void close() {
    synchronized (HELD) {
      if (closed) {
        return;
      }
      closed = true;
      if (--held.count > 0) {
        return;
      }
      HELD.remove(file);
      try (FileChannel ch = held.channel) {
        ch.truncate(0);
        held.lock.release();
      } catch (IOException e) {
        // closing the channel drops the lock in any case
      }
    }
  }

  private static Held open(Path target, String option, Path file, String command) {
    FileChannel ch;
    try {
      Files.createDirectories(file.getParent());
      ch =
          FileChannel.open(
              file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    } catch (IOException e) {
      throw new InvalidInputException(
          "--"
              + option
              + " "
              + target
              + ": cannot create the lock file "
              + file
              + " ("
              + reason(e)
              + "; the lock folder is -Ddllm.locks, else locks/ in $DLLM_CACHE or ~/.cache/dllm)",
          e);
    }
    try {
      FileLock lock;
      try {
        lock = ch.tryLock(REGION, 1, false);
      } catch (OverlappingFileLockException e) {
        lock = null; // another class loader of this JVM; treated as another holder
      }
      if (lock == null) {
        String info = read(ch);
        ch.close();
        throw busy(
            target,
            option,
            file,
            info.isBlank() ? "holder not recorded yet" : info.strip().replace('\n', ' '));
      }
      String info = describe(command);
      ch.truncate(0);
      ch.write(ByteBuffer.wrap(info.getBytes(StandardCharsets.UTF_8)), 0);
      return new Held(ch, lock, info);
    } catch (IOException e) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // the lock, if any, is dropped with the channel
      }
      throw new InvalidInputException(
          "--" + option + " " + target + ": cannot lock " + file + " (" + reason(e) + ")", e);
    }
  }

  private static InvalidInputException busy(Path target, String option, Path file, String who) {
    return new InvalidInputException(
        "--"
            + option
            + " "
            + target
            + " is in use by another dllm process ("
            + who
            + "; lock file "
            + file
            + "): wait for it to finish or choose another --"
            + option);
  }

  /**
   * The holder's line: pid, host, command (the process's dllm arguments where they can be read) and
   * the time the lock was taken (UTC, seconds).
   */
  static String describe(String command) {
    ProcessHandle self = ProcessHandle.current();
    String line = dllmArguments(jvmArguments(self));
    String what =
        line.isEmpty()
            ? command
            : ("dllm " + line).startsWith(command)
                ? "dllm " + line
                : command + " (within dllm " + line + ")";
    return "pid "
        + self.pid()
        + " on host "
        + host()
        + ", "
        + what
        + ", since "
        + Instant.now().truncatedTo(ChronoUnit.SECONDS)
        + "\n";
  }

  /**
   * The arguments after the CLI's main class ({@code dev.dllm.cli.Main}) in a JVM's argument list,
   * shortened to 200 characters; {@code ""} when there are none.
   */
  static String dllmArguments(List<String> jvmArgs) {
    int main = jvmArgs.indexOf("dev.dllm.cli.Main");
    if (main < 0 || main + 1 >= jvmArgs.size()) {
      return "";
    }
    String s = String.join(" ", jvmArgs.subList(main + 1, jvmArgs.size()));
    return s.length() > 200 ? s.substring(0, 197) + "..." : s;
  }

  /**
   * This JVM's arguments: {@link ProcessHandle.Info#arguments}, else (it is empty on Linux when the
   * command line exceeds 4 KiB, as the launcher's class path does) {@code /proc/self/cmdline}.
   */
  private static List<String> jvmArguments(ProcessHandle self) {
    java.util.Optional<String[]> args = self.info().arguments();
    if (args.isPresent()) {
      return List.of(args.get());
    }
    try {
      String all = Files.readString(Path.of("/proc/self/cmdline"), StandardCharsets.UTF_8);
      return List.of(all.split("\0"));
    } catch (IOException | RuntimeException e) {
      return List.of();
    }
  }

  private static String host() {
    String h = System.getenv("HOSTNAME");
    if (h == null || h.isBlank()) {
      h = System.getenv("COMPUTERNAME");
    }
    if (h == null || h.isBlank()) {
      try {
        h = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
      } catch (IOException | RuntimeException e) {
        h = "unknown";
      }
    }
    return h;
  }

  private static String read(FileChannel ch) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(MAX_INFO_BYTES);
    while (buf.hasRemaining() && ch.read(buf, buf.position()) > 0) {
      // reads up to MAX_INFO_BYTES from the start
    }
    return new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8);
  }

  private static Path realPrefix(Path p) {
    Path rest = null;
    for (Path q = p; q != null; q = q.getParent()) {
      if (Files.exists(q)) {
        try {
          Path real = q.toRealPath();
          return rest == null ? real : real.resolve(rest);
        } catch (IOException e) {
          return p;
        }
      }
      Path name = q.getFileName();
      rest = rest == null ? name : name.resolve(rest);
    }
    return p;
  }

  private static String hash(String s) {
    try {
      byte[] d =
          java.security.MessageDigest.getInstance("SHA-256")
              .digest(s.getBytes(StandardCharsets.UTF_8));
      return java.util.HexFormat.of().formatHex(d, 0, 8);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }

  private static String reason(IOException e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }

  private static final class Held {
    final FileChannel channel;
    final FileLock lock;
    final String info;
    final Thread owner = Thread.currentThread();
    int count = 1;

    Held(FileChannel channel, FileLock lock, String info) {
      this.channel = channel;
      this.info = info;
      this.lock = lock;
    }
  }
}
