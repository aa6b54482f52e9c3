package dev.dllm.exporter;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Writes pickle protocol 2 as {@code torch.save} does, for test fixtures: Java values become pickle
 * values (String, Long/Integer, Double, Boolean, null, List → list, {@link Tup} → tuple, Map →
 * dict, {@link Ordered} → {@code collections.OrderedDict}, {@link Storage} → a tensor rebuilt by
 * {@code torch._utils._rebuild_tensor_v2} over a persistent-id storage, {@link Call} → {@code
 * REDUCE} of any global, {@link Obj} → {@code NEWOBJ} + {@code BUILD}).
 */
final class PickleWriter {
  record Tup(List<Object> items) {}

  record Ordered(Map<String, Object> items) {}

  /** A contiguous tensor over storage {@code key} of {@code type} (e.g. FloatStorage). */
  record Storage(String key, String type, long[] shape) {}

  /** {@code module.name(*args)}. */
  record Call(String module, String name, List<Object> args) {}

  /** {@code module.name.__new__()} then {@code __setstate__(state)}. */
  record Obj(String module, String name, Object state) {}

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  static byte[] pickle(Object root) {
    PickleWriter w = new PickleWriter();
    w.out.write(0x80);
    w.out.write(2);
    w.value(root);
    w.out.write('.');
    return w.out.toByteArray();
  }

  private void op(char c) {
    out.write(c);
  }

  private void int32(int v) {
    out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
  }

  private void global(String module, String name) {
    op('c');
    out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
  }

  private void value(Object v) {
    if (v == null) {
      op('N');
    } else if (v instanceof Boolean b) {
      out.write(b ? 0x88 : 0x89);
    } else if (v instanceof Integer || v instanceof Long) {
      long l = ((Number) v).longValue();
      if (l >= 0 && l < 256) {
        op('K');
        out.write((int) l);
      } else {
        op('J');
        int32((int) l);
      }
    } else if (v instanceof Double d) {
      op('G');
      out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putDouble(d).array());
    } else if (v instanceof String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      op('X');
      int32(b.length);
      out.writeBytes(b);
    } else if (v instanceof Tup t) {
      op('(');
      t.items().forEach(this::value);
      op('t');
    } else if (v instanceof List<?> l) {
      op(']');
      op('(');
      l.forEach(this::value);
      op('e');
    } else if (v instanceof Ordered o) {
      global("collections", "OrderedDict");
      op(')');
      op('R');
      items(o.items());
    } else if (v instanceof Map<?, ?> m) {
      op('}');
      items(m);
    } else if (v instanceof Storage s) {
      global("torch._utils", "_rebuild_tensor_v2");
      op('(');
      long numel = 1;
      for (long d : s.shape()) {
        numel *= d;
      }
      op('(');
      value("storage");
      global("torch", s.type());
      value(s.key());
      value("cpu");
      value(numel);
      op('t');
      op('Q');
      value(0);
      long[] stride = new long[s.shape().length];
      for (int i = stride.length - 1, acc = 1; i >= 0; acc *= (int) s.shape()[i], i--) {
        stride[i] = acc;
      }
      value(tuple(s.shape()));
      value(tuple(stride));
      value(false);
      value(new Ordered(Map.of()));
      op('t');
      op('R');
    } else if (v instanceof Call c) {
      global(c.module(), c.name());
      value(new Tup(List.copyOf(c.args())));
      op('R');
    } else if (v instanceof Obj o) {
      global(o.module(), o.name());
      op(')');
      out.write(0x81);
      value(o.state());
      op('b');
    } else {
      throw new IllegalArgumentException("cannot pickle " + v.getClass());
    }
  }

  private static Tup tuple(long[] xs) {
    List<Object> l = new java.util.ArrayList<>();
    for (long x : xs) {
      l.add(x);
    }
    return new Tup(l);
  }

  private void items(Map<?, ?> m) {
    if (m.isEmpty()) {
      return;
    }
    op('(');
    m.forEach(
        (k, x) -> {
          value(k);
          value(x);
        });
    op('u');
  }
}
