package dev.dllm.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.chromium.ChromiumNetworkConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The playground ({@code GET /}) in a real browser: headless Chromium driven by Selenium, against a
 * server with an API key. It types a prompt, presses Generate, samples the page while the stream
 * runs (the committed tokens must grow over several frames) and checks that the page ends with the
 * completion the API returns for the same request and seed. Screenshots go to {@code
 * target/playground-streaming.png} and {@code target/playground.png}. Skipped where Debian's {@code
 * chromium} and {@code chromium-driver} are not installed ({@code .ci/run} installs them).
 */
class PlaygroundBrowserTest {
  static final Path CHROMIUM = Path.of(System.getProperty("dllm.chromium", "/usr/bin/chromium"));
  static final Path DRIVER =
      Path.of(System.getProperty("dllm.chromedriver", "/usr/bin/chromedriver"));
  static final String KEY = "sk-playground-5e1d";
  static final int TOKENS = 8;
  static final int STEPS = 512;

  static ChromeDriver browser() {
    ChromeOptions o = new ChromeOptions();
    o.setBinary(CHROMIUM.toFile());
    o.addArguments(
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,900");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(DRIVER.toFile())
            .usingAnyFreePort()
            .build();
    ChromeDriver d = new ChromeDriver(service, o);
    // slow the stream down (~190 KB of canvas events) so that sampling sees it grow on any machine
    ChromiumNetworkConditions slow = new ChromiumNetworkConditions();
    slow.setDownloadThroughput(64 * 1024);
    slow.setUploadThroughput(1 << 20);
    slow.setLatency(Duration.ofMillis(5));
    d.setNetworkConditions(slow);
    return d;
  }

  static String body(long seed) {
    return "{\"model\":\"mdlm-tiny\",\"prompt\":\"to\",\"max_tokens\":"
        + TOKENS
        + ",\"steps\":"
        + STEPS
        + ",\"seed\":"
        + seed
        + ",\"predictor\":\"ancestral\"}";
  }

  static void type(ChromeDriver d, String id, String text) {
    WebElement e = d.findElement(By.id(id));
    e.clear();
    e.sendKeys(text);
  }

  static void screenshot(ChromeDriver d, String name) throws Exception {
    Path out = Path.of("target", name);
    Files.createDirectories(out.getParent());
    Files.write(out, d.getScreenshotAs(OutputType.BYTES));
  }

  @Test
  void typesAPromptWatchesTheCanvasGrowAndEndsWithTheApisCompletion() throws Exception {
    assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
        "no " + CHROMIUM + " / " + DRIVER + " (apt-get install chromium chromium-driver)");
    try (DllmServer s = TestServers.start(8, 5, 16, KEY)) {
      // the API's answer first: the first seed whose completion is not empty (the untrained tiny
      // model often ends at once with EOS), so that the page has text to match
      JsonNode r = null;
      long seed = 0;
      String want = "";
      while (want.length() < 3 && seed < 64) {
        seed++;
        HttpResponse<String> api =
            TestServers.post(s, body(seed), "Authorization", "Bearer " + KEY);
        assertEquals(200, api.statusCode(), api.body());
        r = TestServers.json(api.body());
        want = r.path("choices").path(0).path("text").asText();
      }
      assertTrue(want.length() >= 3, "no seed in 1..64 gives a completion of 3+ characters");
      ChromeDriver d = browser();
      try {
        WebDriverWait wait = new WebDriverWait(d, Duration.ofSeconds(60));
        d.get("http://127.0.0.1:" + s.port() + "/");
        // without the key the model list is refused; typing it reloads the list
        wait.until(x -> !x.findElement(By.id("error")).getText().isEmpty());
        assertTrue(d.findElement(By.id("error")).getText().contains("API key"));
        type(d, "key", KEY);
        d.findElement(By.id("prompt")).click();
        wait.until(
            x -> "ready".equals(x.findElement(By.tagName("body")).getAttribute("data-state")));
        new Select(d.findElement(By.id("model"))).selectByValue("mdlm-tiny");
        type(d, "prompt", "to");
        type(d, "max_tokens", String.valueOf(TOKENS));
        type(d, "steps", String.valueOf(STEPS));
        type(d, "seed", String.valueOf(seed));
        type(d, "options", "{\"predictor\": \"ancestral\"}");
        d.findElement(By.id("generate")).click();

        List<Long> committed = new ArrayList<>();
        boolean shot = false;
        while (true) {
          @SuppressWarnings("unchecked")
          Map<String, Object> now =
              (Map<String, Object>)
                  d.executeScript(
                      "return {state: document.body.dataset.state,"
                          + " committed: document.querySelectorAll('#canvas .committed').length,"
                          + " cells: document.querySelectorAll('#canvas .tok').length};");
          if (!"streaming".equals(now.get("state"))) {
            break;
          }
          long c = (Long) now.get("committed");
          committed.add(c);
          if (!shot && c >= 2 && c <= TOKENS - 2 && (Long) now.get("cells") == TOKENS) {
            screenshot(d, "playground-streaming.png");
            shot = true;
          }
          Thread.sleep(40);
        }
        screenshot(d, "playground.png");
        assertEquals(
            "done",
            d.findElement(By.tagName("body")).getAttribute("data-state"),
            d.findElement(By.id("error")).getText());
        // the canvas grew over several frames: at least three different partial states, never back
        long distinctPartial =
            committed.stream().filter(c -> c > 0 && c < TOKENS).distinct().count();
        assertTrue(distinctPartial >= 3, "committed tokens seen while streaming: " + committed);
        for (int i = 1; i < committed.size(); i++) {
          assertTrue(committed.get(i) >= committed.get(i - 1), "went back: " + committed);
        }

        assertEquals(want, d.executeScript("return document.getElementById('text').textContent"));
        String stats = d.findElement(By.id("stats")).getText();
        assertTrue(stats.contains("NFE " + r.path("nfe").asInt()), stats);
        assertTrue(stats.startsWith(r.path("usage").path("completion_tokens").asInt() + " tokens"));
      } finally {
        d.quit();
      }
    }
  }

