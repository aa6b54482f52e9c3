package dev.dllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dllm.api.InvalidInputException;
import dev.dllm.family.duo.GaussianDuality;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code dllm duo-schedule --vocab V --gamma g1,g2,… [--json]}: the Gaussian-to-discrete
 * transformation of Duo (spec §3.4, {@link GaussianDuality}) at the given log-SNR values γ: P(γ),
 * alpha(γ) = (V·P(γ) − 1)/(V − 1) and dalpha/dγ, in float64 by quadrature. Used to choose the
 * curriculum's γ band (e.g. OWT [−3.55, −1.85] for GPT-2's V = 50257).
 */
public final class DuoScheduleCommand implements Command {
  /** Largest accepted V (the quadrature does not depend on V; this only catches typos). */
  static final int MAX_VOCAB = 1 << 24;

  @Override
  public String name() {
    return "duo-schedule";
  }

  @Override
  public String summary() {
    return "Duo's Gaussian-to-discrete map: P(gamma), alpha(gamma), dalpha/dgamma for a vocabulary";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(
        CliOptions.opt("vocab", "V", "vocabulary size V >= 2, mask id included (required)"));
    o.addOption(
        CliOptions.opt("gamma", "G1,G2,...", "comma-separated log-SNR values gamma (required)"));
    o.addOption(Option.builder().longOpt("json").desc("print JSON instead of a table").get());
    return o;
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) throws Exception {
    if (!cmd.hasOption("vocab")) {
      throw new InvalidInputException("missing required option --vocab");
    }
    if (!cmd.hasOption("gamma")) {
      throw new InvalidInputException("missing required option --gamma");
    }
    int vocab = CliOptions.intOpt(cmd, "vocab", 0, 2);
    if (vocab > MAX_VOCAB) {
      throw new InvalidInputException("--vocab must be <= " + MAX_VOCAB + ", got " + vocab);
    }
    List<Double> gammas = parseGammas(cmd.getOptionValue("gamma"));
    GaussianDuality duality = GaussianDuality.of(vocab);
    if (cmd.hasOption("json")) {
      ObjectMapper json = new ObjectMapper();
      ObjectNode root = json.createObjectNode();
      root.put("vocab", vocab);
      ArrayNode rows = root.putArray("rows");
      for (double g : gammas) {
        double[] pd = duality.integrals(g);
        ObjectNode row = rows.addObject();
        row.put("gamma", g);
        row.put("p", pd[0]);
        row.put("alpha", duality.alphaOf(pd[0]));
        row.put("dalpha_dgamma", duality.dalphaOf(pd[1]));
      }
      out.println(json.writeValueAsString(root));
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
