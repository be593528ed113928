package support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** A plain HTTP client for one Livepoll server: java.net.http for normal requests, a raw socket for broken ones. */
public final class ApiClient {
  public static final String JSON = "application/json";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private static final HttpClient CLIENT = HttpClient.newBuilder()
      // HTTP/1.1 only: the JDK's default h2c upgrade attempt is not what these tests are about.
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  private final String host;
  private final int port;
  private final String token;

  public ApiClient(int port) {
    this("127.0.0.1", port, null);
  }

  /** A server on another address than loopback (a node in a network namespace of its own). */
  public ApiClient(String host, int port) {
    this(host, port, null);
  }

  private ApiClient(String host, int port, String token) {
    this.host = host;
    this.port = port;
    this.token = token;
  }

  /** The same server, every request with {@code Authorization: Bearer token}. */
  public ApiClient as(String token) {
    return new ApiClient(host, port, token);
  }

  /** One response; header names are lower-cased so lookups do not depend on how either side spells them. */
  public record Reply(int status, Map<String, List<String>> headers, byte[] bytes) {
    public Optional<String> header(String name) {
      List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
      return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
    }

    /** The media type without parameters, or "" when the response has no Content-Type. */
    public String mediaType() {
      return header("content-type").map(type -> type.split(";")[0].strip().toLowerCase(Locale.ROOT)).orElse("");
    }

    public String body() {
      return new String(bytes, StandardCharsets.UTF_8);
    }

    public JsonNode json() {
      try {
        return MAPPER.readTree(bytes);
      } catch (IOException e) {
        throw new AssertionError("response body is not JSON: " + body(), e);
      }
    }

    @Override
    public String toString() {
      return status + " " + headers + " " + body();
    }
  }

  /** The poll id from a 201's Location header. */
  public static String createdId(Reply created) {
    return created.header("location").orElseThrow().replaceFirst(".*/", "");
  }

  public Reply get(String path) {
    return send("GET", path, null, null);
  }

  public Reply delete(String path) {
    return send("DELETE", path, null, null);
  }

  public Reply post(String path, String jsonBody) {
    return send("POST", path, JSON, BodyPublishers.ofString(jsonBody, StandardCharsets.UTF_8));
  }

  public Reply post(String path, String contentType, byte[] body) {
    return send("POST", path, contentType, BodyPublishers.ofByteArray(body));
  }

  /** Sends {@code body} with no Content-Length, so the server learns its size only by reading it. */
  public Reply postChunked(String path, byte[] body) {
    return send("POST", path, JSON, BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body)));
  }

  /** A POST with an {@code Idempotency-Key} header. */
  public Reply postWithKey(String path, String idempotencyKey, String jsonBody) {
    return send("POST", path, JSON, BodyPublishers.ofString(jsonBody, StandardCharsets.UTF_8),
        Map.of("Idempotency-Key", idempotencyKey));
  }

  /** {@code contentType} null sends no Content-Type header; {@code body} null sends no body. */
  public Reply send(String method, String path, String contentType, BodyPublisher body) {
    return send(method, path, contentType, body, Map.of());
  }

  private Reply send(String method, String path, String contentType, BodyPublisher body,
      Map<String, String> extraHeaders) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + path))
        .timeout(TIMEOUT)
        .method(method, body == null ? BodyPublishers.noBody() : body);
    if (contentType != null) {
      request.header("Content-Type", contentType);
    }
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    extraHeaders.forEach(request::header);
    try {
      var response = CLIENT.send(request.build(), BodyHandlers.ofByteArray());
      Map<String, List<String>> headers = new LinkedHashMap<>();
      response.headers().map().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), values));
      return new Reply(response.statusCode(), headers, response.body());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Writes {@code request} byte for byte (head and whatever part of a body it holds) and reads one response, leaving
   * the connection open meanwhile: for what a well-behaved client cannot send, such as a lying Content-Length.
   */
  public Reply raw(byte[] request) {
    try (Socket socket = new Socket(InetAddress.getByName(host), port)) {
      socket.setSoTimeout((int) TIMEOUT.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      String statusLine = readLine(in);
      String[] parts = statusLine.split(" ", 3);
      if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
        throw new AssertionError("not an HTTP response: " + statusLine);
      }
      Map<String, List<String>> headers = new LinkedHashMap<>();
      for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
        int colon = line.indexOf(':');
        headers.computeIfAbsent(line.substring(0, colon).strip().toLowerCase(Locale.ROOT), name -> new ArrayList<>())
            .add(line.substring(colon + 1).strip());
      }
      int length = Integer.parseInt(headers.getOrDefault("content-length", List.of("0")).get(0));
      return new Reply(Integer.parseInt(parts[1]), headers, in.readNBytes(length));
    } catch (IOException e) {
      throw new UncheckedIOException("raw request failed", e);
    }
  }

  /** A request head for {@link #raw}, CRLF line endings and the blank line included. */
  public static byte[] head(String requestLine, String... headers) {
    StringBuilder head = new StringBuilder(requestLine).append("\r\nHost: 127.0.0.1\r\n");
    for (String header : headers) {
      head.append(header).append("\r\n");
    }
    return head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  public static byte[] concat(byte[]... chunks) {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] chunk : chunks) {
      all.writeBytes(chunk);
    }
    return all.toByteArray();
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    for (int b = in.read(); b != '\n'; b = in.read()) {
      if (b < 0) {
        throw new IOException("connection closed in the middle of a response head");
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }
}
