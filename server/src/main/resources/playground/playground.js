// dllm playground: streams POST /v1/completions ("stream": true) and draws each dllm.canvas event
// (one per network call) as it arrives; no build step, no dependencies. The SSE format is the one
// documented in dev.dllm.server.Responses and CompletionStream.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const state = (s) => { document.body.dataset.state = s; };

  function headers() {
    const h = { "Content-Type": "application/json" };
    const key = $("key").value.trim();
    if (key) h["Authorization"] = "Bearer " + key;
    return h;
  }

  async function errorOf(res) {
    try {
      const j = await res.json();
      return (j.error && j.error.message) || res.statusText;
    } catch (e) {
      return res.status + " " + res.statusText;
    }
  }

  async function loadModels() {
    $("error").textContent = "";
    const res = await fetch("v1/models", { headers: headers() });
    if (!res.ok) {
      $("error").textContent = "models: " + (await errorOf(res));
      return;
    }
    const select = $("model");
    const before = select.value;
    select.replaceChildren();
    for (const m of (await res.json()).data) {
      const o = document.createElement("option");
      o.value = m.id;
      o.textContent = m.id + " (" + m.family + ", L = " + m.length + ")";
      select.appendChild(o);
    }
    if (before) select.value = before;
    state("ready");
  }

  // Drawing: every canvas in order, one per animation frame, so that the steps of a fast sampler
  // (Eso-LM with its KV cache: a few ms each) are all seen; when more than LAG canvases wait, the
  // oldest are skipped, so the drawing never trails the stream by more than LAG frames.
  const LAG = 30;
  let queue = [];
  let drawing = false;
  function drawCanvas(c) {
    const frag = document.createDocumentFragment();
    for (const t of c.tokens) {
      const span = document.createElement("span");
      if (t.text === null) {
        span.className = "tok masked";
        span.textContent = "\u00b7";
      } else {
        // whitespace drawn visibly on the canvas (the completion below keeps it as it is)
        const blank = t.text.trim() === "";
        span.className = "tok " + (t.committed ? "committed" : "noisy") + (blank ? " ws" : "");
        span.textContent = t.text === "" ? "\u2205"
          : blank ? t.text.replace(/ /g, "\u2423").replace(/\n/g, "\u21b5") : t.text;
      }
      frag.appendChild(span);
    }
    $("canvas").replaceChildren(frag);
    document.body.dataset.frames = String(Number(document.body.dataset.frames || 0) + 1);
    $("frame").textContent = c.final ? "final, NFE " + c.nfe : "step " + (c.step + 1) + ", NFE " + c.nfe;
  }
  function pump() {
    if (queue.length === 0) {
      drawing = false;
      return;
    }
    if (queue.length > LAG) queue.splice(0, queue.length - LAG);
    drawCanvas(queue.shift());
    requestAnimationFrame(pump);
  }
  function schedule(c) {
    queue.push(c);
    if (!drawing) {
      drawing = true;
      requestAnimationFrame(pump);
    }
  }
  // resolves once every queued canvas is drawn
  function drained() {
    return new Promise((resolve) => {
      const check = () => (queue.length === 0 && !drawing ? resolve() : requestAnimationFrame(check));
      check();
    });
  }

  function onEvent(data, run) {
    if (data === "[DONE]") return;
    const e = JSON.parse(data);
    if (e.error) throw new Error(e.error.message);
    if (e.object === "dllm.canvas") {
      if (e.index === 0) schedule(e);
      return;
    }
    for (const c of e.choices) {
      if (c.index !== 0) continue;
      run.text += c.text;
      $("text").textContent = run.text;
    }
    if (e.usage) {
      const s = (performance.now() - run.t0) / 1000;
      const n = e.usage.completion_tokens;
      $("stats").textContent = n + " tokens in " + s.toFixed(2) + " s \u00b7 "
        + (n / s).toFixed(1) + " tokens/s \u00b7 NFE " + e.nfe + " \u00b7 seed " + e.seed;
    }
  }

  async function generate(ev) {
    ev.preventDefault();
    const body = {
      model: $("model").value,
      prompt: $("prompt").value,
      max_tokens: Number($("max_tokens").value),
      steps: Number($("steps").value),
      seed: Number($("seed").value),
      stream: true,
    };
    if ($("suffix").value) body.suffix = $("suffix").value;
    const run = { text: "", t0: performance.now() };
    $("text").textContent = "";
    $("stats").textContent = "";
    $("error").textContent = "";
    $("canvas").replaceChildren();
    queue = [];
    document.body.dataset.frames = "0";
    $("generate").disabled = true;
    state("streaming");
    try {
      const extra = $("options").value.trim();
      if (extra) {
        let o;
        try { o = JSON.parse(extra); } catch (e) { throw new Error("sampler options: not JSON: " + e.message); }
        if (o === null || typeof o !== "object" || Array.isArray(o)) {
          throw new Error("sampler options: expected a JSON object such as {\"predictor\": \"ancestral\"}");
        }
        Object.assign(body, o, { stream: true });
      }
      const res = await fetch("v1/completions", {
        method: "POST", headers: headers(), body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(await errorOf(res));
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          for (const line of buf.slice(0, cut).split("\n")) {
            if (line.startsWith("data: ")) onEvent(line.slice(6), run);
          }
          buf = buf.slice(cut + 2);
        }
      }
      await drained();
      state("done");
    } catch (e) {
      $("error").textContent = String(e.message || e);
      state("error");
    } finally {
      $("generate").disabled = false;
    }
  }

  $("form").addEventListener("submit", generate);
  $("key").addEventListener("change", loadModels);
  loadModels().catch((e) => { $("error").textContent = String(e); });
})();
