package support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * One TCP connection to a server, written byte by byte: from any loopback source address (so that a test is a client
 * address of its own), with any header, as slowly as a hostile client likes. For what well-behaved clients never do.
 */
public final class RawConnection implements AutoCloseable {
  private final Socket socket;
  private String head = "";

  private RawConnection(Socket socket) {
    this.socket = socket;
  }

  /** Connects to the server on loopback {@code port} from the loopback address {@code from} (127.0.0.x). */
  public static RawConnection open(String from, int port) {
    try {
      Socket socket = new Socket(InetAddress.getLoopbackAddress(), port, InetAddress.getByName(from), 0);
      socket.setSoTimeout(20_000);
      return new RawConnection(socket);
    } catch (IOException e) {
      throw new UncheckedIOException("could not connect from " + from + " to port " + port, e);
    }
  }

  /** Opens the live socket of {@code pollId} with extra {@code headers}; returns the answer's status. */
  public static RawConnection upgrade(String from, int port, String pollId, List<String> headers) {
    RawConnection connection = open(from, port);
    StringBuilder request = new StringBuilder("GET /api/polls/" + pollId + "/live HTTP/1.1\r\n")
        .append("Host: 127.0.0.1:").append(port).append("\r\n")
        .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
        .append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n");
    headers.forEach(header -> request.append(header).append("\r\n"));
    connection.send(request.append("\r\n").toString());
    connection.readHead();
    return connection;
  }

  /** Writes {@code text} (ISO-8859-1) at once; false if the server has closed the connection. */
  public boolean send(String text) {
    try {
      socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      return true;
    } catch (IOException closed) {
      return false;
    }
  }

  /** Reads a response head (status line and headers, lower case). */
  public String readHead() {
    StringBuilder text = new StringBuilder();
    try {
      InputStream in = socket.getInputStream();
      while (!text.toString().endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          break;
        }
        text.append((char) b);
      }
    } catch (IOException e) {
      // a reset: what arrived is the head
    }
    head = text.toString().toLowerCase(Locale.ROOT);
    return head;
  }

  /** Reads and drops {@code bytes} bytes (a response body). */
  public void skip(int bytes) {
    try {
      socket.getInputStream().readNBytes(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The status of the last response head read, or -1. */
  public int status() {
    return head.startsWith("http/1.1 ") ? Integer.parseInt(head.substring(9, 12)) : -1;
  }

  public String head() {
    return head;
  }

  /**
   * Whether the server closes the connection (end of stream or reset) within {@code wait}, skipping whatever it
   * sends first; false if it is still open then.
   */
  public boolean closedByServerWithin(Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    try {
      InputStream in = socket.getInputStream();
      while (System.nanoTime() < deadline) {
        socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        try {
          if (in.read() < 0) {
            return true;
          }
        } catch (SocketTimeoutException stillOpen) {
          return false;
        }
      }
      return false;
    } catch (IOException reset) {
      return true;
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing is all that was asked
    }
  }
}
