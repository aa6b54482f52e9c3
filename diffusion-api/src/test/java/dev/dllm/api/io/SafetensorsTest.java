package dev.dllm.api.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dllm.api.InvalidInputException;
import dev.dllm.api.model.Tensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path dir;

  private static Map<String, Tensor> sample() {
    Map<String, Tensor> m = new LinkedHashMap<>();
    m.put(
        "blocks.0.attn_qkv.weight",
        new Tensor(
            new float[] {1.5f, -0.0f, Float.NaN, Float.MIN_VALUE, Float.MAX_VALUE, -3e-38f},
            new int[] {3, 2}));
    m.put("scalar", new Tensor(new float[] {42f}, new int[] {}));
    m.put("empty", new Tensor(new float[0], new int[] {0, 4}));
    m.put("a \"quoted\"\\name\u00e9", new Tensor(new float[] {7f, 8f}, new int[] {2}));
    return m;
  }

  @Test
  void roundTripIsBitExact() throws IOException {
    Path f = dir.resolve("m.safetensors");
    Map<String, String> md = Map.of("format", "pt", "note", "line1\nline2 \"q\"");
    Safetensors.write(f, sample(), md);
    Safetensors.Contents c = Safetensors.read(f);
    assertEquals(List.copyOf(sample().keySet()), List.copyOf(c.tensors().keySet()));
    for (Map.Entry<String, Tensor> e : sample().entrySet()) {
      Tensor got = c.tensors().get(e.getKey());
      assertArrayEquals(e.getValue().shape(), got.shape());
      for (int i = 0; i < got.size(); i++) {
        assertEquals(
            Float.floatToRawIntBits(e.getValue().data()[i]),
            Float.floatToRawIntBits(got.data()[i]));
      }
    }
    assertEquals(md, c.metadata());
    // Layout of the format: 8-byte LE header length, header padded to 8, data section.
    byte[] all = Files.readAllBytes(f);
    long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, n % 8);
    assertEquals(8 + n + 4L * (6 + 1 + 0 + 2), all.length);
    float first = ByteBuffer.wrap(all, (int) (8 + n), 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
    assertEquals(1.5f, first);
  }

  /** A file written by hand from the format description, with F16, BF16 and F64 tensors. */
  @Test
  void readsHandWrittenFileWithOtherDtypes() throws IOException {
    String header =
        "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[4,6]},"
            + "\"d\":{\"dtype\":\"F64\",\"shape\":[1,1],\"data_offsets\":[6,14]},"
            + "\"__metadata__\":{\"k\":\"v\"}}";
    byte[] hb = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + hb.length + 14).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(hb.length).put(hb);
    b.putShort((short) 0x3c00); // 1.0 in binary16
    b.putShort((short) 0xc100); // -2.5 in binary16
    b.putShort((short) 0x4049); // 3.140625 in bfloat16
    b.putDouble(0.1);
    Path f = dir.resolve("hand.safetensors");
    Files.write(f, b.array());
    Safetensors.Contents c = Safetensors.read(f);
    assertArrayEquals(new float[] {1f, -2.5f}, c.tensors().get("h").data());
    assertArrayEquals(new float[] {3.140625f}, c.tensors().get("b").data());
    assertArrayEquals(new float[] {0.1f}, c.tensors().get("d").data());
    assertArrayEquals(new int[] {1, 1}, c.tensors().get("d").shape());
    assertEquals(Map.of("k", "v"), c.metadata());
  }

  @Test
  void halfPrecisionSubnormalsAndSpecials() {
    assertEquals(0x1p-24f, Safetensors.halfToFloat((short) 0x0001));
    assertEquals(65504f, Safetensors.halfToFloat((short) 0x7bff));
    assertEquals(Float.NEGATIVE_INFINITY, Safetensors.halfToFloat((short) 0xfc00));
    assertTrue(Float.isNaN(Safetensors.halfToFloat((short) 0x7e00)));
  }

  @Test
  void truncatedTensorIsRejectedNamingIt() throws IOException {
    Path f = dir.resolve("t.safetensors");
    Safetensors.write(f, sample(), Map.of());
    byte[] all = Files.readAllBytes(f);
    // Cut the last tensor (2 floats) in half.
    Files.write(f, java.util.Arrays.copyOf(all, all.length - 4));
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> Safetensors.read(f));
    assertTrue(e.getMessage().contains("a \"quoted\"\\name\u00e9"), e.getMessage());
    assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
  }

  @Test
  void badHeadersAreRejected() throws IOException {
    Path f = dir.resolve("bad.safetensors");
    Files.write(f, new byte[] {1, 2, 3});
    assertThrows(InvalidInputException.class, () -> Safetensors.read(f));
    byte[] hb = "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}".getBytes();
    ByteBuffer b = ByteBuffer.allocate(8 + hb.length + 8).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(hb.length).put(hb);
    Files.write(f, b.array());
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> Safetensors.read(f));
    assertTrue(e.getMessage().contains("'x'"), e.getMessage());
    byte[] junk = "{\"x\": [1, }".getBytes();
    ByteBuffer j = ByteBuffer.allocate(8 + junk.length).order(ByteOrder.LITTLE_ENDIAN);
    j.putLong(junk.length).put(junk);
    Files.write(f, j.array());
    assertThrows(InvalidInputException.class, () -> Safetensors.read(f));
  }
}
