package dev.dllm.data.corpus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dllm.api.InvalidInputException;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** Reads a {@link CorpusSource} as documents assigned to the train or validation split. */
final class CorpusReader {
  private CorpusReader() {}

  /** Receives decoded text. */
  interface Sink {
    /** A piece of the current document (long documents arrive in several pieces). */
    void text(boolean valid, String text) throws IOException;

    /** The current document ended. */
    void endDocument(boolean valid) throws IOException;
  }

  /**
   * What a first pass over the raw bytes learns.
   *
   * @param sha256 content hash over relative names, sizes and bytes of all files
   * @param bytes total bytes
   * @param documents number of documents (files, or non-blank JSONL lines)
   * @param splitFile index of the file the train/validation cut falls in (text and folder corpora;
   *     {@link CorpusSource#splitRule()}), or -1 for JSONL
   * @param splitOffset byte offset of the cut inside that file: its bytes before it are train, the
   *     rest (and every later file) validation; -1 for JSONL
   */
  record Scan(String sha256, long bytes, long documents, int splitFile, long splitOffset) {}

  static Scan scan(CorpusSource source) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    List<Path> files = source.files();
    long bytes = 0;
    long docs = 0;
    byte[] buf = new byte[1 << 16];
    for (Path f : files) {
      String rel =
          source.format() == CorpusFormat.DIRECTORY ? source.path().relativize(f).toString() : "";
      md.update(rel.getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      long size = Files.size(f);
      md.update(Long.toString(size).getBytes(StandardCharsets.US_ASCII));
      md.update((byte) 0);
      boolean content = false;
      try (InputStream in = Files.newInputStream(f)) {
        int n;
        while ((n = in.read(buf)) > 0) {
          md.update(buf, 0, n);
          if (source.format() == CorpusFormat.JSONL) {
            for (int i = 0; i < n; i++) {
              byte b = buf[i];
              if (b == '\n') {
                if (content) {
                  docs++;
                }
                content = false;
              } else if (b != ' ' && b != '\t' && b != '\r') {
                content = true;
              }
            }
          }
        }
      }
      if (source.format() == CorpusFormat.JSONL && content) {
        docs++;
      }
      bytes += size;
    }
    if (source.format() == CorpusFormat.JSONL) {
      return new Scan(HexFormat.of().formatHex(md.digest()), bytes, docs, -1, -1);
    }
    long[] cut = byteTailCut(files, bytes, source.validFraction());
    return new Scan(
        HexFormat.of().formatHex(md.digest()), bytes, files.size(), (int) cut[0], cut[1]);
  }

  /**
   * The cut of a text or folder corpus ({@link CorpusSource#splitRule()}): the files, in order, are
   * one byte stream of {@code total} bytes; the target is byte T = floor((1 − f)·total), in file k
   * at offset o; the cut is right after the first '\n' at or after o in file k, or, when file k has
   * none there, at o moved forward to a UTF-8 character boundary. With f = 0 (or no bytes) the cut
   * is the end of the last file.
   *
   * @return {k, offset of the cut in file k}
   */
  private static long[] byteTailCut(List<Path> files, long total, double f) throws IOException {
    int last = files.size() - 1;
    if (f <= 0 || total == 0) {
      return new long[] {last, Files.size(files.get(last))};
    }
    long target = (long) Math.floor((1 - f) * total);
    long before = 0;
    for (int k = 0; k <= last; k++) {
      long size = Files.size(files.get(k));
      if (target < before + size) {
        return new long[] {k, cutAfterNewline(files.get(k), target - before)};
      }
      before += size;
    }
    return new long[] {last, Files.size(files.get(last))}; // not reached: target < total
  }

