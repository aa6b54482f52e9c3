package dev.dllm.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.tokenize.Tokenizer;
import dev.dllm.runtime.onnx.Completion;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Writes a streamed request ({@code "stream": true}) as server-sent events, {@code data: JSON}
 * each, on the request's own thread while its rows are sampled:
 *
 * <ul>
 *   <li>a diffusion family: one {@code dllm.canvas} event per network call and choice, then its
 *       final canvas ({@link Responses#canvas}: NFE + 1 canvases per choice, the states after 0, 1,
 *       …, NFE calls), then, as each choice finishes, one {@code text_completion} chunk with its
 *       whole completion and {@code finish_reason};
 *   <li>AR: OpenAI-style {@code text_completion} chunks with the new text of each step ({@code
 *       finish_reason} null), held back while the text could still end in a stop string, then the
 *       chunk with the rest and the {@code finish_reason};
 * </ul>
 *
 * then a chunk with no choices carrying {@code usage}, {@code nfe} and {@code seed}, and {@code
 * data: [DONE]}. A failure after the stream started is sent as an {@code {"error":...}} event
 * before {@code [DONE]}. While the request waits, a comment line goes out every second; a write
 * that fails (the client went away) cancels the job.
 */
final class CompletionStream {
  private static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(1);
  private final Job job;
  private final OutputStream out;
  private final Tokenizer tokenizer;
  private final int mask;
  private final int eos;
  private final int holdBack;
  private final String[] emitted;
  private Boolean absorbing;
  private long lastWrite = System.nanoTime();

  CompletionStream(Job job, OutputStream out) {
    this.job = job;
    this.out = out;
    this.tokenizer = job.model.generator().tokenizer();
    var specials = job.model.generator().model().metadata().specials();
    this.mask = specials.mask();
    this.eos = specials.eos();
    this.holdBack = job.request.stop().stream().mapToInt(String::length).max().orElse(1) - 1;
    this.emitted = new String[job.rows.size()];
    Arrays.fill(emitted, "");
  }

  /**
   * Streams until the job is done or the client went away.
   *
   * @return false when the client went away (the job is cancelled)
   */
  boolean run() throws InterruptedException {
    try {
      write(": accepted " + job.id + "\n\n");
      while (true) {
        Job.Event e = job.events.poll(200, TimeUnit.MILLISECONDS);
        if (e == null) {
          if (job.done.isDone() && job.events.isEmpty()) {
            break;
          }
          if (System.nanoTime() - lastWrite > KEEP_ALIVE_NANOS) {
            write(": waiting\n\n");
          }
          continue;
        }
        if (e instanceof Job.Frame f) {
          frame(f);
        } else if (e instanceof Job.Finished fin) {
          finished(fin.result());
        }
      }
      List<Job.RowResult> results;
      try {
        results = job.done.get();
        data(Responses.usageChunk(job, results));
      } catch (ExecutionException x) {
        Throwable c = x.getCause();
        ApiException a =
            c instanceof ApiException api
                ? api
                : new ApiException(500, "server_error", null, null, String.valueOf(c));
        data(Responses.error(a));
      }
      write("data: [DONE]\n\n");
      return true;
    } catch (IOException gone) {
      job.cancel();
      return false;
    }
  }

  private void frame(Job.Frame f) throws IOException {
    if (job.model.causal()) {
      String delta = arDelta(f);
      if (!delta.isEmpty()) {
        data(Responses.chunk(job, f.index(), delta, null));
      }
      return;
    }
    if (absorbing == null) {
      // MASK ids, or positions no call fed yet
      absorbing =
          mask >= 0
              && Arrays.stream(f.span()).anyMatch(id -> id == mask || id == Conditioning.FREE);
    }
    data(Responses.canvas(job, f, tokenizer, mask, absorbing));
  }

  /** The new text of an AR choice that no stop string or EOS can take back any more. */
  private String arDelta(Job.Frame f) {
    int known = 0;
    while (known < f.span().length && f.span()[known] != Conditioning.FREE) {
      known++;
    }
    Completion c =
        Completion.of(Arrays.copyOf(f.span(), known), tokenizer, eos, true, job.request.stop());
    if (!c.stopReason().equals(Completion.LENGTH)) {
      return "";
    }
    String text = c.text();
    int keep = Math.max(0, text.length() - holdBack);
    while (keep > 0 && text.charAt(keep - 1) == '\uFFFD') {
      keep--;
    }
    String sure = text.substring(0, keep);
    String before = emitted[f.index()];
    if (sure.length() > before.length() && sure.startsWith(before)) {
      emitted[f.index()] = sure;
      return sure.substring(before.length());
    }
    return "";
  }

  private void finished(Job.RowResult r) throws IOException {
    String before = emitted[r.index()];
    String rest = r.text().startsWith(before) ? r.text().substring(before.length()) : r.text();
    emitted[r.index()] = r.text();
    data(Responses.chunk(job, r.index(), rest, r.finishReason()));
  }

  private void data(JsonNode node) throws IOException {
    write("data: " + Responses.JSON.writeValueAsString(node) + "\n\n");
  }

  private void write(String s) throws IOException {
    out.write(s.getBytes(StandardCharsets.UTF_8));
    out.flush();
    lastWrite = System.nanoTime();
  }
}