  /**
   * Eso-LM with its KV cache sends its canvases a few milliseconds apart (here all in one read):
   * the page still draws every one of them, in order, NFE + 1 frames, and ends on the final canvas
   * and the API's completion.
   */
  @Test
  void drawsEveryCanvasOfAFastEsoLmStream() throws Exception {
    assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
        "no " + CHROMIUM + " / " + DRIVER + " (apt-get install chromium chromium-driver)");
    try (DllmServer s =
        DllmServer.start(
            ServeOptions.defaults(List.of(TestServers.fixture("esolm-tiny")))
                .withPort(0)
                .withThreads(1))) {
      String body =
          "{\"model\":\"esolm-tiny\",\"prompt\":\"to\",\"max_tokens\":8,\"steps\":6,\"seed\":3}";
      HttpResponse<String> api = TestServers.post(s, body);
      assertEquals(200, api.statusCode(), api.body());
      JsonNode r = TestServers.json(api.body());
      ChromeDriver d = browser();
      try {
        WebDriverWait wait = new WebDriverWait(d, Duration.ofSeconds(60));
        d.get("http://127.0.0.1:" + s.port() + "/");
        wait.until(
            x -> "ready".equals(x.findElement(By.tagName("body")).getAttribute("data-state")));
        type(d, "prompt", "to");
        type(d, "max_tokens", "8");
        type(d, "steps", "6");
        type(d, "seed", "3");
        d.findElement(By.id("generate")).click();
        wait.until(
            x -> "done".equals(x.findElement(By.tagName("body")).getAttribute("data-state")));
        screenshot(d, "playground-esolm.png");
        int nfe = r.path("nfe").asInt();
        assertEquals(
            String.valueOf(nfe + 1),
            d.findElement(By.tagName("body")).getAttribute("data-frames"),
            "frames drawn, NFE " + nfe);
        assertEquals("final, NFE " + nfe, d.findElement(By.id("frame")).getText());
        assertEquals(
            r.path("choices").path(0).path("text").asText(),
            d.executeScript("return document.getElementById('text').textContent"));
      } finally {
        d.quit();
      }
    }
  }
}
