package loadtest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Many live sockets that only listen, on one thread: a minimal WebSocket client (RFC 6455) over a NIO selector. A
 * fan-out benchmark measures the server; a client that spent as much CPU per socket as the server would halve what the
 * benchmark can see on a shared machine, so this one keeps a few hundred bytes per socket and parses nothing but the
 * framing. It answers pings with pongs and close frames with close frames; it never sends data frames.
 */
final class WatcherSockets implements AutoCloseable {
  /** What happens on one socket; called on the selector's thread, so keep it short. */
  interface Listener {
    /** A text message arrived at {@code nanos} (System.nanoTime). */
    void onText(String text, long nanos);

    /** The socket ended: closed by either side, refused, or its upgrade failed ({@code reason}). */
    void onClosed(String reason);
  }

  /** One socket, to close it. */
  interface Socket {
    void close();
  }

  private static final byte[] HEAD_END = {'\r', '\n', '\r', '\n'};
  private static final int OP_CONTINUATION = 0;
  private static final int OP_TEXT = 1;
  private static final int OP_CLOSE = 8;
  private static final int OP_PING = 9;

  private final Selector selector;
  private final Queue<Connection> opening = new ConcurrentLinkedQueue<>();
  private final Queue<Connection> closing = new ConcurrentLinkedQueue<>();
  private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(256 * 1024);
  private final Thread thread;
  private volatile boolean running = true;

