package dev.dllm.cli;

import dev.dllm.api.InvalidInputException;
import java.io.PrintStream;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code dllm serve} and {@code dllm bench-serve} as {@code dllm --help} lists them. They live in
 * the {@code server} module, which must not have DJL on its class path, so the {@code dllm}
 * launcher runs them with the server's own class path and main class ({@code
 * dev.dllm.server.ServerMain}); reached here (the CLI's class path), they say so.
 */
final class ServerCommand implements Command {
  private final String name;
  private final String summary;

  private ServerCommand(String name, String summary) {
    this.name = name;
    this.summary = summary;
  }

  static ServerCommand serve() {
    return new ServerCommand(
        "serve", "HTTP server: OpenAI-style /v1/completions, batching, SSE denoising stream");
  }

  static ServerCommand benchServe() {
    return new ServerCommand(
        "bench-serve", "load test of serve: C clients vs one at a time, req/s, tokens/s, p99");
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String summary() {
    return summary;
  }

  @Override
  public Options options() {
    return new Options();
  }

  @Override
  public int run(CommandLine cmd, PrintStream out) {
    throw new InvalidInputException(
        "'dllm "
            + name
            + "' runs on the server module's class path (no DJL); start it with the ./dllm"
            + " launcher, which runs dev.dllm.server.ServerMain");
  }
}
