package dev.dllm.trainer.imports;

import dev.dllm.api.InvalidInputException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A restricted unpickler for {@code torch.save} streams (pickle protocols 0–5 as far as they carry
 * data; torch writes protocol 2). It executes nothing: every global is checked against {@link
 * PickleGlobals} when it is named (anything else is refused, naming it), tensor rebuilds become
 * {@link TensorRef}s, and plain-data objects become inert {@link PyObject}s.
 *
 * <p>Values: {@code None} → null, bool → Boolean, int → Long (or BigInteger), float → Double, str →
 * String, bytes → byte[], list → {@link ArrayList}, tuple → {@link Tuple}, dict / OrderedDict →
 * {@link LinkedHashMap}, set → ArrayList.
 */
public final class TorchPickle {
  private TorchPickle() {}

  /** A global named by the stream ({@code module.name}). */
  public record Global(String module, String name, PickleGlobals.Kind kind) {
    public String qualified() {
      return module + "." + name;
    }
  }

  /** A Python tuple. */
  public record Tuple(List<Object> items) {}

  /** An inert object: its class, the arguments it was reduced with, and its BUILD state. */
  public static final class PyObject {
    public final Global type;
    public final List<Object> args;
    public Object state;

    PyObject(Global type, List<Object> args) {
      this.type = type;
      this.args = args;
    }

    @Override
    public String toString() {
      return type.qualified() + args;
    }
  }

  private static final Object MARK = new Object();

  /**
   * Reads one pickled object.
   *
   * @param data the pickle bytes
   * @param where names the stream in messages (e.g. {@code last.ckpt: archive/data.pkl})
   * @param persistentLoad resolves a persistent id (torch: {@code ('storage', type, key, location,
   *     numel)}) to a value
   * @throws InvalidInputException naming {@code where} for a global outside {@link PickleGlobals},
   *     an unsupported opcode, or a malformed stream
   */
  public static Object load(byte[] data, String where, Function<Object, Object> persistentLoad) {
    try {
      return new Reader(data, where, persistentLoad).run();
    } catch (IndexOutOfBoundsException | ClassCastException | java.nio.BufferUnderflowException e) {
      throw new InvalidInputException(where + ": malformed pickle stream (" + e + ")", e);
    }
  }

  private static final class Reader {
    final ByteBuffer in;
    final String where;
    final Function<Object, Object> persistentLoad;
    final List<Object> stack = new ArrayList<>();
    final Map<Long, Object> memo = new HashMap<>();

    Reader(byte[] data, String where, Function<Object, Object> persistentLoad) {
      this.in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
      this.where = where;
      this.persistentLoad = persistentLoad;
    }

    InvalidInputException bad(String what) {
      return new InvalidInputException(where + ": " + what);
    }

    Object pop() {
      return stack.remove(stack.size() - 1);
    }

    Object top() {
      return stack.get(stack.size() - 1);
    }

    List<Object> popMark() {
      int m = stack.lastIndexOf(MARK);
      if (m < 0) {
        throw bad("pickle stream pops a mark it never set");
      }
      List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
      stack.subList(m, stack.size()).clear();
      return items;
    }

    byte[] bytes(long n) {
      if (n < 0 || n > in.remaining()) {
        throw bad("pickle stream is truncated");
      }
      byte[] b = new byte[(int) n];
      in.get(b);
      return b;
    }

    String line() {
      StringBuilder b = new StringBuilder();
      for (byte c = in.get(); c != '\n'; c = in.get()) {
        b.append((char) (c & 0xff));
      }
      return b.toString();
    }

    String utf8(long n) {
      return new String(bytes(n), StandardCharsets.UTF_8);
    }

    Global global(String module, String name) {
      PickleGlobals.Kind k = PickleGlobals.classify(module, name);
      if (k == null) {
        throw bad(
            "the pickle references global '"
                + module
                + "."
                + name
                + "', which is neither a tensor-rebuild nor a plain-data global; refusing to"
                + " load it (nothing was executed)");
      }
      return new Global(module, name, k);
    }

