package dev.dllm.eval.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** lm-eval's two gsm8k filters on the real GSM8K files and on edge cases. */
class Gsm8kExtractionTest {

  static Path gsm8k(String split) {
    String shared = System.getProperty("dllm.shared", "../../shared");
    return Path.of(shared, "data", "gsm8k", split + ".jsonl");
  }

  @Test
  void everyGoldOfTheRealTestFileExtractsAndScoresAHundredPercent() throws Exception {
    Path test = gsm8k("test");
    assumeTrue(Files.isRegularFile(test), "GSM8K test file absent: " + test);
    List<TaskItem> items = TaskFile.read(test);
    assertEquals(1319, items.size());
    int strict = 0;
    int flexible = 0;
    for (TaskItem it : items) {
      String gold = it.gold();
      assertNotNull(AnswerExtractor.number(gold), "gold of " + it.question() + ": " + gold);
      // the gold completion as the model's output, through the same cut as generation
      String output = PromptTemplate.cut(PromptTemplate.goldCompletion(it));
      strict += AnswerExtractor.matches(AnswerExtractor.strict(output), gold) ? 1 : 0;
      flexible += AnswerExtractor.matches(AnswerExtractor.flexible(output), gold) ? 1 : 0;
    }
    assertEquals(1319, strict);
    assertEquals(1319, flexible);
  }

  @Test
  void everyGoldOfTheRealTrainFileExtracts() throws Exception {
    Path train = gsm8k("train");
    assumeTrue(Files.isRegularFile(train), "GSM8K train file absent: " + train);
    for (TaskItem it : TaskFile.read(train)) {
      assertNotNull(AnswerExtractor.number(it.gold()), it.answer());
    }
  }

  @Test
  void strictTakesTheFirstHashNumberFlexibleTheLastNumber() {
    String out = " She pays 2*$9=$<<2*9=18>>18.\n#### 18\n\nThen 7 more";
    assertEquals("18", AnswerExtractor.strict(out));
    assertEquals("7", AnswerExtractor.flexible(out));
    assertEquals("1000", AnswerExtractor.strict("#### 1,000."));
    assertEquals("1000", AnswerExtractor.flexible("so $1,000."));
    assertEquals("-5", AnswerExtractor.flexible("it is -5"));
    assertNull(AnswerExtractor.strict("the answer is 18"));
    assertNull(AnswerExtractor.flexible("no number here"));
  }

  @Test
  void comparisonIsNumeric() {
    assertTrue(AnswerExtractor.matches("18.00", "18"));
    assertTrue(AnswerExtractor.matches("$18", "18"));
    assertTrue(AnswerExtractor.matches("1,234", "1234"));
    assertFalse(AnswerExtractor.matches("18.5", "18"));
    assertFalse(AnswerExtractor.matches("..", "18"));
    assertFalse(AnswerExtractor.matches(null, "18"));
  }

  @Test
  void completionsAreCutAtLmEvalStopStrings() {
    assertEquals(" x\n\n", PromptTemplate.cut(" x\n\nQuestion: next"));
    assertEquals(" y", PromptTemplate.cut(" y</s>z"));
    assertEquals(" z", PromptTemplate.cut(" z"));
  }

  @Test
  void kShotPromptIsLmEvalsGsm8kTemplate() {
    TaskItem a = new TaskItem("q1?", "a1\n#### 1");
    TaskItem b = new TaskItem("q2?", "a2\n#### 2");
    TaskItem c = new TaskItem("q3?", "a3\n#### 3");
    assertEquals("Question: q3?\nAnswer:", new PromptTemplate(List.of()).prompt(c));
    assertEquals(
        "Question: q1?\nAnswer: a1\n#### 1\n\nQuestion: q2?\nAnswer: a2\n#### 2\n\n"
            + "Question: q3?\nAnswer:",
        PromptTemplate.firstN(List.of(a, b, c), 2).prompt(c));
  }
}
