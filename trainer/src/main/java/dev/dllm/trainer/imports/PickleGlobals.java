package dev.dllm.trainer.imports;

import java.util.Set;

/**
 * The globals a {@link TorchPickle} stream may name. Nothing named in a pickle is ever called or
 * instantiated: the tensor-rebuild globals are interpreted by the reader itself, and plain-data
 * classes of the Lightning / Hydra / Hugging Face stack (a checkpoint's {@code hyper_parameters},
 * callbacks and loop state) become inert {@link TorchPickle.PyObject} records. Every other global
 * ({@code os.system}, {@code builtins.eval}, {@code subprocess.Popen}, ...) is refused by name.
 */
public final class PickleGlobals {
  private PickleGlobals() {}

  /** What the reader does with a global. */
  public enum Kind {
    /** {@code torch._utils._rebuild_tensor_v2} and its relatives: builds a {@link TensorRef}. */
    REBUILD_TENSOR,
    /** {@code torch._utils._rebuild_parameter}: the tensor inside a parameter. */
    REBUILD_PARAMETER,
    /** {@code torch._tensor._rebuild_from_type_v2(func, type, args, state)}. */
    REBUILD_FROM_TYPE,
    /** A {@code torch.*Storage} type, named in a storage's persistent id. */
    STORAGE,
    /** {@code collections.OrderedDict}: a map in insertion order. */
    ORDERED_DICT,
    /** {@code _codecs.encode(str, 'latin1')}: how protocol 2 writes bytes. */
    CODECS_ENCODE,
    /** A symbol or plain-data class kept as an inert record (never instantiated). */
    INERT
  }

  /** Torch storage type to its safetensors dtype name ({@code F32}, {@code BF16}, ...). */
  static String storageDtype(String name) {
    return switch (name) {
      case "FloatStorage" -> "F32";
      case "DoubleStorage" -> "F64";
      case "HalfStorage" -> "F16";
      case "BFloat16Storage" -> "BF16";
      case "LongStorage" -> "I64";
      case "IntStorage" -> "I32";
      case "ShortStorage" -> "I16";
      case "CharStorage" -> "I8";
      case "ByteStorage" -> "U8";
      case "BoolStorage" -> "BOOL";
      default -> null;
    };
  }

  private static final Set<String> BUILTIN_TYPES =
      Set.of(
          "dict",
          "list",
          "tuple",
          "set",
          "frozenset",
          "int",
          "float",
          "str",
          "bool",
          "bytes",
          "object",
          "complex",
          "slice",
          "NoneType",
          "type");

  /** Module prefixes whose classes may appear as plain data (kept inert, never called). */
  private static final String[] INERT_PREFIXES = {
    "omegaconf.",
    "typing.",
    "pathlib.",
    "datetime.",
    "numpy.",
    "transformers.",
    "tokenizers.",
    "pytorch_lightning.",
    "lightning_fabric.",
    "lightning.",
    "torch.torch_version.",
    "argparse.Namespace",
    "collections.defaultdict",
    "collections.Counter",
    "copyreg._reconstructor",
    "enum."
  };

  /**
   * Classifies {@code module.name}.
   *
   * @return the kind, or null when the global is not allowed
   */
  public static Kind classify(String module, String name) {
    String q = module + "." + name;
    switch (q) {
      case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor":
        return Kind.REBUILD_TENSOR;
      case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
        return Kind.REBUILD_PARAMETER;
      case "torch._tensor._rebuild_from_type_v2":
        return Kind.REBUILD_FROM_TYPE;
      case "collections.OrderedDict":
        return Kind.ORDERED_DICT;
      case "_codecs.encode":
        return Kind.CODECS_ENCODE;
      case "torch.Tensor", "torch.nn.parameter.Parameter", "torch.Size", "torch.device":
        return Kind.INERT;
      default:
        break;
    }
    if (module.equals("torch") && storageDtype(name) != null) {
      return Kind.STORAGE;
    }
    if (module.equals("torch")
        && (name.startsWith("float")
            || name.startsWith("bfloat")
            || name.startsWith("int")
            || name.equals("bool")
            || name.equals("half")
            || name.equals("double")
            || name.equals("long"))) {
      return Kind.INERT; // dtype symbols
    }
    if (module.equals("builtins") && BUILTIN_TYPES.contains(name)) {
      return Kind.INERT;
    }
    for (String p : INERT_PREFIXES) {
      if (q.startsWith(p)) {
        return Kind.INERT;
      }
    }
    return null;
  }
}
