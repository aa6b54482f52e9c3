package dev.dllm.api;

import java.math.BigInteger;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Parses command-line option values into numbers with one-line {@link InvalidInputException}s
 * naming the option: shared by the CLI's own commands and by {@link FamilyCommand}s, so that both
 * word their errors alike.
 *
 * <p>Integers are parsed strictly: digits with an optional sign, range-checked, never wrapped
 * ({@code 4294967300} for an {@code int} is an error, not 4) and never written in scientific
 * notation ({@code 1e10} is an error; write the digits). Real values accept decimal and scientific
 * notation ({@code 5e12}) but not {@code NaN}, {@code Infinity}, hexadecimal or Java suffixes
 * ({@code 1d}).
 */
public final class OptionValues {
  private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
  private static final Pattern DECIMAL =
      Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?");

  private OptionValues() {}

  /**
   * The value of {@code --name}.
   *
   * @throws InvalidInputException {@code missing required option --name} when it is absent
   */
  public static String required(Map<String, String> options, String name) {
    String v = options.get(name);
    if (v == null) {
      throw new InvalidInputException("missing required option --" + name);
    }
    return v;
  }

  /** An {@code int} option in {@code [min, Integer.MAX_VALUE]}, or {@code fallback} when absent. */
  public static int intOption(Map<String, String> options, String name, int fallback, int min) {
    String v = options.get(name);
    return v == null ? fallback : (int) parseInteger(name, v, min, Integer.MAX_VALUE);
  }

  /**
   * Parses {@code value} of option {@code --name} as an integer in {@code [min, max]}.
   *
   * @throws InvalidInputException naming the option, the value and the accepted range
   */
  public static long parseInteger(String name, String value, long min, long max) {
    String s = value.trim();
    if (!INTEGER.matcher(s).matches()) {
      boolean number = DECIMAL.matcher(s).matches();
      throw new InvalidInputException(
          "--"
              + name
              + " expects an integer"
              + (number ? " written in digits (no decimals or exponent)" : "")
              + ", got '"
              + value
              + "'");
    }
    BigInteger n = new BigInteger(s.startsWith("+") ? s.substring(1) : s);
    boolean unbounded = max == Long.MAX_VALUE || max == Integer.MAX_VALUE;
    if (n.compareTo(BigInteger.valueOf(min)) < 0) {
      throw new InvalidInputException(
          "--"
              + name
              + (unbounded ? " must be >= " + min : " must be in [" + min + ", " + max + "]")
              + ", got "
              + s);
    }
    if (n.compareTo(BigInteger.valueOf(max)) > 0) {
      throw new InvalidInputException(
          "--"
              + name
              + (unbounded ? " must be <= " + max : " must be in [" + min + ", " + max + "]")
              + ", got "
              + s);
    }
    return n.longValue();
  }

  /**
   * Parses a finite real number (decimal or scientific notation) given to {@code --name}.
   *
   * @throws InvalidInputException naming the option and the value
   */
  public static double parseNumber(String name, String value) {
    String s = value.trim();
    double d = DECIMAL.matcher(s).matches() ? Double.parseDouble(s) : Double.NaN;
    if (!Double.isFinite(d)) {
      throw new InvalidInputException(
          "--" + name + " must be a finite number (e.g. 0.001 or 5e12), got '" + value + "'");
    }
    return d;
  }
}
