#!/usr/bin/env python3
"""Text statistics of dllm sample JSONL files: newlines per character and distinct-word ratio.

newlines/char = total '\n' / total characters over all samples' "text";
distinct-word ratio = |distinct words| / |words| over all samples, words = maximal runs of [A-Za-z'] (case kept;
this reproduces the duo helper's numbers on its sample files).
With --ref FILE [N] also prints the same statistics for N chunks of 256 characters of FILE
taken from its last 10% (the validation split), N default 16.
"""
import json, re, sys

def stats(texts):
    chars = sum(len(t) for t in texts)
    nl = sum(t.count("\n") for t in texts)
    words = [w for t in texts for w in re.findall(r"[A-Za-z']+", t)]
    return nl / max(chars, 1), len(set(words)) / max(len(words), 1), chars, len(words)

args = sys.argv[1:]
if args and args[0] == "--ref":
    text = open(args[1], encoding="utf-8").read()
    n = int(args[2]) if len(args) > 2 else 16
    val = text[int(len(text) * 0.9):]
    chunks = [val[i * 256:(i + 1) * 256] for i in range(n)]
    s = stats(chunks)
    print(f"{'reference ' + str(n) + 'x256':40s} newlines/char {s[0]:.3f}  distinct-word ratio {s[1]:.3f}  ({s[2]} chars, {s[3]} words)")
    sys.exit(0)
for path in args:
    texts = [json.loads(line)["text"] for line in open(path, encoding="utf-8") if line.strip()]
    s = stats(texts)
    print(f"{path.split('/')[-1]:40s} newlines/char {s[0]:.3f}  distinct-word ratio {s[1]:.3f}  ({len(texts)} samples, {s[2]} chars, {s[3]} words)")
