package dev.dllm.trainer.imports;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.BackboneSpec;
import dev.dllm.api.model.DitConfig;
import dev.dllm.api.model.DitLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * How a {@link PublishedSource} becomes reference-DiT weights: the model shape (from the release's
 * {@link PublishedConfig}, else implied by the tensors, {@code --heads} / {@code --length}
 * overriding), the source name of every {@link DitLayout} tensor, the buffers dropped, and every
 * problem found — a config value the tensors contradict, a time conditioning or attention the
 * family does not run, a missing, unexpected or misshaped tensor — reported together by {@link
 * #check}.
 *
 * @param config the model shape
 * @param length the training sequence length L, or 0 when unknown
 * @param sourceOf reference name to source name, in {@link DitLayout} order
 * @param dropped buffers of the release that the graph recomputes (rotary {@code inv_freq})
 * @param problems everything that does not match
 */
public record ImportPlan(
    DitConfig config,
    int length,
    Map<String, String> sourceOf,
    List<String> dropped,
    List<String> problems) {

  /** Longest list of names quoted per kind of problem. */
  static final int MAX_NAMES = 12;

  /**
   * Plans the import of {@code src} for a family with backbone {@code spec}.
   *
   * @param heads {@code --heads}, or null
   * @param length {@code --length}, or null
   */
  public static ImportPlan of(
      PublishedSource src, String family, BackboneSpec spec, Integer heads, Integer length) {
    List<String> problems = new ArrayList<>();
    PublishedConfig c = src.config();
    Map<String, String> byName = new LinkedHashMap<>();
    Map<String, int[]> shapes = new LinkedHashMap<>();
    List<String> dropped = new ArrayList<>();
    List<String> duplicate = new ArrayList<>();
    for (Map.Entry<String, int[]> e : src.shapes().entrySet()) {
      if (WeightNames.isBuffer(e.getKey())) {
        dropped.add(e.getKey());
        continue;
      }
      String n = WeightNames.canonical(e.getKey());
      if (byName.putIfAbsent(n, e.getKey()) != null) {
        duplicate.add(e.getKey());
      }
      shapes.put(n, e.getValue());
    }
    int[] emb = shapes.get(DitLayout.EMBEDDING);
    int[] sig = shapes.get("sigma_map.mlp.0.weight");
    TreeSet<Integer> blockIds = new TreeSet<>();
    for (String n : shapes.keySet()) {
      if (n.startsWith("blocks.")) {
        String id = n.substring(7, Math.max(7, n.indexOf('.', 7)));
        try {
          blockIds.add(Integer.parseInt(id));
        } catch (NumberFormatException ex) {
          // an unexpected name; reported below
        }
      }
    }
    String where = c.source();
    int v =
        pick(
            problems,
            where,
            "vocab_size",
            c.integer("vocab_size"),
            emb == null ? null : emb[0],
            "the embedding");
    int d =
        pick(
            problems,
            where,
            "hidden size",
            c.integer("hidden_dim", "hidden_size", "model.hidden_size", "model.hidden_dim"),
            emb == null ? null : emb[1],
            "the embedding");
    int n =
        pick(
            problems,
            where,
            "n_blocks",
            c.integer("n_blocks", "model.n_blocks"),
            blockIds.isEmpty() ? null : blockIds.last() + 1,
            "the block tensors");
    int cond =
        pick(
            problems,
            where,
            "cond_dim",
            c.integer("cond_dim", "model.cond_dim"),
            sig == null ? null : sig[0],
            "sigma_map");
    Integer h = heads != null ? heads : c.integer("n_heads", "model.n_heads");
    if (h == null) {
      problems.add("the number of attention heads is not in " + where + "; pass --heads");
      h = 1;
    }
    Integer l = length != null ? length : c.integer("model_length", "model.length", "length");
    Boolean tc = c.bool("time_conditioning", "algo.time_conditioning", "model.time_conditioning");
    if (tc != null && tc != spec.timeConditioned()) {
      problems.add(
          where
              + " has time_conditioning "
              + tc
              + ", but family "
              + family
              + " runs the backbone "
              + (spec.timeConditioned() ? "with" : "without")
              + " time conditioning; choose the family the release was trained as");
    }
    Boolean causal = c.bool("algo.causal_attention", "causal_attention");
    if (causal != null
        && spec.attention() != BackboneSpec.Attention.SORTED_CAUSAL
        && causal != (spec.attention() == BackboneSpec.Attention.CAUSAL)) {
      problems.add(
          where
              + " has causal_attention "
              + causal
              + ", but family "
              + family
              + " uses "
              + spec.attention().name().toLowerCase(java.util.Locale.ROOT)
              + " attention");
    }
    Boolean adaLn = c.bool("algo.adaLN", "adaLN");
    if (Boolean.FALSE.equals(adaLn)) {
      problems.add(
          where
              + " has adaLN false; only DiTs with adaLN layers (every release of the"
              + " four families) are imported");
    }
    DitConfig cfg = null;
    try {
      cfg =
          new DitConfig(
              Math.max(v, 2),
              Math.max(d, 1),
              Math.max(n, 1),
              h,
              Math.max(cond, 1),
              spec.attention(),
              0.0);
    } catch (IllegalArgumentException ex) {
      problems.add("no DiT has this shape: " + ex.getMessage());
    }
    Map<String, String> sourceOf = new LinkedHashMap<>();
    if (cfg != null) {
      List<String> missing = new ArrayList<>();
      List<String> wrong = new ArrayList<>();
      LinkedHashMap<String, int[]> want = DitLayout.shapes(cfg);
      for (Map.Entry<String, int[]> e : want.entrySet()) {
        int[] got = shapes.get(e.getKey());
        if (got == null) {
          missing.add(e.getKey());
        } else if (!Arrays.equals(got, e.getValue())) {
          wrong.add(
              byName.get(e.getKey())
                  + " "
                  + Arrays.toString(got)
                  + " (expected "
                  + Arrays.toString(e.getValue())
                  + ")");
        } else {
          sourceOf.put(e.getKey(), byName.get(e.getKey()));
        }
      }
      List<String> unexpected = new ArrayList<>(duplicate);
      byName.forEach(
          (k, s) -> {
            if (!want.containsKey(k)) {
              unexpected.add(s);
            }
          });
      addList(problems, "missing tensors", missing);
      addList(problems, "unexpected tensors", unexpected);
      addList(problems, "tensors of the wrong shape", wrong);
    }
    return new ImportPlan(cfg, l == null ? 0 : l, sourceOf, dropped, problems);
  }

  /**
   * The declared value when there is one (recording a contradiction with the tensors), else the one
   * the tensors imply, else a problem.
   */
  private static int pick(
      List<String> problems,
      String where,
      String field,
      Integer declared,
      Integer implied,
      String impliedBy) {
    if (declared != null && implied != null && !declared.equals(implied)) {
      problems.add(
          where + " has " + field + " " + declared + ", but " + impliedBy + " implies " + implied);
    }
    if (declared != null) {
      return declared;
    }
    if (implied != null) {
      return implied;
    }
    problems.add(field + " is neither in " + where + " nor implied by the tensors");
    return 1;
  }

  private static void addList(List<String> problems, String what, List<String> names) {
    if (names.isEmpty()) {
      return;
    }
    List<String> shown = names.subList(0, Math.min(MAX_NAMES, names.size()));
    problems.add(
        names.size()
            + " "
            + what
            + ": "
            + String.join(", ", shown)
            + (names.size() > shown.size()
                ? ", ... (" + (names.size() - shown.size()) + " more)"
                : ""));
  }

  /**
   * @throws InvalidInputException listing every problem in one message, naming {@code from}
   */
  public void check(String from, String layout) {
    if (!problems.isEmpty()) {
      throw new InvalidInputException(
          "--from "
              + from
              + " ("
              + layout
              + ") does not match the "
              + "reference DiT: "
              + String.join("; ", problems));
    }
  }
}
