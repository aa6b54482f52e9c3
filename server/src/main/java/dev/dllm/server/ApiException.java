package dev.dllm.server;

/**
 * A request the server refuses, answered with an OpenAI-style error body {@code
 * {"error":{"message","type","param","code"}}} and an HTTP status (4xx for the client's mistakes,
 * 503 while stopping, 500 for our own bugs).
 */
final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String type;
  private final String param;
  private final String code;

  /**
   * @param status the HTTP status
   * @param type OpenAI's error type, e.g. {@code invalid_request_error}
   * @param param the request field at fault, or null
   * @param code a short machine-readable code, or null
   * @param message one line naming the field and what was expected
   */
  ApiException(int status, String type, String param, String code, String message) {
    super(message);
    this.status = status;
    this.type = type;
    this.param = param;
    this.code = code;
  }

  /** 400 {@code invalid_request_error} naming {@code param}. */
  static ApiException invalid(String param, String message) {
    return new ApiException(400, "invalid_request_error", param, null, message);
  }

  int status() {
    return status;
  }

  String type() {
    return type;
  }

  String param() {
    return param;
  }

  String code() {
    return code;
  }
}
