package dev.dllm.eval.task;

import dev.dllm.api.InvalidInputException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A laptop-scale arithmetic word-problem task in GSM8K's own format: a question, a worked answer
 * with one line per step carrying a {@code <<a+b=c>>} calculator annotation, and {@code #### n}.
 * Deterministic from a seed; the difficulty knob is the number of steps K (operations per problem)
 * and the size of the numbers M (every operand of + and − and the starting amount lie in [1, M];
 * factors and divisors in [2, min(9, M)]; running totals stay in [0, 10·M]).
 *
 * <p>Example (K = 2, M = 20):
 *
 * <pre>
 * Question: Mia has 7 shells. She buys 5 more shells. Then she gives 3 shells to Tom. How many
 * shells does Mia have now?
 * Answer: Mia buys 5 more shells, so she has 7+5=&lt;&lt;7+5=12&gt;&gt;12 shells.
 * She gives away 3 shells, so she has 12-3=&lt;&lt;12-3=9&gt;&gt;9 shells.
 * #### 9
 * </pre>
 *
 * <p>Splits: train items come from the first {@link SplittableRandom#split()} of {@code new
 * SplittableRandom(seed)} and test items from the second, so the test split does not depend on the
 * train size except that a test question equal to a train question is skipped (the splits are
 * disjoint; questions are distinct within a split). The alphabet is small and fixed (the names,
 * items and words below, digits and {@code +-*=<>#.,?}), so a {@code char} tokenizer built from the
 * train text covers the test text ({@link #alphabet}).
 */
public final class TaskGenerator {
  private static final String[][] PEOPLE = {
    {"Ann", "she", "her"},
    {"Ben", "he", "his"},
    {"Mia", "she", "her"},
    {"Tom", "he", "his"},
    {"Zoe", "she", "her"},
    {"Sam", "he", "his"}
  };
  private static final String[] THINGS = {"apples", "pens", "cards", "coins", "books", "shells"};

  /**
   * The knobs.
   *
   * @param seed the seed
   * @param steps K, operations per problem (1 to 8)
   * @param maxNumber M, the largest starting amount and + / − operand (2 to 1,000,000)
   */
  public record Settings(long seed, int steps, int maxNumber, Style style) {
    /** The story style, GSM8K-like prose. */
    public Settings(long seed, int steps, int maxNumber) {
      this(seed, steps, maxNumber, Style.STORY);
    }

    public Settings {
      if (style == null) {
        throw new InvalidInputException("style must be given");
      }
      if (steps < 1 || steps > 8) {
        throw new InvalidInputException("--steps must be in [1, 8], got " + steps);
      }
      if (maxNumber < 2 || maxNumber > 1_000_000) {
        throw new InvalidInputException("--max-number must be in [2, 1000000], got " + maxNumber);
      }
    }
  }

  /**
   * How a problem is written. {@link #STORY}: the word problem of the class comment. {@link
   * #SHORT}: the same draws (person, item, amounts, operations) written tersely, for laptop budgets
   * where the prose costs most of the tokens: question {@code "Mia: 7 shells +5 -3 = ?"} (left to
   * right), answer one bare line per step {@code "7+5=<<7+5=12>>12"} and {@code "#### n"}. The name
   * and item keep questions distinct when the arithmetic repeats.
   */
  public enum Style {
    STORY,
    SHORT;

    /** Parses {@code story} or {@code short}. */
    public static Style parse(String s) {
      for (Style v : values()) {
        if (v.name().equalsIgnoreCase(s)) {
          return v;
        }
      }
      throw new InvalidInputException("--style must be story or short, got " + s);
    }
  }

  /** The two splits. */
  public record Splits(List<TaskItem> train, List<TaskItem> test) {}

  private final Settings settings;

  public TaskGenerator(Settings settings) {
    this.settings = settings;
  }

  /**
   * Generates {@code train} and {@code test} distinct items.
   *
   * @throws InvalidInputException when the knobs allow too few distinct problems
   */
  public Splits generate(int train, int test) {
    if (train < 0 || test < 0) {
      throw new InvalidInputException("split sizes must be >= 0");
    }
    SplittableRandom root = new SplittableRandom(settings.seed());
    SplittableRandom trainRng = root.split();
    SplittableRandom testRng = root.split();
    Set<String> seen = new HashSet<>();
    List<TaskItem> tr = draw(trainRng, train, seen, "train");
    List<TaskItem> te = draw(testRng, test, seen, "test");
    return new Splits(tr, te);
  }

  private List<TaskItem> draw(SplittableRandom rng, int n, Set<String> seen, String split) {
    List<TaskItem> out = new ArrayList<>(n);
    long tries = 0;
    long maxTries = 50L * n + 1000;
    while (out.size() < n) {
      if (++tries > maxTries) {
        throw new InvalidInputException(
            String.format(
                "only %d distinct %s problems found in %d tries at --steps %d --max-number %d;"
                    + " ask for fewer items or raise the difficulty",
                out.size(), split, maxTries, settings.steps(), settings.maxNumber()));
      }
      TaskItem item = one(rng);
      if (seen.add(item.question())) {
        out.add(item);
      }
    }
    return out;
  }

  /** One problem. */
  TaskItem one(SplittableRandom rng) {
    int m = settings.maxNumber();
    long limit = 10L * m;
    int small = Math.min(9, m);
    String[] person = PEOPLE[rng.nextInt(PEOPLE.length)];
    String name = person[0];
    String pron = person[1];
    String cap = capitalize(pron);
    String poss = person[2];
    String[] friend = PEOPLE[(indexOf(name) + 1 + rng.nextInt(PEOPLE.length - 1)) % PEOPLE.length];
    String thing = THINGS[rng.nextInt(THINGS.length)];
    long x = 1 + rng.nextInt(m);
    StringBuilder q = new StringBuilder();
    StringBuilder a = new StringBuilder();
    StringBuilder sq = new StringBuilder().append(name).append(": ").append(x).append(' ');
    sq.append(thing);
    StringBuilder sa = new StringBuilder();
    q.append(name).append(" has ").append(x).append(' ').append(thing).append('.');
    for (int s = 0; s < settings.steps(); s++) {
      String lead = s == 0 ? cap : "Then " + pron;
      String possLead = s == 0 ? capitalize(poss) : "Then " + poss;
      List<Character> ops = new ArrayList<>(4);
      if (x + 1 <= limit) {
        ops.add('+');
      }
      if (x >= 1) {
        ops.add('-');
      }
      if (small >= 2 && 2 * x <= limit && x >= 1) {
        ops.add('*');
      }
      if (divisor(x, small) > 0) {
        ops.add('/');
      }
      char op = ops.get(rng.nextInt(ops.size()));
      long b;
      long r;
      switch (op) {
        case '+' -> {
          b = 1 + rng.nextInt((int) Math.min(m, limit - x));
          r = x + b;
          q.append(' ').append(lead).append(" buys ").append(b).append(" more ").append(thing);
          q.append('.');
          a.append(name).append(" buys ").append(b).append(" more ").append(thing);
          a.append(", so ").append(pron).append(" has ");
        }
        case '-' -> {
          b = 1 + rng.nextInt((int) Math.min(m, x));
          r = x - b;
          q.append(' ').append(lead).append(" gives ").append(b).append(' ').append(thing);
          q.append(" to ").append(friend[0]).append('.');
          a.append(cap).append(" gives away ").append(b).append(' ').append(thing);
          a.append(", so ").append(pron).append(" has ");
        }
        case '*' -> {
          int most = (int) Math.min(small, limit / x);
          b = 2 + rng.nextInt(most - 1);
          r = x * b;
          q.append(' ').append(possLead).append(' ').append(thing);
          q.append(" are multiplied by ").append(b).append('.');
          a.append(capitalize(poss)).append(' ').append(thing).append(" are multiplied by ");
          a.append(b).append(", so ").append(pron).append(" has ");
        }
        default -> {
          List<Long> divisors = new ArrayList<>();
          for (long d = 2; d <= small; d++) {
            if (x % d == 0 && x >= d) {
              divisors.add(d);
            }
          }
          b = divisors.get(rng.nextInt(divisors.size()));
          r = x / b;
          q.append(' ').append(lead).append(" splits the ").append(thing).append(" into ");
          q.append(b).append(" equal piles and keeps one pile.");
          a.append(cap).append(" keeps one of ").append(b).append(" piles");
          a.append(", so ").append(pron).append(" has ");
        }
      }
      String expr = x + "" + op + b;
      a.append(expr).append("=<<").append(expr).append('=').append(r).append(">>").append(r);
      a.append(' ').append(thing).append(".\n");
      sq.append(' ').append(op).append(b);
      sa.append(expr).append("=<<").append(expr).append('=').append(r).append(">>").append(r);
      sa.append('\n');
      x = r;
    }
    q.append(" How many ").append(thing).append(" does ").append(name).append(" have now?");
    a.append("#### ").append(x);
    if (settings.style() == Style.SHORT) {
      sa.append("#### ").append(x);
      return new TaskItem(sq.append(" = ?").toString(), sa.toString());
    }
    return new TaskItem(q.toString(), a.toString());
  }

  private static String capitalize(String w) {
    return Character.toUpperCase(w.charAt(0)) + w.substring(1);
  }

  private static int indexOf(String name) {
    for (int i = 0; i < PEOPLE.length; i++) {
      if (PEOPLE[i][0].equals(name)) {
        return i;
      }
    }
    throw new IllegalStateException(name);
  }

  private static long divisor(long x, int small) {
    for (long d = 2; d <= small; d++) {
      if (x >= d && x % d == 0) {
        return d;
      }
    }
    return 0;
  }

  /** Names of the files {@link #write} writes. */
  public static final List<String> FILES =
      List.of("train.jsonl", "test.jsonl", "train.txt", "task.json");

  /**
   * Generates the splits and writes {@code dir/train.jsonl}, {@code test.jsonl} (GSM8K's {@code
   * {"question", "answer"}} lines), {@code train.txt} ({@link #corpus} of the train split, for
   * {@code dllm train --data}) and {@code task.json} (knobs, counts, alphabet, the test split's
   * majority baseline), each atomically.
   *
   * @return the contents of {@code task.json}
   */
  public Map<String, Object> write(java.nio.file.Path dir, int train, int test)
      throws java.io.IOException {
    Splits s = generate(train, test);
    dev.dllm.eval.EvalFiles.writeString(dir.resolve("train.jsonl"), TaskFile.toJsonl(s.train()));
    dev.dllm.eval.EvalFiles.writeString(dir.resolve("test.jsonl"), TaskFile.toJsonl(s.test()));
    dev.dllm.eval.EvalFiles.writeString(dir.resolve("train.txt"), corpus(s.train()));
    String trainChars = alphabet(s.train());
    String missing =
        alphabet(s.test())
            .codePoints()
            .filter(c -> trainChars.indexOf(c) < 0)
            .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
            .toString();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", "GSM8K: {\"question\", \"answer\"} with <<a op b=c>> and #### n");
    m.put("seed", settings.seed());
    m.put("steps", settings.steps());
    m.put("max_number", settings.maxNumber());
    m.put("style", settings.style().name().toLowerCase(java.util.Locale.ROOT));
    m.put("train", s.train().size());
    m.put("test", s.test().size());
    m.put("train_corpus", "train.txt: 'Question: q\\nAnswer: a' items separated by a blank line");
    m.put(
        "tokenizer",
        "char built from train.txt (dllm train --data train.txt --tokenizer char) covers the"
            + " task: its alphabet is fixed and every test character occurs in train; byte also"
            + " covers it. The bundled Tiny Shakespeare char vocabulary has no digits.");
    m.put("alphabet", trainChars);
    m.put("test_characters_missing_from_train", missing);
    m.put("test_majority_baseline", majorityBaseline(s.test()));
    m.put(
        "max_answer_chars", s.train().stream().mapToInt(i -> i.answer().length()).max().orElse(0));
    m.put(
        "max_prompt_chars",
        s.test().stream()
            .mapToInt(i -> new PromptTemplate(List.of()).prompt(i).length())
            .max()
            .orElse(0));
    dev.dllm.eval.EvalFiles.writeJson(dir.resolve("task.json"), m);
    return m;
  }

  /**
   * The training corpus of the task: every item in the prompt format of {@link PromptTemplate}
   * ({@code "Question: q\nAnswer: a"}), items separated by a blank line, ending with a newline, so
   * that {@code dllm train --data train.txt --tokenizer char} learns the format and its char
   * vocabulary covers the task.
   */
  public static String corpus(List<TaskItem> items) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < items.size(); i++) {
      if (i > 0) {
        sb.append("\n\n");
      }
      TaskItem it = items.get(i);
      sb.append("Question: ").append(it.question()).append("\nAnswer: ").append(it.answer());
    }
    return sb.append('\n').toString();
  }

  /** The distinct code points of {@code texts}, sorted, as a string. */
  public static String alphabet(List<TaskItem> items) {
    StringBuilder sb = new StringBuilder();
    for (TaskItem it : items) {
      sb.append(it.question()).append(it.answer());
    }
    int[] cps = sb.codePoints().distinct().sorted().toArray();
    return new String(cps, 0, cps.length);
  }

  /** The most frequent gold answer of {@code items} and its share (the trivial baseline). */
  public static Map<String, Object> majorityBaseline(List<TaskItem> items) {
    Map<String, Integer> counts = new LinkedHashMap<>();
    for (TaskItem it : items) {
      counts.merge(it.gold(), 1, Integer::sum);
    }
    String best = null;
    int n = 0;
    for (Map.Entry<String, Integer> e : counts.entrySet()) {
      if (e.getValue() > n) {
        best = e.getKey();
        n = e.getValue();
      }
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("answer", best);
    m.put("count", n);
    m.put("accuracy", items.isEmpty() ? Double.NaN : (double) n / items.size());
    m.put("distinct_answers", counts.size());
    return m;
  }
}
