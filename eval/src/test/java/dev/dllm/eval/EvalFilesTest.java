package dev.dllm.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalFilesTest {
  @TempDir Path tmp;

  /** Reports are renamed from a temp file: it must follow the umask, not createTempFile's 0600. */
  @Test
  void reportsFollowTheUmaskAndLeaveNoTempFile() throws Exception {
    Assumptions.assumeTrue(
        tmp.getFileSystem().supportedFileAttributeViews().contains("posix"), "POSIX only");
    Set<PosixFilePermission> filePerms =
        Files.getPosixFilePermissions(Files.createFile(tmp.resolve("ref-file")));
    Path json = tmp.resolve("out").resolve("report.json");
    Path text = tmp.resolve("out").resolve("runs.csv");
    EvalFiles.writeJson(json, Map.of("a", 1));
    EvalFiles.writeString(text, "x\n");
    EvalFiles.writeString(text, "y\n"); // replacing keeps the umask's permissions too
    assertEquals(filePerms, Files.getPosixFilePermissions(json));
    assertEquals(filePerms, Files.getPosixFilePermissions(text));
    assertEquals(filePerms, Files.getPosixFilePermissions(EvalFiles.newTempFile(tmp, ".t")));
    assertEquals("y\n", Files.readString(text));
    try (Stream<Path> s = Files.list(tmp.resolve("out"))) {
      assertEquals(
          List.of("report.json", "runs.csv"),
          s.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }
}
