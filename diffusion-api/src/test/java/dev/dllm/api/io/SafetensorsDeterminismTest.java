package dev.dllm.api.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.dllm.api.model.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Equal inputs give byte-identical files; files get ordinary (umask) permissions. */
class SafetensorsDeterminismTest {
  @TempDir Path tmp;

  private static Map<String, Tensor> tensors() {
    Map<String, Tensor> t = new LinkedHashMap<>();
    t.put("w", new Tensor(new float[] {1f, 2f, 3f, 4f}, new int[] {2, 2}));
    return t;
  }

  @Test
  void metadataOrderDoesNotChangeTheBytes() throws IOException {
    Map<String, String> ab = new LinkedHashMap<>();
    ab.put("format", "pt");
    ab.put("family", "mdlm");
    ab.put("a", "1");
    Map<String, String> ba = new LinkedHashMap<>();
    ba.put("a", "1");
    ba.put("family", "mdlm");
    ba.put("format", "pt");
    Safetensors.write(tmp.resolve("x.safetensors"), tensors(), ab);
    Safetensors.write(tmp.resolve("y.safetensors"), tensors(), ba);
    assertArrayEquals(
        Files.readAllBytes(tmp.resolve("x.safetensors")),
        Files.readAllBytes(tmp.resolve("y.safetensors")));
    assertEquals(
        List.of("a", "family", "format"),
        List.copyOf(Safetensors.read(tmp.resolve("x.safetensors")).metadata().keySet()));
  }

  @Test
  void writtenFileHasTheUmaskPermissionsNot0600() throws IOException {
    Assumptions.assumeTrue(
        tmp.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX only");
    Path f = tmp.resolve("m.safetensors");
    Safetensors.write(f, tensors(), Map.of("format", "pt"));
    Set<PosixFilePermission> ref =
        Files.getPosixFilePermissions(Files.createFile(tmp.resolve("ref")));
    assertEquals(ref, Files.getPosixFilePermissions(f));
    try (var s = Files.list(tmp)) {
      assertEquals(2, s.count(), "no temporary file is left behind");
    }
  }
}
