package dev.dllm.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dllm.api.sample.Conditioning;
import dev.dllm.api.tokenize.Tokenizer;
import java.util.List;

/**
 * The JSON the server writes, in OpenAI's completions shape where one exists.
 *
 * <ul>
 *   <li>a completion: {@code {"id","object":"text_completion","created","model","choices":[{"text",
 *       "index","logprobs":null,"finish_reason"}],"usage":{"prompt_tokens","completion_tokens",
 *       "total_tokens"},"nfe","seed"}}; {@code nfe} is the most network calls of a choice's batch;
 *   <li>a streamed text chunk: the same without usage, {@code finish_reason} null until the chunk
 *       that ends the choice; the texts of a choice's chunks joined are its completion;
 *   <li>a canvas event of a diffusion family ({@link #canvas});
 *   <li>an error: {@code {"error":{"message","type","param","code"}}}.
 * </ul>
 */
final class Responses {
  static final ObjectMapper JSON = new ObjectMapper();

  private Responses() {}

  static ObjectNode error(ApiException e) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode err = root.putObject("error");
    err.put("message", e.getMessage());
    err.put("type", e.type());
    err.put("param", e.param());
    err.put("code", e.code());
    return root;
  }

  private static ObjectNode head(Job job) {
    ObjectNode o = JSON.createObjectNode();
    o.put("id", job.id);
    o.put("object", "text_completion");
    o.put("created", job.createdEpochSeconds);
    o.put("model", job.model.id());
    return o;
  }

  private static void choice(ArrayNode choices, int index, String text, String finishReason) {
    ObjectNode c = choices.addObject();
    c.put("text", text);
    c.put("index", index);
    c.putNull("logprobs");
    c.put("finish_reason", finishReason);
  }

  /** The response of a request that is not streamed. */
  static ObjectNode completion(Job job, List<Job.RowResult> results) {
    ObjectNode o = head(job);
    ArrayNode choices = o.putArray("choices");
    for (Job.RowResult r : results) {
      choice(choices, r.index(), r.text(), r.finishReason());
    }
    usage(o, results, job.seed);
    return o;
  }

  private static void usage(ObjectNode o, List<Job.RowResult> results, long seed) {
    int prompt = 0;
    int completion = 0;
    int nfe = 0;
    for (Job.RowResult r : results) {
      prompt += r.promptTokens();
      completion += r.completionTokens();
      nfe = Math.max(nfe, r.nfe());
    }
    ObjectNode u = o.putObject("usage");
    u.put("prompt_tokens", prompt);
    u.put("completion_tokens", completion);
    u.put("total_tokens", prompt + completion);
    o.put("nfe", nfe);
    o.put("seed", seed);
  }

  /** A streamed text chunk of one choice. */
  static ObjectNode chunk(Job job, int index, String text, String finishReason) {
    ObjectNode o = head(job);
    choice(o.putArray("choices"), index, text, finishReason);
    return o;
  }

  /** The last chunk of a stream: no choices, the usage, {@code nfe} and {@code seed}. */
  static ObjectNode usageChunk(Job job, List<Job.RowResult> results) {
    ObjectNode o = head(job);
    o.putArray("choices");
    usage(o, results, job.seed);
    return o;
  }

  /**
   * One denoising step of a diffusion family's choice: {@code {"object":"dllm.canvas","id",
   * "model","index","step","nfe","final","tokens":[{"text","committed"}...]}}, one token per
   * position of the generated span (the gap of an infill), the canvas after {@code step} network
   * calls: while {@code "final": false} as the network was fed it at call {@code nfe} = step + 1
   * (step 0: the starting canvas), then one {@code "final": true} canvas after the last call (step
   * = nfe = the NFE), the sampled span. A still-masked position (MDLM, Eso-LM: the MASK id or not
   * fed yet) has {@code "text": null, "committed": false}; a decoded position has its text and
   * {@code "committed": true} under absorbing-state families, whose decoded tokens stay; under a
   * uniform-state family (Duo, no MASK on its canvas) every position is noisy, {@code "committed":
   * false}, until the final canvas, where every position is committed. The final canvas holds the
   * whole span, tokens after EOS included; the completion is the final chunk's text.
   *
   * @param absorbing whether the family's canvas marks undecided positions with the MASK id
   */
  static ObjectNode canvas(Job job, Job.Frame f, Tokenizer tokenizer, int mask, boolean absorbing) {
    ObjectNode o = JSON.createObjectNode();
    o.put("object", "dllm.canvas");
    o.put("id", job.id);
    o.put("model", job.model.id());
    o.put("index", f.index());
    o.put("step", f.step());
    o.put("nfe", f.nfe());
    o.put("final", f.closing());
    ArrayNode tokens = o.putArray("tokens");
    for (int id : f.span()) {
      ObjectNode t = tokens.addObject();
      if (id == Conditioning.FREE || id == mask) {
        t.putNull("text");
        t.put("committed", false);
      } else {
        t.put("text", tokenizer.decode(new int[] {id}));
        t.put("committed", absorbing || f.closing());
      }
    }
    return o;
  }
}
