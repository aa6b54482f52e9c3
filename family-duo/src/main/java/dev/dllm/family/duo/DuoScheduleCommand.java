package dev.dllm.family.duo;

import dev.dllm.api.FamilyCommand;
import dev.dllm.api.InvalidInputException;
import dev.dllm.api.OptionValues;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code dllm duo-schedule --vocab V --gamma g1,g2,… [--json]}: the Gaussian-to-discrete
 * transformation of Duo (spec §3.4, {@link GaussianDuality}) at the given log-SNR values γ: P(γ),
 * alpha(γ) = (V·P(γ) − 1)/(V − 1) and dalpha/dγ, in float64 by quadrature. Used to choose the
 * curriculum's γ band (e.g. OWT [−3.55, −1.85] for GPT-2's V = 50257). Contributed to the CLI as a
 * {@link FamilyCommand} ({@code META-INF/services/dev.dllm.api.FamilyCommand}).
 */
public final class DuoScheduleCommand implements FamilyCommand {
  /** Largest accepted V (the quadrature does not depend on V; this only catches typos). */
  static final int MAX_VOCAB = 1 << 24;

  @Override
  public String family() {
    return "duo";
  }

  @Override
  public String name() {
    return "duo-schedule";
  }

  @Override
  public String summary() {
    return "Duo's Gaussian-to-discrete map: P(gamma), alpha(gamma), dalpha/dgamma for a vocabulary";
  }

  @Override
  public List<OptionSpec> options() {
    return List.of(
        OptionSpec.value("vocab", "V", "vocabulary size V >= 2, mask id included (required)"),
        OptionSpec.value("gamma", "G1,G2,...", "comma-separated log-SNR values gamma (required)"),
        OptionSpec.flag("json", "print JSON instead of a table"));
  }

  @Override
  public int run(Map<String, String> options, PrintStream out) {
    OptionValues.required(options, "vocab");
    String gammaList = OptionValues.required(options, "gamma");
    int vocab = OptionValues.intOption(options, "vocab", 0, 2);
    if (vocab > MAX_VOCAB) {
      throw new InvalidInputException("--vocab must be <= " + MAX_VOCAB + ", got " + vocab);
    }
    List<Double> gammas = parseGammas(gammaList);
    GaussianDuality duality = GaussianDuality.of(vocab);
    if (options.containsKey("json")) {
      // {"vocab":V,"rows":[{"gamma":…,"p":…,"alpha":…,"dalpha_dgamma":…},…]} on one line
      StringBuilder json = new StringBuilder("{\"vocab\":").append(vocab).append(",\"rows\":[");
      for (int i = 0; i < gammas.size(); i++) {
        double g = gammas.get(i);
        double[] pd = duality.integrals(g);
        json.append(i == 0 ? "{" : ",{");
        field(json, "gamma", g).append(',');
        field(json, "p", pd[0]).append(',');
        field(json, "alpha", duality.alphaOf(pd[0])).append(',');
        field(json, "dalpha_dgamma", duality.dalphaOf(pd[1])).append('}');
      }
      out.println(json.append("]}"));
      return 0;
    }
    out.printf(Locale.ROOT, "# V = %d%n", vocab);
    out.printf(Locale.ROOT, "%-12s %-22s %-22s %-22s%n", "gamma", "P", "alpha", "dalpha/dgamma");
    for (double g : gammas) {
      double[] pd = duality.integrals(g);
      out.printf(
          Locale.ROOT,
          "%-12s %-22.15g %-22.15g %-22.15g%n",
          Double.toString(g),
          pd[0],
          duality.alphaOf(pd[0]),
          duality.dalphaOf(pd[1]));
    }
    return 0;
  }

  /**
   * {@code "name":value}, the number as {@link Double#toString} writes it; a non-finite one as the
   * string {@code "NaN"}/{@code "Infinity"} (what the CLI's former Jackson output wrote).
   */
  private static StringBuilder field(StringBuilder json, String name, double value) {
    json.append('"').append(name).append("\":");
    return Double.isFinite(value) ? json.append(value) : json.append('"').append(value).append('"');
  }

  /**
   * Parses {@code g1,g2,…}.
   *
   * @throws InvalidInputException naming the first entry that is not a finite number
   */
  static List<Double> parseGammas(String list) {
    List<Double> gammas = new ArrayList<>();
    for (String part : list.split(",", -1)) {
      String s = part.trim();
      double g;
      try {
        g = Double.parseDouble(s);
      } catch (NumberFormatException e) {
        throw new InvalidInputException(
            "--gamma expects comma-separated numbers, got '" + s + "' in '" + list + "'");
      }
      if (!Double.isFinite(g)) {
        throw new InvalidInputException("--gamma values must be finite, got '" + s + "'");
      }
      gammas.add(g);
    }
    return gammas;
  }
}