    Object run() {
      while (true) {
        int op = in.get() & 0xff;
        switch (op) {
          case 0x80 -> in.get(); // PROTO
          case 0x95 -> in.getLong(); // FRAME
          case '.' -> {
            return pop();
          }
          case '(' -> stack.add(MARK);
          case '0' -> pop();
          case '1' -> popMark();
          case '2' -> stack.add(top());
          case 'N' -> stack.add(null);
          case 0x88 -> stack.add(Boolean.TRUE);
          case 0x89 -> stack.add(Boolean.FALSE);
          case 'J' -> stack.add((long) in.getInt());
          case 'K' -> stack.add((long) (in.get() & 0xff));
          case 'M' -> stack.add((long) (in.getShort() & 0xffff));
          case 0x8a -> stack.add(longLe(bytes(in.get() & 0xff)));
          case 0x8b -> stack.add(longLe(bytes(in.getInt())));
          case 'I' -> stack.add(intLine(line()));
          case 'L' -> stack.add(new BigInteger(line().replace("L", "")).longValue());
          case 'G' -> stack.add(ByteBuffer.wrap(bytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble());
          case 'F' -> stack.add(Double.parseDouble(line()));
          case 'X' -> stack.add(utf8(in.getInt() & 0xffffffffL));
          case 0x8c -> stack.add(utf8(in.get() & 0xff));
          case 0x8d -> stack.add(utf8(in.getLong()));
          case 'V' -> stack.add(line());
          case 'U' -> stack.add(new String(bytes(in.get() & 0xff), StandardCharsets.ISO_8859_1));
          case 'T' -> stack.add(new String(bytes(in.getInt()), StandardCharsets.ISO_8859_1));
          case 'S' -> stack.add(unquote(line()));
          case 'C' -> stack.add(bytes(in.get() & 0xff));
          case 'B' -> stack.add(bytes(in.getInt() & 0xffffffffL));
          case 0x8e -> stack.add(bytes(in.getLong()));
          case ')' -> stack.add(new Tuple(List.of()));
          case 't' -> stack.add(new Tuple(popMark()));
          case 0x85 -> stack.add(tuple(1));
          case 0x86 -> stack.add(tuple(2));
          case 0x87 -> stack.add(tuple(3));
          case ']' -> stack.add(new ArrayList<>());
          case 'l' -> stack.add(new ArrayList<>(popMark()));
          case 'a' -> {
            Object v = pop();
            list(top()).add(v);
          }
          case 'e' -> {
            List<Object> items = popMark();
            list(top()).addAll(items);
          }
          case '}' -> stack.add(new LinkedHashMap<>());
          case 'd' -> stack.add(dict(new LinkedHashMap<>(), popMark()));
          case 's' -> {
            Object v = pop();
            Object k = pop();
            map(top()).put(k, v);
          }
          case 'u' -> {
            List<Object> items = popMark();
            dict(map(top()), items);
          }
          case 0x8f -> stack.add(new ArrayList<>());
          case 0x90 -> {
            List<Object> items = popMark();
            list(top()).addAll(items);
          }
          case 0x91 -> stack.add(new ArrayList<>(popMark()));
          case 'p' -> memo.put(Long.parseLong(line()), top());
          case 'q' -> memo.put((long) (in.get() & 0xff), top());
          case 'r' -> memo.put(in.getInt() & 0xffffffffL, top());
          case 0x94 -> memo.put((long) memo.size(), top());
          case 'g' -> stack.add(memoGet(Long.parseLong(line())));
          case 'h' -> stack.add(memoGet(in.get() & 0xff));
          case 'j' -> stack.add(memoGet(in.getInt() & 0xffffffffL));
          case 'c' -> stack.add(global(line(), line()));
          case 0x93 -> {
            String name = (String) pop();
            String module = (String) pop();
            stack.add(global(module, name));
          }
          case 'Q' -> stack.add(persistentLoad.apply(pop()));
          case 'P' -> stack.add(persistentLoad.apply(line()));
          case 'R' -> {
            Tuple args = (Tuple) pop();
            stack.add(call(pop(), args.items()));
          }
          case 0x81 -> {
            Tuple args = (Tuple) pop();
            stack.add(call(pop(), args.items()));
          }
          case 0x92 -> {
            pop(); // kwargs
            Tuple args = (Tuple) pop();
            stack.add(call(pop(), args.items()));
          }
          case 'b' -> {
            Object state = pop();
            build(top(), state);
          }
          default ->
              throw bad(
                  String.format(
                      "unsupported pickle opcode 0x%02x at byte %d", op, in.position() - 1));
        }
      }
    }

    Tuple tuple(int n) {
      List<Object> items = new ArrayList<>(stack.subList(stack.size() - n, stack.size()));
      stack.subList(stack.size() - n, stack.size()).clear();
      return new Tuple(items);
    }

    Object memoGet(long k) {
      if (!memo.containsKey(k)) {
        throw bad("pickle stream reads memo entry " + k + " it never stored");
      }
      return memo.get(k);
    }

    @SuppressWarnings("unchecked")
    List<Object> list(Object o) {
      if (o instanceof PyObject p) {
        if (!(p.state instanceof List<?>)) {
          p.state = new ArrayList<>();
        }
        return (List<Object>) p.state;
      }
      return (List<Object>) o;
    }

    @SuppressWarnings("unchecked")
    Map<Object, Object> map(Object o) {
      if (o instanceof PyObject p) {
        if (!(p.state instanceof Map<?, ?>)) {
          p.state = new LinkedHashMap<>();
        }
        return (Map<Object, Object>) p.state;
      }
      return (Map<Object, Object>) o;
    }

    Map<Object, Object> dict(Map<Object, Object> m, List<Object> kv) {
      for (int i = 0; i + 1 < kv.size(); i += 2) {
        m.put(kv.get(i), kv.get(i + 1));
      }
      return m;
    }

    void build(Object target, Object state) {
      if (target instanceof PyObject p) {
        p.state = state;
      } else if (target instanceof Map<?, ?> && state instanceof Map<?, ?> s) {
        map(target).putAll(s);
      }
      // BUILD on a tensor (python attributes) carries nothing we need
    }

    Object call(Object callable, List<Object> args) {
      if (!(callable instanceof Global g)) {
        throw bad("the pickle calls a " + describe(callable) + ", not a global");
      }
      return switch (g.kind()) {
        case REBUILD_TENSOR -> rebuild(args);
        case REBUILD_PARAMETER -> args.get(0);
        case REBUILD_FROM_TYPE -> call(args.get(0), ((Tuple) args.get(2)).items());
        case ORDERED_DICT -> new LinkedHashMap<>();
        case CODECS_ENCODE -> ((String) args.get(0)).getBytes(StandardCharsets.ISO_8859_1);
        case STORAGE, INERT -> new PyObject(g, args);
      };
    }

    TensorRef rebuild(List<Object> args) {
      if (!(args.get(0) instanceof TensorRef.Storage s)) {
        throw bad("a tensor rebuild names " + describe(args.get(0)) + " instead of a storage");
      }
      long offset = (Long) args.get(1);
      long[] size = longs(args.get(2));
      long[] stride = longs(args.get(3));
      if (size.length != stride.length) {
        throw bad("a tensor has " + size.length + " sizes but " + stride.length + " strides");
      }
      long last = offset;
      for (int i = 0; i < size.length; i++) {
        if (size[i] < 0 || stride[i] < 0) {
          throw bad("a tensor has a negative size or stride");
        }
        last += size[i] == 0 ? 0 : (size[i] - 1) * stride[i];
      }
      if (numel(size) > 0 && last >= s.numel()) {
        throw bad("a tensor reads past the end of storage " + s.key());
      }
      return new TensorRef(s, offset, size, stride);
    }

    long[] longs(Object o) {
      List<?> items = o instanceof Tuple t ? t.items() : (List<?>) o;
      long[] r = new long[items.size()];
      for (int i = 0; i < r.length; i++) {
        r[i] = (Long) items.get(i);
      }
      return r;
    }
  }

  static long numel(long[] size) {
    long n = 1;
    for (long d : size) {
      n *= d;
    }
    return n;
  }

  static String describe(Object o) {
    return o == null ? "None" : o.getClass().getSimpleName();
  }

  static Object longLe(byte[] b) {
    if (b.length == 0) {
      return 0L;
    }
    byte[] be = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      be[i] = b[b.length - 1 - i];
    }
    BigInteger v = new BigInteger(be);
    return v.bitLength() < 64 ? (Object) v.longValue() : v;
  }

  static Object intLine(String s) {
    return switch (s) {
      case "00" -> Boolean.FALSE;
      case "01" -> Boolean.TRUE;
      default -> Long.parseLong(s);
    };
  }

  static String unquote(String s) {
    if (s.length() >= 2 && (s.charAt(0) == '\'' || s.charAt(0) == '"')) {
      return s.substring(1, s.length() - 1);
    }
    return s;
  }
}
