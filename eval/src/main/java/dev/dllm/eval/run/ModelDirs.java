package dev.dllm.eval.run;

import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The check, shared by the runs that judge several exports, that no export is listed twice. */
final class ModelDirs {
  private ModelDirs() {}

  /**
   * Refuses a model folder listed twice (the same real path) or one that cannot be read.
   *
   * @param dirs the model folders, as given
   * @param option the option that lists them (e.g. {@code --models}), named in the message
   * @param advice what the message tells the user to do, after "; "
   * @throws InvalidInputException for an unreadable folder or one listed twice
   */
  static void requireDistinct(List<Path> dirs, String option, String advice) {
    Map<Path, Path> seen = new LinkedHashMap<>();
    for (Path dir : dirs) {
      Path real;
      try {
        real = dir.toRealPath();
      } catch (IOException e) {
        throw new InvalidInputException(option + ": cannot read " + dir + ": " + e.getMessage());
      }
      Path earlier = seen.putIfAbsent(real, dir);
      if (earlier != null) {
        throw new InvalidInputException(
            option + " lists " + real + " twice (" + earlier + " and " + dir + "); " + advice);
      }
    }
  }
}
