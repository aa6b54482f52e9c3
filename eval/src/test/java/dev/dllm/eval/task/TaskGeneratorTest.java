package dev.dllm.eval.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TaskGeneratorTest {
  private static final Pattern CALC = Pattern.compile("<<(\\d+)([-+*/])(\\d+)=(\\d+)>>(\\d+)");

  @Test
  void sameSeedGivesTheSameFiles(@TempDir Path tmp) throws Exception {
    TaskGenerator g = new TaskGenerator(new TaskGenerator.Settings(7, 3, 50));
    g.write(tmp.resolve("a"), 300, 50);
    new TaskGenerator(new TaskGenerator.Settings(7, 3, 50)).write(tmp.resolve("b"), 300, 50);
    new TaskGenerator(new TaskGenerator.Settings(8, 3, 50)).write(tmp.resolve("c"), 300, 50);
    for (String f : TaskGenerator.FILES) {
      assertArrayEquals(
          Files.readAllBytes(tmp.resolve("a").resolve(f)),
          Files.readAllBytes(tmp.resolve("b").resolve(f)),
          f);
    }
    assertNotEquals(
        Files.readString(tmp.resolve("a/test.jsonl")),
        Files.readString(tmp.resolve("c/test.jsonl")));
    // a smaller train split is a prefix of a larger one; the files hold what generate returns
    assertEquals(
        TaskFile.read(tmp.resolve("a/train.jsonl")).subList(0, 10), g.generate(10, 0).train());
    assertEquals(TaskFile.read(tmp.resolve("a/test.jsonl")), g.generate(300, 50).test());
  }

  @Test
  void everyAnswerEqualsItsAnnotatedArithmetic() {
    for (int steps = 1; steps <= 6; steps++) {
      for (int max : new int[] {5, 20, 1000}) {
        TaskGenerator.Splits s =
            new TaskGenerator(new TaskGenerator.Settings(steps * 31L + max, steps, max))
                .generate(200, 100);
        for (List<TaskItem> split : List.of(s.train(), s.test())) {
          for (TaskItem it : split) {
            check(it, steps, max);
          }
        }
      }
    }
  }

  @Test
  void shortStyleWritesTheSameArithmeticTersely() {
    for (int steps = 1; steps <= 4; steps++) {
      TaskGenerator.Settings story = new TaskGenerator.Settings(5, steps, 10);
      TaskGenerator.Settings terse =
          new TaskGenerator.Settings(5, steps, 10, TaskGenerator.Style.SHORT);
      for (int i = 0; i < 100; i++) {
        // the same random stream: a story item and a short item from the same draws
        TaskItem s = new TaskGenerator(story).one(new java.util.SplittableRandom(i));
        TaskItem t = new TaskGenerator(terse).one(new java.util.SplittableRandom(i));
        check(t, steps, 10);
        // the same draws: the same gold answer and the same calculator annotations
        assertEquals(s.gold(), t.gold());
        assertEquals(
            CALC.matcher(s.answer()).results().map(r -> r.group()).toList(),
            CALC.matcher(t.answer()).results().map(r -> r.group()).toList());
        assertTrue(
            t.question().matches("[A-Z][a-z]+: \\d+ [a-z]+( [-+*/]\\d+)+ = \\?"), t.question());
        assertTrue(t.question().length() < s.question().length(), t.question());
        assertTrue(t.answer().length() < s.answer().length(), t.answer());
      }
      // the name and item keep enough questions distinct for small splits
      new TaskGenerator(terse).generate(300, 50);
    }
    assertEquals(
        "Ben: 9 books /3 = ?",
        new TaskGenerator(new TaskGenerator.Settings(0, 1, 10, TaskGenerator.Style.SHORT))
            .generate(1, 0)
            .train()
            .get(0)
            .question());
    assertEquals(TaskGenerator.Style.SHORT, TaskGenerator.Style.parse("short"));
    assertThrows(InvalidInputException.class, () -> TaskGenerator.Style.parse("long"));
  }

  private static void check(TaskItem it, int steps, int max) {
    Matcher m = CALC.matcher(it.answer());
    long previous = -1;
    int found = 0;
    long first = Long.parseLong(it.question().replaceAll("^\\D*(\\d+).*$", "$1"));
    assertTrue(first >= 1 && first <= max, it.question());
    while (m.find()) {
      long a = Long.parseLong(m.group(1));
      long b = Long.parseLong(m.group(3));
      long c = Long.parseLong(m.group(4));
      long expected =
          switch (m.group(2)) {
            case "+" -> a + b;
            case "-" -> a - b;
            case "*" -> a * b;
            default -> {
              assertEquals(0, a % b, it.answer());
              yield a / b;
            }
          };
      assertEquals(expected, c, it.answer());
      assertEquals(c, Long.parseLong(m.group(5)), it.answer());
      assertTrue(c >= 0 && c <= 10L * max, it.answer());
      assertEquals(found == 0 ? first : previous, a, "chained operand in " + it.answer());
      previous = c;
      found++;
    }
    assertEquals(steps, found, it.answer());
    assertEquals(Long.toString(previous), it.gold(), it.answer());
    assertTrue(it.answer().endsWith("\n#### " + previous), it.answer());
  }

  @Test
  void splitsAreDisjointAndTheTrainAlphabetCoversTest() {
    TaskGenerator.Splits s =
        new TaskGenerator(new TaskGenerator.Settings(1, 2, 20)).generate(2000, 200);
    Set<String> train = new HashSet<>();
    s.train().forEach(i -> assertTrue(train.add(i.question())));
    s.test().forEach(i -> assertFalse(train.contains(i.question())));
    String alpha = TaskGenerator.alphabet(s.train());
    TaskGenerator.alphabet(s.test()).codePoints().forEach(c -> assertTrue(alpha.indexOf(c) >= 0));
    for (char d = '0'; d <= '9'; d++) {
      assertTrue(alpha.indexOf(d) >= 0, "digit " + d);
    }
  }

  @Test
  void tooFewDistinctProblemsIsRefused() {
    assertThrows(
        InvalidInputException.class,
        () -> new TaskGenerator(new TaskGenerator.Settings(0, 1, 2)).generate(5000, 10));
  }
}
