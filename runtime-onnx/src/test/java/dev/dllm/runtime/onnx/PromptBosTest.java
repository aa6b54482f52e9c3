package dev.dllm.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.tokenize.SpecialTokens;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The BOS-before-prompt rule ({@link PromptBos}): automatically exactly for a {@code wrap}-trained
 * export whose tokenizer has a BOS id; forced either way by an override; the block mode survives
 * the export's {@code metadata_props}.
 */
class PromptBosTest {
  static final int BOS = GeneratePromptTest.BOS;

  /** The mdlm-tiny fixture's metadata with {@code block_mode} set (null: removed). */
  static ExportMetadata withMode(ExportMetadata md, String mode, SpecialTokens specials) {
    Map<String, Object> training = new HashMap<>(md.training());
    training.remove(ExportMetadata.BLOCK_MODE_KEY);
    if (mode != null) {
      training.put(ExportMetadata.BLOCK_MODE_KEY, mode);
    }
    return new ExportMetadata(
        md.family(),
        md.graph(),
        md.model(),
        md.seqLen(),
        md.schedule(),
        md.tokenizerSpec(),
        md.tokenizerState(),
        specials,
        training,
        md.familyMetadata());
  }

  static ExportMetadata fixture() throws Exception {
    try (OnnxModel m = OnnxModel.open(OnnxRuntimeTest.fixture("mdlm-tiny"), OrtConfig.defaults())) {
      return m.metadata();
    }
  }

  @Test
  void automaticallyOnlyAWrapExportWithABosGetsIt() throws Exception {
    ExportMetadata md = fixture();
    SpecialTokens sp = md.specials();
    assertEquals(BOS, sp.bos());
    assertNull(md.blockMode(), "the fixture predates block_mode: unknown");
    assertEquals(-1, PromptBos.id(md, null));
    assertEquals(BOS, PromptBos.id(withMode(md, "wrap", sp), null));
    assertEquals(BOS, PromptBos.id(withMode(md, "WRAP", sp), null));
    assertEquals(-1, PromptBos.id(withMode(md, "pack", sp), null));
    assertEquals(-1, PromptBos.id(withMode(md, "window", sp), null));
    assertEquals(-1, PromptBos.id(withMode(md, "zigzag", sp), null));
    SpecialTokens noBos = new SpecialTokens(-1, sp.eos(), sp.pad(), sp.mask());
    assertEquals(-1, PromptBos.id(withMode(md, "wrap", noBos), null));
  }

  @Test
  void anOverrideForcesItEitherWay() throws Exception {
    ExportMetadata md = fixture();
    SpecialTokens sp = md.specials();
    assertEquals(BOS, PromptBos.id(withMode(md, "pack", sp), true));
    assertEquals(BOS, PromptBos.id(md, true));
    assertEquals(-1, PromptBos.id(withMode(md, "wrap", sp), false));
    SpecialTokens noBos = new SpecialTokens(-1, sp.eos(), sp.pad(), sp.mask());
    InvalidInputException e =
        assertThrows(
            InvalidInputException.class, () -> PromptBos.id(withMode(md, "wrap", noBos), true));
    assertTrue(e.getMessage().contains("has no BOS id"), e.getMessage());
  }

  @Test
  void prependAndParse() {
    assertArrayEquals(new int[] {BOS, 3, 4}, PromptBos.prepend(BOS, new int[] {3, 4}));
    assertArrayEquals(new int[] {3, 4}, PromptBos.prepend(-1, new int[] {3, 4}));
    assertNull(PromptBos.parse("auto", "--bos"));
    assertEquals(Boolean.TRUE, PromptBos.parse("TRUE", "--bos"));
    assertEquals(Boolean.FALSE, PromptBos.parse("false", "--bos"));
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> PromptBos.parse("yes", "--bos"));
    assertEquals("--bos must be auto, true or false, got 'yes'", e.getMessage());
    assertEquals("auto", PromptBos.describe(null));
  }

  @Test
  void theBlockModeSurvivesTheMetadataProps() throws Exception {
    ExportMetadata md = withMode(fixture(), "wrap", fixture().specials());
    assertEquals("wrap", ExportMetadata.fromProps(md.toProps(), "test").blockMode());
  }
}
