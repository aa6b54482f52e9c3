package dev.dllm.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TaskFile#read}: a task file in another encoding is bad input naming the file ({@code dllm
 * task-eval} exit 2), not a {@code MalformedInputException} (exit 1).
 */
class TaskFileTest {
  @TempDir Path tmp;

  @Test
  void readsUtf8Items() throws Exception {
    Path f = tmp.resolve("t.jsonl");
    Files.writeString(f, "{\"question\": \"caf\u00e9: 1+1?\", \"answer\": \"#### 2\"}\n\n");
    var items = TaskFile.read(f);
    assertEquals(1, items.size());
    assertEquals("caf\u00e9: 1+1?", items.get(0).question());
  }

  @Test
  void aFileThatIsNotUtf8IsNamed() throws Exception {
    Path f = tmp.resolve("latin1.jsonl");
    Files.write(
        f,
        "{\"question\": \"caf\u00e9: 1+1?\", \"answer\": \"#### 2\"}\n"
            .getBytes(StandardCharsets.ISO_8859_1));
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> TaskFile.read(f));
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    assertTrue(e.getMessage().contains("not valid UTF-8"), e.getMessage());
  }
}
