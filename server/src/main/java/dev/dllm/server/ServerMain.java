package dev.dllm.server;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.OptionValues;
import dev.dllm.api.ThreadCount;
import dev.dllm.api.run.CommandRunner;
import dev.dllm.api.run.UsageException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.HelpFormatter;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.apache.commons.cli.ParseException;

/**
 * {@code dllm serve} and {@code dllm bench-serve}: the server's own entry point, run by the {@code
 * dllm} launcher on the server module's class path (runtime-onnx and the families, no DJL). Bad
 * input prints one line naming the option and exits with 2; our own failures exit with 1.
 */
public final class ServerMain {
  /** Exit code for bad user input. */
  static final int EXIT_BAD_INPUT = CommandRunner.BAD_INPUT;

  private ServerMain() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, System.getenv()));
  }

  /**
   * Runs {@code serve} (until SIGTERM/Ctrl-C) or {@code bench-serve}.
   *
   * @return the exit code
   */
  static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env) {
    if (args.length == 0 || !(args[0].equals("serve") || args[0].equals("bench-serve"))) {
      err.println("usage: dllm serve|bench-serve [options]; run 'dllm serve --help'");
      return EXIT_BAD_INPUT;
    }
    String command = args[0];
    boolean bench = command.equals("bench-serve");
    Options options = bench ? BenchServe.options() : serveOptions();
    options.addOption(Option.builder("h").longOpt("help").desc("show this help").get());
    options.addOption(Option.builder().longOpt("verbose").desc("print stack traces").get());
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    return CommandRunner.run(
        "dllm " + command,
        Arrays.asList(rest).contains("--verbose"),
        err,
        () -> {
          CommandLine cmd;
          try {
            cmd = new DefaultParser().parse(options, rest);
          } catch (ParseException e) {
            throw new UsageException(
                e.getMessage(), "run 'dllm " + command + " --help' for the options");
          }
          if (cmd.hasOption("help")) {
            out.print(help(command, bench, options));
            return 0;
          }
          if (!cmd.getArgList().isEmpty()) {
            throw new InvalidInputException(
                "unexpected argument '" + cmd.getArgList().get(0) + "'");
          }
          return bench ? BenchServe.run(cmd, out, env) : serve(serveSettings(cmd, env), out);
        });
  }

  private static String help(String command, boolean bench, Options options) {
    StringWriter sw = new StringWriter();
    new HelpFormatter()
        .printHelp(
            new PrintWriter(sw),
            100,
            "dllm " + command + " [options]",
            bench
                ? "Load test of dllm serve: batched vs one request at a time, in one run."
                : "Serve exports over HTTP: OpenAI-style /v1/completions with SSE streaming.",
            options,
            2,
            2,
            "");
    return sw.toString();
  }

  /** The options of {@code dllm serve} (shared by {@code bench-serve}). */
  static Options serveOptions() {
    Options o = new Options();
    o.addOption(opt("model", "DIR[,DIR...]", "export folders to serve (required)"));
    o.addOption(opt("host", "ADDR", "address to bind (default 127.0.0.1, loopback only)"));
    o.addOption(opt("port", "N", "TCP port (default 8080; 0 for a free one)"));
    o.addOption(opt("max-batch", "N", "most rows sampled in one network call (default 8)"));
    o.addOption(
        opt(
            "batch-window-ms",
            "M",
            "how long a request waits for others to batch with (default 5)"));
    o.addOption(opt("queue", "N", "most requests waiting; more get 429 (default 64)"));
    o.addOption(
        opt("api-key", "KEY", "require Authorization: Bearer KEY (default: env DLLM_API_KEY)"));
    o.addOption(
        opt(
            "threads",
            "N",
            ThreadCount.help("ONNX Runtime intra-op threads", "ONNX Runtime's choice", "0")));
    o.addOption(opt("max-body", "BYTES", "largest request body; larger get 413 (default 1048576)"));
    return o;
  }

  static Option opt(String name, String arg, String desc) {
    return Option.builder().longOpt(name).hasArg().argName(arg).desc(desc).get();
  }

  /** The settings of {@code cmd}; {@code --api-key} falls back to {@code DLLM_API_KEY}. */
  static ServeOptions serveSettings(CommandLine cmd, Map<String, String> env) {
    String models = cmd.getOptionValue("model");
    if (models == null || models.isBlank()) {
      throw new InvalidInputException("--model DIR[,DIR...] is required");
    }
    List<Path> dirs = new ArrayList<>();
    for (String m : models.split(",")) {
      if (!m.isBlank()) {
        dirs.add(Path.of(m.trim()));
      }
    }
    String key = cmd.getOptionValue("api-key", env.get("DLLM_API_KEY"));
    if (key != null && key.isBlank()) {
      throw new InvalidInputException("--api-key (or DLLM_API_KEY) must not be empty");
    }
    ServeOptions d = ServeOptions.defaults(dirs);
    return new ServeOptions(
        dirs,
        cmd.getOptionValue("host", d.host()),
        intOpt(cmd, "port", d.port(), 0, 65535),
        intOpt(cmd, "max-batch", d.maxBatch(), 1, 256),
        intOpt(cmd, "batch-window-ms", (int) d.batchWindowMillis(), 0, 10_000),
        intOpt(cmd, "queue", d.queue(), 1, 1 << 20),
        key,
        threads(cmd),
        1,
        intOpt(cmd, "max-body", (int) d.maxBodyBytes(), 1024, Integer.MAX_VALUE));
  }

  /**
   * {@code --threads}: 0 (ONNX Runtime's choice) when not given; refused above {@link
   * ThreadCount#max}, a warning on standard error above the cores.
   */
  static int threads(CommandLine cmd) {
    String v = cmd.getOptionValue("threads");
    int n = v == null ? 0 : ThreadCount.check(v, 0);
    ThreadCount.warnIfOversubscribed(n, System.err);
    return n;
  }

  static int intOpt(CommandLine cmd, String name, int fallback, int min, int max) {
    String v = cmd.getOptionValue(name);
    return v == null ? fallback : (int) OptionValues.parseInteger(name, v, min, max);
  }

  private static int serve(ServeOptions o, PrintStream out) throws InterruptedException {
    DllmServer server = DllmServer.start(o);
    String host = o.host().contains(":") ? "[" + o.host() + "]" : o.host();
    out.println(
        "dllm serve: "
            + String.join(", ", server.modelIds())
            + " on http://"
            + host
            + ":"
            + server.port()
            + "/v1/completions"
            + (o.apiKey() != null ? " (API key required)" : "")
            + "; Ctrl-C stops");
    out.flush();
    CountDownLatch stopped = new CountDownLatch(1);
    AtomicBoolean announced = new AtomicBoolean();
    AtomicBoolean done = new AtomicBoolean();
    Runnable stop =
        () -> {
          if (announced.compareAndSet(false, true)) {
            out.println("dllm serve: stopping (finishing requests in flight)");
            out.flush();
          }
          server.stop(60_000); // synchronized: a second caller waits for the first
          if (done.compareAndSet(false, true)) {
            out.println("dllm serve: stopped");
            out.flush();
          }
          stopped.countDown();
        };
    Termination.onSignal(stop);
    // other ways out (SIGHUP, System.exit elsewhere) still drain, racing other shutdown hooks
    Runtime.getRuntime().addShutdownHook(new Thread(stop, "dllm-serve-exit"));
    stopped.await();
    return 0;
  }
}
