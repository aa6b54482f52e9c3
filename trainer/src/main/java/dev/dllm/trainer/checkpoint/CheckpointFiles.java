package dev.dllm.trainer.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The file operations behind {@link Checkpoint}'s atomic save and its load: a temporary sibling
 * folder with the umask's permissions, JSON files written with {@code CREATE_NEW} and forced to
 * disk, atomic renames (a plain move where the file system has none), folder fsync, recursive
 * delete, and JSON reads that name the file on a missing or malformed one.
 */
final class CheckpointFiles {
  private CheckpointFiles() {}

  /** The JSON of {@code config.json} and {@code tokenizer/state.json} (indented). */
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * A new, empty sibling folder. Not {@link Files#createTempDirectory}, which makes it 0700: this
   * one gets the permissions of any folder the process creates (0755 under the usual umask).
   */
  static Path createTempDir(Path parent, String prefix) throws IOException {
    for (int attempt = 0; ; attempt++) {
      Path p =
          parent.resolve(
              prefix + Long.toUnsignedString(ThreadLocalRandom.current().nextLong(), 36));
      try {
        return Files.createDirectory(p);
      } catch (FileAlreadyExistsException e) {
        if (attempt >= 100) {
          throw e;
        }
      }
    }
  }

  /**
   * @throws InvalidInputException naming {@code f} when it is not a regular file
   */
  static void requireFile(Path f) {
    if (!Files.isRegularFile(f)) {
      throw new InvalidInputException("checkpoint file " + f + " is missing");
    }
  }

  /**
   * Parses a JSON file of the checkpoint.
   *
   * @throws InvalidInputException naming {@code f} when it is missing or not valid JSON
   */
  static JsonNode readJson(Path f) throws IOException {
    requireFile(f);
    try {
      return JSON.readTree(Files.readString(f, StandardCharsets.UTF_8));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new InvalidInputException(
          "checkpoint file " + f + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  /** Writes {@code value} as a new file (never over an existing one) and forces it to disk. */
  static void writeJson(Path f, Object value) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(value);
    try (FileChannel ch =
        FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        ch.write(b);
      }
      ch.force(true);
    }
  }

  /** Renames atomically, or with a plain move where the file system cannot. */
  static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to);
    }
  }

  /** Forces a folder's entries to disk where the file system supports it (best effort). */
  static void fsyncDir(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // not supported on every file system; the rename is still atomic
    }
  }

  /** Deletes {@code p} and everything under it; nothing when it does not exist. */
  static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }
}
