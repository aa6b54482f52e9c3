package dev.dllm.cli;

import dev.dllm.data.DllmCache;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;

/**
 * The gen-PPL scorer shipped inside the CLI jar ({@code --scorer default}): an AR model stronger
 * than the demo's models, trained by dllm on the bundled corpus and committed as resources under
 * {@value #PREFIX}: {@code model.onnx} and {@code export-report.json} (the export folder the
 * runtime opens; a scorer needs only the full forward, so no {@code decode.onnx}), {@code
 * train-report.json} and {@code recipe.txt} (the exact command that reproduces it), listed in
 * {@value #INDEX} because a jar's resource folder cannot be listed.
 *
 * <p>On first use the files are copied (streamed) into the {@link DllmCache} as {@code
 * scorers/bundled-<first 12 hex digits of SHA-256(model.onnx)>/} (export in its {@code onnx/}
 * subfolder): written into a temporary folder beside it, then moved into place in one rename, so a
 * crash never leaves a half-copied scorer and a newer jar with another model gets its own folder.
 * Later calls reuse the folder once every listed file is present and {@code model.onnx} has the
 * resource's size.
 */
final class BundledScorer {
  /** Resource folder of the bundled scorer. */
  static final String PREFIX = "dev/dllm/scorer/";

  /** The file that lists the resource folder's files, one name per line. */
  static final String INDEX = "files.txt";

  /** Files the scorer cannot do without (the export folder the runtime opens). */
  static final List<String> REQUIRED = List.of("model.onnx", "export-report.json");

  private static final String MODEL = "model.onnx";

  private BundledScorer() {}

  /** The bundled scorer's export folder in the dllm cache, extracted on first use. */
  static Path ensure(PrintStream log) throws IOException {
    return ensure(
        BundledScorer.class.getClassLoader(), PREFIX, DllmCache.root().resolve("scorers"), log);
  }

  /**
   * Checks that the resources are in the jar, without extracting them (the demo calls this before
   * it trains, so a packaging fault shows at once).
   *
   * @throws PackagingException naming the missing resource
   */
  static void require() {
    files(BundledScorer.class.getClassLoader(), PREFIX);
  }

  /**
   * As {@link #ensure(PrintStream)} with the resources read from {@code loader} under {@code
   * prefix} and the cache folder {@code scorers} (tests).
   *
   * @return {@code scorers/bundled-<hash>/onnx}
   * @throws PackagingException when the index or a listed file is not a resource
   */
  static Path ensure(ClassLoader loader, String prefix, Path scorers, PrintStream log)
      throws IOException {
    List<String> names = files(loader, prefix);
    Digest model = digest(loader, prefix + MODEL);
    String hash = model.hash();
    Path dir = scorers.resolve("bundled-" + hash);
    if (complete(dir, names, model.size())) {
      return dir.resolve("onnx");
    }
    Files.createDirectories(scorers);
    if (Files.exists(dir)) {
      deleteTree(dir); // an incomplete copy (a file removed by hand): the jar holds the truth
    }
    Path tmp = Files.createTempDirectory(scorers, ".bundled-" + hash + "-");
    try {
      Files.createDirectories(tmp.resolve("onnx"));
      for (String name : names) {
        Path target = tmp.resolve(REQUIRED.contains(name) ? "onnx/" + name : name);
        try (InputStream in = open(loader, prefix + name);
            OutputStream out = Files.newOutputStream(target)) {
          in.transferTo(out);
        }
      }
      try {
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        if (log != null) {
          log.println("bundled gen-PPL scorer extracted to " + dir);
        }
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
        // another process extracted it first; use theirs if it is whole
        if (!complete(dir, names, model.size())) {
          throw e;
        }
      }
    } finally {
      deleteTree(tmp);
    }
    return dir.resolve("onnx");
  }

  /** The listed file names, each checked to be a resource. */
  static List<String> files(ClassLoader loader, String prefix) {
    List<String> names = new ArrayList<>();
    try (InputStream in = open(loader, prefix + INDEX);
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        String name = line.strip();
        if (name.isEmpty() || name.startsWith("#")) {
          continue;
        }
        if (name.contains("/") || name.contains("\\") || name.startsWith(".")) {
          throw new PackagingException(
              "resource " + prefix + INDEX + " lists '" + name + "'; expected plain file names");
        }
        names.add(name);
      }
    } catch (IOException e) {
      throw new PackagingException("cannot read resource " + prefix + INDEX + " (" + e + ")");
    }
    for (String req : REQUIRED) {
      if (!names.contains(req)) {
        throw new PackagingException(
            "resource " + prefix + INDEX + " does not list " + req + " (" + missingHint() + ")");
      }
    }
    for (String name : names) {
      if (loader.getResource(prefix + name) == null) {
        throw missing(prefix + name);
      }
    }
    return names;
  }

  private static boolean complete(Path dir, List<String> names, long modelSize) throws IOException {
    for (String name : names) {
      Path f = dir.resolve(REQUIRED.contains(name) ? "onnx/" + name : name);
      if (!Files.isRegularFile(f)) {
        return false;
      }
    }
    return Files.size(dir.resolve("onnx").resolve(MODEL)) == modelSize;
  }

  private static InputStream open(ClassLoader loader, String resource) {
    InputStream in = loader.getResourceAsStream(resource);
    if (in == null) {
      throw missing(resource);
    }
    return in;
  }

  private static PackagingException missing(String resource) {
    return new PackagingException(
        "the bundled gen-PPL scorer is missing from this build: no resource "
            + resource
            + " ("
            + missingHint()
            + ")");
  }

  private static String missingHint() {
    return "a packaging fault: its files belong in cli/src/main/resources/"
        + PREFIX
        + "; meanwhile give --scorer DIR (an AR export) or --scorer train-default";
  }

  /**
   * A resource's identity.
   *
   * @param hash the first 12 hex digits of its SHA-256
   * @param size its length in bytes
   */
  record Digest(String hash, long size) {}

  /** Hashes a resource, streamed. */
  static Digest digest(ClassLoader loader, String resource) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    long size;
    try (InputStream in = new DigestInputStream(open(loader, resource), md)) {
      size = in.transferTo(OutputStream.nullOutputStream());
    }
    return new Digest(HexFormat.of().formatHex(md.digest(), 0, 6), size);
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (var walk = Files.walk(p)) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
