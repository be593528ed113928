package support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A real WebSocket client of a poll's live socket (JDK {@link WebSocket}): it assembles fragmented text frames,
 * parses them as JSON and hands each whole frame to {@link #onFrame}, except keep-alive frames, which it counts and
 * otherwise ignores as every client should. Tests subclass it to keep frames their way.
 */
public abstract class LiveSocketClient implements WebSocket.Listener {
  /** Keep-alive frames received (not handed to {@link #onFrame}). */
  protected final java.util.concurrent.atomic.AtomicLong keepAlives = new java.util.concurrent.atomic.AtomicLong();
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** One frame as read, with the System.nanoTime of its arrival. */
  public record Frame(JsonNode json, long receivedAt) {
    @Override
    public String toString() {
      return json.toString();
    }
  }

  /** Completes with the close code when the server closes the socket, exceptionally on an error. */
  public final CompletableFuture<Integer> closed = new CompletableFuture<>();
  private final StringBuilder partial = new StringBuilder();
  protected volatile WebSocket socket;

  /** Opens {@code /api/polls/{pollId}/live} on the server at {@code port}, with {@code token} when not null. */
  public static <L extends LiveSocketClient> L open(int port, String pollId, String token, L client) {
    return open("127.0.0.1", port, pollId, token, client);
  }

  /** The same on a server at {@code host} rather than loopback. */
  public static <L extends LiveSocketClient> L open(String host, int port, String pollId, String token, L client) {
    String query = token == null ? "" : "?token=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
    return open(CLIENT, URI.create("ws://" + host + ":" + port + "/api/polls/" + pollId + "/live" + query), client);
  }

  /** Opens the live socket at {@code uri} (ws: or wss:) with {@code http}, e.g. one that trusts a test's TLS key. */
  public static <L extends LiveSocketClient> L open(HttpClient http, URI uri, L client) {
    try {
      client.socket = http.newWebSocketBuilder()
          .connectTimeout(Duration.ofSeconds(5))
          .buildAsync(uri, client)
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("could not open the live socket " + uri, e);
    }
    return client;
  }

  /** Takes one whole frame; called on the client's thread, one frame at a time. */
  protected abstract void onFrame(Frame frame);

  /** Whether to ask for the next frame right after one was taken; a slow reader says no and asks later. */
  protected boolean readsOn() {
    return true;
  }

  @Override
  public void onOpen(WebSocket webSocket) {
    webSocket.request(1);
  }

  @Override
  public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
    partial.append(data);
    if (last) {
      String text = partial.toString();
      partial.setLength(0);
      JsonNode json;
      try {
        json = MAPPER.readTree(text);
      } catch (IOException e) {
        json = MAPPER.createObjectNode().put("type", "not-json").put("text", text);
      }
      if ("keep-alive".equals(json.path("type").asText())) {
        keepAlives.incrementAndGet();
      } else {
        onFrame(new Frame(json, System.nanoTime()));
      }
    }
    if (!last || readsOn()) {
      webSocket.request(1);
    }
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
    onFrame(new Frame(MAPPER.createObjectNode().put("type", "binary-from-server"), System.nanoTime()));
    webSocket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
    closed.complete(statusCode);
    return null;
  }

  @Override
  public void onError(WebSocket webSocket, Throwable error) {
    closed.completeExceptionally(error);
  }

  /** The next frame of {@code queue} before {@code deadline} (System.nanoTime), or null once it passed or the
   * socket closed with nothing left to read. */
  protected Frame pollUntil(BlockingQueue<Frame> queue, long deadline) {
    try {
      while (true) {
        long left = deadline - System.nanoTime();
        Frame frame = queue.poll(Math.max(0, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50))),
            TimeUnit.NANOSECONDS);
        if (frame != null) {
          return frame;
        }
        if (left <= 0 || (closed.isDone() && queue.isEmpty())) {
          return null;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Whether and how the server closed the socket, for failure messages. */
  public String describeClose() {
    if (!closed.isDone()) {
      return "no";
    }
    try {
      return "yes, code " + closed.getNow(null);
    } catch (Exception e) {
      return "with error " + e.getCause();
    }
  }

  /** Closes the socket with {@code code}, as a client that is done; {@link #closed} gets the server's answer. */
  public void close(int code) {
    try {
      socket.sendClose(code, "").get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("could not send a close frame", e);
    }
  }

  public void abort() {
    if (socket != null) {
      socket.abort();
    }
  }

  public void send(String text) {
    try {
      socket.sendText(text, true).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("could not send " + (text.length() > 80 ? text.substring(0, 80) + "..." : text), e);
    }
  }

  public void sendFragments(String... parts) {
    try {
      for (int i = 0; i < parts.length; i++) {
        socket.sendText(parts[i], i == parts.length - 1).get(5, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new AssertionError("could not send fragments", e);
    }
  }

  public void sendBinary(byte[] bytes) {
    try {
      socket.sendBinary(ByteBuffer.wrap(bytes), true).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("could not send a binary frame", e);
    }
  }
}