  /** First byte after the first '\n' at or after {@code target}; else target on a char boundary. */
  private static long cutAfterNewline(Path file, long target) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      in.skipNBytes(target);
      long pos = target;
      int b;
      while ((b = in.read()) >= 0) {
        pos++;
        if (b == '\n') {
          return pos;
        }
      }
    }
    // no newline in the tail: cut at the target on a UTF-8 character boundary
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
      in.skipNBytes(target);
      long pos = target;
      int b;
      while ((b = in.read()) >= 0 && (b & 0xC0) == 0x80) {
        pos++;
      }
      return pos;
    }
  }

  static void read(CorpusSource source, Scan scan, int chunkChars, Sink sink) throws IOException {
    List<Path> files = source.files();
    if (source.format() == CorpusFormat.JSONL) {
      long nValid = CorpusSource.validCount(scan.documents(), source.validFraction());
      jsonl(source, scan.documents(), nValid, sink);
      return;
    }
    for (int i = 0; i < files.size(); i++) {
      Path f = files.get(i);
      long size = Files.size(f);
      long cut = i < scan.splitFile() ? size : i == scan.splitFile() ? scan.splitOffset() : 0;
      try (InputStream in = new BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
        Newlines nl = source.newlines();
        section(in, 0, cut, f, false, chunkChars, nl, sink);
        section(in, cut, size - cut, f, true, chunkChars, nl, sink);
      }
    }
  }

  private static void section(
      InputStream in,
      long base,
      long length,
      Path f,
      boolean valid,
      int chunkChars,
      Newlines newlines,
      Sink sink)
      throws IOException {
    if (length == 0) {
      return;
    }
    Newlines.Normalizer lines = newlines.normalizer();
    IOException[] failure = {null};
    boolean[] first = {base == 0};
    StrictUtf8.decode(
        in,
        base,
        length,
        f.toString(),
        chunkChars,
        s -> {
          if (first[0]) {
            first[0] = false;
            if (s.startsWith("\uFEFF")) {
              s = s.substring(1); // a UTF-8 byte-order mark is not text
            }
          }
          s = lines.apply(s);
          if (failure[0] == null && !s.isEmpty()) {
            try {
              sink.text(valid, s);
            } catch (IOException e) {
              failure[0] = e;
            }
          }
        });
    if (failure[0] != null) {
      throw failure[0];
    }
    String tail = lines.flush();
    if (!tail.isEmpty()) {
      sink.text(valid, tail);
    }
    sink.endDocument(valid);
  }

  private static void jsonl(CorpusSource source, long n, long nValid, Sink sink)
      throws IOException {
    Path f = source.path();
    ObjectMapper mapper = new ObjectMapper();
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    long lineStart = 0;
    long offset = 0;
    long lineNo = 0;
    long doc = 0;
    try (InputStream in = new BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
      int b;
      while (true) {
        b = in.read();
        if (b >= 0) {
          offset++;
          if (b != '\n') {
            line.write(b);
            continue;
          }
        }
        if (line.size() > 0 || b >= 0) {
          lineNo++;
          byte[] bytes = line.toByteArray();
          if (!isBlank(bytes)) {
            Newlines.Normalizer lines = source.newlines().normalizer();
            String raw = jsonText(mapper, bytes, lineStart, lineNo, f, source.textField());
            String text = lines.apply(raw) + lines.flush();
            boolean valid = CorpusSource.isValid(doc, n, nValid);
            sink.text(valid, text);
            sink.endDocument(valid);
            doc++;
          }
          line.reset();
          lineStart = offset;
        }
        if (b < 0) {
          break;
        }
      }
    }
  }

  private static String jsonText(
      ObjectMapper mapper, byte[] bytes, long lineStart, long lineNo, Path f, String field)
      throws IOException {
    StringBuilder sb = new StringBuilder();
    StrictUtf8.decode(
        new ByteArrayInputStream(bytes),
        lineStart,
        bytes.length,
        f.toString(),
        Integer.MAX_VALUE,
        sb::append);
    JsonNode node;
    try {
      node = mapper.readTree(sb.toString());
    } catch (JsonProcessingException e) {
      throw new InvalidInputException(
          f + ": line " + lineNo + " is not valid JSON: " + e.getOriginalMessage());
    }
    JsonNode value = node == null ? null : node.get(field);
    if (value == null || !value.isTextual()) {
      throw new InvalidInputException(
          f + ": line " + lineNo + " has no string field '" + field + "' (use --text-field)");
    }
    return value.asText();
  }

  private static boolean isBlank(byte[] bytes) {
    for (byte b : bytes) {
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return true;
  }
}
