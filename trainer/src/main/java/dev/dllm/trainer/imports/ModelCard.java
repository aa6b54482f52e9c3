package dev.dllm.trainer.imports;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** Provenance of a release folder: its license line and the checksum of its weight files. */
final class ModelCard {
  private ModelCard() {}

  /**
   * The license of a release: the {@code license:} (or {@code license_name:}) field of the model
   * card's YAML front matter ({@code README.md}, as on the Hugging Face hub), else the first
   * non-empty line of a {@code LICENSE} file, else {@code unknown}.
   */
  static String license(Path folder) throws IOException {
    for (String card : List.of("README.md", "MODEL_CARD.md", "model_card.md")) {
      Path f = folder.resolve(card);
      if (Files.isRegularFile(f)) {
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        if (!lines.isEmpty() && lines.get(0).strip().equals("---")) {
          for (int i = 1; i < lines.size() && !lines.get(i).strip().equals("---"); i++) {
            String l = lines.get(i).strip();
            for (String key : List.of("license:", "license_name:")) {
              if (l.startsWith(key) && !l.substring(key.length()).isBlank()) {
                return l.substring(key.length()).strip().replaceAll("^[\"']|[\"']$", "");
              }
            }
          }
        }
      }
    }
    for (String name : List.of("LICENSE", "LICENSE.txt", "LICENSE.md")) {
      Path f = folder.resolve(name);
      if (Files.isRegularFile(f)) {
        for (String l : Files.readAllLines(f, StandardCharsets.UTF_8)) {
          if (!l.isBlank()) {
            return l.strip();
          }
        }
      }
    }
    return "unknown";
  }

  /** SHA-256 of a file, lower-case hex. */
  static String sha256(Path f) throws IOException {
    try (InputStream in = Files.newInputStream(f)) {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 20];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
