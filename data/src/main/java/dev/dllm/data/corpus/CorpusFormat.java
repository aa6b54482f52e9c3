package dev.dllm.data.corpus;

/** Layout of a corpus on disk. */
public enum CorpusFormat {
  /** One UTF-8 text file (one document; split into train/validation by byte fraction). */
  TEXT,
  /** A folder of {@code *.txt} files, one document each, in sorted relative-path order. */
  DIRECTORY,
  /** JSON Lines: one document per non-blank line, its text in a string field. */
  JSONL
}
