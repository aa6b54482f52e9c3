package dev.dllm.data.tokenize;

import dev.dllm.api.InvalidInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A pure-Java reader of a SentencePiece {@code .model} file (a protobuf {@code ModelProto}): the
 * pieces with score and type, and the trainer's unk/bos/eos/pad ids. Only the fields needed here
 * are decoded; everything else is skipped by wire type.
 *
 * @param pieces pieces in id order
 * @param modelType 1 = unigram, 2 = BPE, 3 = word, 4 = char ({@code TrainerSpec.model_type})
 * @param unkId unknown id
 * @param bosId BOS id or -1
 * @param eosId EOS id or -1
 * @param padId PAD id or -1
 * @param byteFallback whether unknown characters fall back to {@code <0xXX>} pieces
 * @param addDummyPrefix whether a space is prepended to the text before encoding
 */
public record SentencePieceModel(
    List<Piece> pieces,
    int modelType,
    int unkId,
    int bosId,
    int eosId,
    int padId,
    boolean byteFallback,
    boolean addDummyPrefix) {

  /** Piece types of {@code SentencePiece.Type}. */
  public static final int NORMAL = 1;

  public static final int UNKNOWN = 2;
  public static final int CONTROL = 3;
  public static final int USER_DEFINED = 4;
  public static final int UNUSED = 5;
  public static final int BYTE = 6;

  /**
   * One vocabulary entry.
   *
   * @param piece the text of the piece (U+2581 for spaces)
   * @param score log-probability (unigram) or negative merge rank (BPE)
   * @param type one of the type constants
   */
  public record Piece(String piece, float score, int type) {}

  public SentencePieceModel {
    pieces = Collections.unmodifiableList(pieces);
  }

  /**
   * Reads a model file.
   *
   * @throws InvalidInputException when the file cannot be read or is not a SentencePiece model
   */
  public static SentencePieceModel read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new InvalidInputException("cannot read SentencePiece model " + file + ": " + e, e);
    }
    try {
      return parse(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
    } catch (RuntimeException e) {
      if (e instanceof InvalidInputException) {
        throw e;
      }
      throw new InvalidInputException(
          file + " is not a SentencePiece model (protobuf parse failed: " + e.getMessage() + ")",
          e);
    }
  }

  private static SentencePieceModel parse(ByteBuffer buf) {
    List<Piece> pieces = new ArrayList<>();
    int[] trainer = {2, 0, 1, 2, -1, 0}; // model_type, unk, bos, eos, pad, byte_fallback
    boolean dummyPrefix = true;
    while (buf.hasRemaining()) {
      long key = varint(buf);
      int field = (int) (key >>> 3);
      int wire = (int) (key & 7);
      if (field == 1 && wire == 2) {
        pieces.add(piece(sub(buf)));
      } else if (field == 2 && wire == 2) {
        trainerSpec(sub(buf), trainer);
      } else if (field == 3 && wire == 2) {
        dummyPrefix = normalizerAddsPrefix(sub(buf));
      } else {
        skip(buf, wire);
      }
    }
    if (pieces.isEmpty()) {
      throw new InvalidInputException("SentencePiece model has no pieces");
    }
    return new SentencePieceModel(
        pieces,
        trainer[0],
        trainer[1],
        trainer[2],
        trainer[3],
        trainer[4],
        trainer[5] != 0,
        dummyPrefix);
  }

  private static Piece piece(ByteBuffer buf) {
    String text = "";
    float score = 0;
    int type = NORMAL;
    while (buf.hasRemaining()) {
      long key = varint(buf);
      int field = (int) (key >>> 3);
      int wire = (int) (key & 7);
      if (field == 1 && wire == 2) {
        ByteBuffer s = sub(buf);
        byte[] b = new byte[s.remaining()];
        s.get(b);
        text = new String(b, StandardCharsets.UTF_8);
      } else if (field == 2 && wire == 5) {
        score = buf.getFloat();
      } else if (field == 3 && wire == 0) {
        type = (int) varint(buf);
      } else {
        skip(buf, wire);
      }
    }
    return new Piece(text, score, type);
  }

  private static void trainerSpec(ByteBuffer buf, int[] out) {
    while (buf.hasRemaining()) {
      long key = varint(buf);
      int field = (int) (key >>> 3);
      int wire = (int) (key & 7);
      if (wire == 0 && (field == 3 || field == 35 || (field >= 40 && field <= 43))) {
        int v = (int) varint(buf);
        switch (field) {
          case 3 -> out[0] = v;
          case 35 -> out[5] = v;
          case 40 -> out[1] = v;
          case 41 -> out[2] = v;
          case 42 -> out[3] = v;
          default -> out[4] = v;
        }
      } else {
        skip(buf, wire);
      }
    }
  }

  private static boolean normalizerAddsPrefix(ByteBuffer buf) {
    boolean add = true;
    while (buf.hasRemaining()) {
      long key = varint(buf);
      int field = (int) (key >>> 3);
      int wire = (int) (key & 7);
      if (field == 3 && wire == 0) {
        add = varint(buf) != 0;
      } else {
        skip(buf, wire);
      }
    }
    return add;
  }

  private static ByteBuffer sub(ByteBuffer buf) {
    int len = (int) varint(buf);
    ByteBuffer s = buf.slice(buf.position(), len).order(ByteOrder.LITTLE_ENDIAN);
    buf.position(buf.position() + len);
    return s;
  }

  private static void skip(ByteBuffer buf, int wire) {
    switch (wire) {
      case 0 -> varint(buf);
      case 1 -> buf.position(buf.position() + 8);
      case 2 -> sub(buf);
      case 5 -> buf.position(buf.position() + 4);
      default -> throw new IllegalStateException("unsupported wire type " + wire);
    }
  }

  private static long varint(ByteBuffer buf) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = buf.get();
      v |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new IllegalStateException("varint too long");
  }

  /** Number of pieces (the SentencePiece vocabulary size, without an appended mask). */
  public int size() {
    return pieces.size();
  }
}
