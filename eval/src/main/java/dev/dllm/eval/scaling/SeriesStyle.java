package dev.dllm.eval.scaling;

import dev.dllm.eval.Charts;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Shape;
import java.awt.Stroke;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.util.ArrayList;
import java.util.List;
import org.jfree.chart.util.ShapeUtils;

/**
 * How the scaling charts tell series apart: one colour per family (AR, MDLM, Duo, Eso-LM first, in
 * the paper's order, then any other family by name), one marker shape (and line dash) per objective
 * ({@code low_var} circle, solid; {@code elbo} square, dashed; {@code ce} triangle, solid; any
 * other diamond, dotted).
 */
final class SeriesStyle {
  /** Families in the order their colours are taken from {@link Charts#PALETTE}. */
  static final List<String> FAMILIES = List.of("ar", "mdlm", "duo", "esolm");

  private final List<String> families;

  private SeriesStyle(List<String> families) {
    this.families = families;
  }

  /** The style of {@code series}: known families first, the rest in name order. */
  static SeriesStyle of(List<ScalingStudy.Series> series) {
    List<String> fams = new ArrayList<>(FAMILIES);
    series.stream()
        .map(ScalingStudy.Series::family)
        .distinct()
        .sorted()
        .filter(f -> !fams.contains(f))
        .forEach(fams::add);
    return new SeriesStyle(fams);
  }

  /** The colour of a family. */
  Color colour(String family) {
    return Charts.colour(families.indexOf(family));
  }

  /** The objective of a series {@code family/objective}. */
  static String objective(ScalingStudy.Series s) {
    return s.group().substring(s.group().indexOf('/') + 1);
  }

  /** The marker of an objective, {@code size} pixels across. */
  static Shape shape(String objective, double size) {
    double h = size / 2;
    return switch (objective) {
      case "low_var" -> new Ellipse2D.Double(-h, -h, size, size);
      case "elbo" -> new Rectangle2D.Double(-h * 0.9, -h * 0.9, size * 0.9, size * 0.9);
      case "ce" -> ShapeUtils.createUpTriangle((float) (h * 1.1));
      default -> ShapeUtils.createDiamond((float) (h * 1.1));
    };
  }

  /** The fit line of an objective (1.5 px): solid, dashed for {@code elbo}, dotted for others. */
  static Stroke stroke(String objective) {
    return switch (objective) {
      case "low_var", "ce" -> new BasicStroke(1.5f);
      case "elbo" ->
          new BasicStroke(
              1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f);
      default ->
          new BasicStroke(
              1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {2f, 3f}, 0f);
    };
  }

  /** The legend note of the markers. */
  static final String LEGEND =
      "colour: family; marker: objective (circle low_var, square elbo, triangle ce)";
}
