package dev.dllm.data.tokenize;

import dev.dllm.api.InvalidInputException;

/** Checks that an optional library (DJL tokenizers) is on the class path before it is touched. */
final class OptionalDependency {
  private OptionalDependency() {}

  /**
   * @throws InvalidInputException naming the spec and the Maven artifact when a class is missing
   */
  static void require(String spec, String artifact, String... classNames) {
    ClassLoader loader = OptionalDependency.class.getClassLoader();
    for (String name : classNames) {
      try {
        Class.forName(name, false, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        throw new InvalidInputException(
            "tokenizer '"
                + spec
                + "' needs "
                + artifact
                + " (and ai.djl:api) on the class path, but class "
                + name
                + " is missing; add the dependency or use the char, byte or gpt2 tokenizer");
      }
    }
  }
}