  WatcherSockets() {
    try {
      selector = Selector.open();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    thread = new Thread(this::run, "watcher-sockets");
    thread.setDaemon(true);
    thread.start();
  }

  /** Opens a socket to {@code uri} (ws://host:port/path?query) from {@code local} (null: any local address). */
  Socket open(URI uri, InetAddress local, Listener listener) {
    Connection connection = new Connection(uri, local, listener);
    opening.add(connection);
    selector.wakeup();
    return () -> {
      closing.add(connection);
      selector.wakeup();
    };
  }

  @Override
  public void close() {
    running = false;
    selector.wakeup();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    try {
      while (running) {
        selector.select(100);
        for (Connection connection; (connection = opening.poll()) != null; ) {
          connection.connect();
        }
        for (Connection connection; (connection = closing.poll()) != null; ) {
          connection.sayGoodbye();
        }
        var keys = selector.selectedKeys().iterator();
        while (keys.hasNext()) {
          SelectionKey key = keys.next();
          keys.remove();
          Connection connection = (Connection) key.attachment();
          try {
            if (key.isValid() && key.isConnectable()) {
              connection.connected();
            }
            if (key.isValid() && key.isWritable()) {
              connection.flush();
            }
            if (key.isValid() && key.isReadable()) {
              connection.read();
            }
          } catch (IOException | RuntimeException e) {
            connection.end(e.getClass().getSimpleName() + ": " + e.getMessage());
          }
        }
      }
      for (SelectionKey key : selector.keys()) {
        ((Connection) key.attachment()).end("client closed");
      }
      selector.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private final class Connection {
    private final URI uri;
    private final InetAddress local;
    private final Listener listener;
    private SocketChannel channel;
    private SelectionKey key;
    private ByteBuffer in = ByteBuffer.allocate(512);
    private final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
    private boolean upgraded;
    private boolean ended;
    private boolean goodbyeSent;
    /** A text message arriving in several frames. */
    private java.io.ByteArrayOutputStream fragments;

    Connection(URI uri, InetAddress local, Listener listener) {
      this.uri = uri;
      this.local = local;
      this.listener = listener;
    }

    void connect() {
      try {
        channel = SocketChannel.open();
        channel.configureBlocking(false);
        if (local != null) {
          channel.bind(new InetSocketAddress(local, 0));
        }
        boolean done = channel.connect(new InetSocketAddress(uri.getHost(), uri.getPort()));
        key = channel.register(selector, done ? SelectionKey.OP_READ : SelectionKey.OP_CONNECT, this);
        if (done) {
          sendUpgrade();
        }
      } catch (IOException e) {
        end("connect: " + e.getMessage());
      }
    }

    void connected() throws IOException {
      channel.finishConnect();
      key.interestOps(SelectionKey.OP_READ);
      sendUpgrade();
    }

    private void sendUpgrade() throws IOException {
      byte[] nonce = new byte[16];
      ThreadLocalRandom.current().nextBytes(nonce);
      String path = uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
      String request = "GET " + path + " HTTP/1.1\r\n"
          + "Host: " + uri.getHost() + ":" + uri.getPort() + "\r\n"
          + "Upgrade: websocket\r\n"
          + "Connection: Upgrade\r\n"
          + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(nonce) + "\r\n"
          + "Sec-WebSocket-Version: 13\r\n\r\n";
      send(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
    }

    void read() throws IOException {
      readBuffer.clear();
      int read = channel.read(readBuffer);
      if (read < 0) {
        end(upgraded ? "closed by the server" : "closed before the upgrade");
        return;
      }
      long now = System.nanoTime();
      readBuffer.flip();
      append(readBuffer);
      in.flip();
      if (!upgraded && !readHead()) {
        in.compact();
        return;
      }
      while (!ended && readFrame(now)) {
        // one frame per turn
      }
      if (!ended) {
        in.compact();
      }
    }

    private void append(ByteBuffer bytes) {
      if (in.remaining() < bytes.remaining()) {
        ByteBuffer larger = ByteBuffer.allocate(Math.max(in.capacity() * 2, in.position() + bytes.remaining()));
        in.flip();
        larger.put(in);
        in = larger;
      }
      in.put(bytes);
    }

    /** Consumes the upgrade response's head; false if it has not all arrived yet. */
    private boolean readHead() {
      int end = indexOf(in, HEAD_END);
      if (end < 0) {
        return false;
      }
      byte[] head = new byte[end];
      in.get(head);
      in.position(in.position() + HEAD_END.length);
      String statusLine = new String(head, StandardCharsets.US_ASCII).lines().findFirst().orElse("");
      if (!statusLine.contains(" 101 ")) {
        end("upgrade refused: " + statusLine);
        return false;
      }
      upgraded = true;
      return true;
    }

    /** Consumes one whole frame if there is one. */
    private boolean readFrame(long now) throws IOException {
      int start = in.position();
      if (in.remaining() < 2) {
        return false;
      }
      int first = in.get(start) & 0xff;
      int second = in.get(start + 1) & 0xff;
      int opcode = first & 0x0f;
      boolean fin = (first & 0x80) != 0;
      long length = second & 0x7f;
      int header = 2;
      if (length == 126) {
        if (in.remaining() < 4) {
          return false;
        }
        length = in.getShort(start + 2) & 0xffff;
        header = 4;
      } else if (length == 127) {
        if (in.remaining() < 10) {
          return false;
        }
        length = in.getLong(start + 2);
        header = 10;
      }
      int maskLength = (second & 0x80) != 0 ? 4 : 0;
      if (length > 16 * 1024 * 1024) {
        throw new IOException("frame of " + length + " bytes");
      }
      if (in.remaining() < header + maskLength + length) {
        return false;
      }
      byte[] payload = new byte[(int) length];
      in.position(start + header + maskLength);
      in.get(payload);
      if (maskLength > 0) {
        for (int i = 0; i < payload.length; i++) {
          payload[i] ^= in.get(start + header + (i & 3));
        }
      }
      switch (opcode) {
        case OP_TEXT, OP_CONTINUATION -> text(payload, fin, now);
        case OP_PING -> send(frame(0x8A, payload));
        case OP_CLOSE -> {
          if (!goodbyeSent) {
            send(frame(0x88, payload.length >= 2 ? new byte[] {payload[0], payload[1]} : new byte[0]));
          }
          end("closed by the server" + (payload.length >= 2 ? " (" + (((payload[0] & 0xff) << 8)
              | (payload[1] & 0xff)) + ")" : ""));
        }
        default -> { } // binary frames and pongs: a watcher has no use for them
      }
      return true;
    }

    private void text(byte[] payload, boolean fin, long now) {
      if (fin && fragments == null) {
        listener.onText(new String(payload, StandardCharsets.UTF_8), now);
        return;
      }
      if (fragments == null) {
        fragments = new java.io.ByteArrayOutputStream();
      }
      fragments.writeBytes(payload);
      if (fin) {
        listener.onText(fragments.toString(StandardCharsets.UTF_8), now);
        fragments = null;
      }
    }

    /** A client frame: always masked (RFC 6455 5.3). */
    private ByteBuffer frame(int firstByte, byte[] payload) {
      byte[] mask = new byte[4];
      ThreadLocalRandom.current().nextBytes(mask);
      ByteBuffer frame = ByteBuffer.allocate(2 + 4 + payload.length); // control frames carry at most 125 bytes
      frame.put((byte) firstByte).put((byte) (0x80 | payload.length)).put(mask);
      for (int i = 0; i < payload.length; i++) {
        frame.put((byte) (payload[i] ^ mask[i & 3]));
      }
      return frame.flip();
    }

    void sayGoodbye() {
      if (ended || channel == null) {
        return;
      }
      if (!upgraded) {
        end("closed by the client");
        return;
      }
      try {
        goodbyeSent = true;
        send(frame(0x88, new byte[] {0x03, (byte) 0xe8})); // 1000: normal closure; the server answers and closes
      } catch (IOException e) {
        end("close: " + e.getMessage());
      }
    }

    private void send(ByteBuffer bytes) throws IOException {
      if (out.isEmpty()) {
        channel.write(bytes);
        if (!bytes.hasRemaining()) {
          return;
        }
        key.interestOps(key.interestOps() | SelectionKey.OP_WRITE);
      }
      out.add(bytes);
    }

    void flush() throws IOException {
      while (!out.isEmpty()) {
        channel.write(out.peek());
        if (out.peek().hasRemaining()) {
          return;
        }
        out.poll();
      }
      key.interestOps(key.interestOps() & ~SelectionKey.OP_WRITE);
    }

    void end(String reason) {
      if (ended) {
        return;
      }
      ended = true;
      if (key != null) {
        key.cancel();
      }
      try {
        if (channel != null) {
          channel.close();
        }
      } catch (IOException ignored) {
        // closing anyway
      }
      listener.onClosed(reason);
    }
  }

  private static int indexOf(ByteBuffer buffer, byte[] pattern) {
    for (int i = buffer.position(); i <= buffer.limit() - pattern.length; i++) {
      boolean match = true;
      for (int j = 0; j < pattern.length && match; j++) {
        match = buffer.get(i + j) == pattern[j];
      }
      if (match) {
        return i - buffer.position();
      }
    }
    return -1;
  }
}
