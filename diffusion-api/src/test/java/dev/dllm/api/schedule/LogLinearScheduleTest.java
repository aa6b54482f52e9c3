package dev.dllm.api.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LogLinearScheduleTest {
  private final LogLinearSchedule schedule = new LogLinearSchedule();

  @Test
  void elboWeightIsOneOverT() {
    assertEquals(1.0, schedule.elboWeight(1.0), 1e-12);
    assertEquals(2.0, schedule.elboWeight(0.5), 1e-12);
    assertEquals(1000.0, schedule.elboWeight(1e-3), 1e-9);
  }

  @Test
  void elboWeightMatchesDefinitionForAlpha0BelowOne() {
    LogLinearSchedule s = new LogLinearSchedule(0.25);
    for (double t : new double[] {1e-3, 0.1, 0.5, 1.0}) {
      double expected = -s.alphaDerivative(t) / (1 - s.alpha(t));
      assertEquals(expected, s.elboWeight(t), 1e-12 * expected);
    }
  }

  @Test
  void sigmaMatchesClosedForms() {
    // sigma(1) = -log(1e-3) = 3 ln 10
    assertEquals(6.907755, schedule.sigma(1.0), 6.907755 * 1e-6);
    assertEquals(3 * Math.log(10), schedule.sigma(1.0), 1e-12);
    // sigma(1e-3) = -log(1 - x), x = 0.999e-3: series x + x^2/2 + x^3/3 + x^4/4
    double x = 0.999e-3;
    double series = x + x * x / 2 + x * x * x / 3 + x * x * x * x / 4;
    assertEquals(9.995e-4, schedule.sigma(1e-3), 9.995e-4 * 1e-6);
    assertEquals(series, schedule.sigma(1e-3), 1e-15);
    // near t = 0 the log1p form keeps full relative precision: sigma ~ (1 - eps) t
    assertEquals(0.999e-12, schedule.sigma(1e-12), 1e-24);
  }

  @Test
  void alphaAndDerivative() {
    assertEquals(1.0, schedule.alpha(0), 0);
    assertEquals(1e-3, schedule.alpha(1), 1e-15);
    assertEquals(-0.999, schedule.alphaDerivative(0.3), 0);
    LogLinearSchedule s = new LogLinearSchedule(0.5);
    assertEquals(0.5 * (1 - 0.999 * 0.4), s.alpha(0.4), 1e-15);
    assertEquals(-Math.log(s.alpha(0.4)), s.sigma(0.4), 1e-14);
    assertEquals(1 - s.alpha(0.4), s.moveProbability(0.4), 1e-15);
    // numerical derivative
    double h = 1e-6;
    assertEquals((s.alpha(0.4 + h) - s.alpha(0.4 - h)) / (2 * h), s.alphaDerivative(0.4), 1e-8);
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(IllegalArgumentException.class, () -> schedule.alpha(1.5));
    assertThrows(IllegalArgumentException.class, () -> schedule.sigma(Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> new LogLinearSchedule(0));
    assertThrows(IllegalArgumentException.class, () -> new LogLinearSchedule(1.1));
  }
}
