package http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.apache.pekko.http.impl.engine.server.UpgradeToOtherProtocolResponseHeader;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Connection;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * The WebSocket protocol (RFC 6455) of a live socket, as one stage per socket between the connection's bytes and the
 * socket's own flow: it reads the client's masked frames into whole messages, answers pings, does the closing
 * handshake, and sends the socket's frames as they come, already encoded.
 *
 * <p>Why not Pekko HTTP's: its WebSocket layer runs about twenty stages per socket, encodes every outgoing message
 * again for each socket, and merges a timer that ticks every three seconds into every socket for the whole of its
 * life (for its closing handshake's timeout). Here a frame is encoded once per node ({@link #text}) and the same
 * bytes go to every socket that sends it; a socket holds no timer until it closes, and then one that fires once.
 *
 * <p>The handshake itself is Pekko's: its request parser validates the upgrade request (a request to a live path
 * that is no WebSocket upgrade is rejected as Pekko's own directive rejects it), and {@link #accept} answers it.
 */
final class WebSocketCodec
    extends GraphStage<BidiShape<ByteString, WebSocketCodec.ClientMessage, ByteString, ByteString>> {

  /** A whole message from the client, as the socket's flow receives it. */
  sealed interface ClientMessage {}

  /** A text message within the size limit, valid UTF-8. */
  record Text(String text) implements ClientMessage {}

  /** A binary message; its bytes are not kept. */
  record Binary() implements ClientMessage {}

  /** A message over the size limit; its bytes are not kept beyond the limit. */
  record TooLong() implements ClientMessage {}

  /** Close codes (RFC 6455, section 7.4.1). */
  static final int NORMAL = 1000;
  static final int PROTOCOL_ERROR = 1002;
  static final int INVALID_TEXT = 1007;

  private static final int CONTINUATION = 0x0;
  private static final int TEXT = 0x1;
  private static final int BINARY = 0x2;
  private static final int CLOSE = 0x8;
  private static final int PING = 0x9;
  private static final int PONG = 0xA;
  private static final String ACCEPT_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

  private final Inlet<ByteString> fromClient = Inlet.create("WebSocketCodec.fromClient");
  private final Outlet<ClientMessage> toSocket = Outlet.create("WebSocketCodec.toSocket");
  private final Inlet<ByteString> fromSocket = Inlet.create("WebSocketCodec.fromSocket");
  private final Outlet<ByteString> toClient = Outlet.create("WebSocketCodec.toClient");
  private final BidiShape<ByteString, ClientMessage, ByteString, ByteString> shape =
      BidiShape.of(fromClient, toSocket, fromSocket, toClient);
  private final int maxMessageBytes;
  private final Duration closeTimeout;

  /**
   * Messages over {@code maxMessageBytes} arrive as {@link TooLong}; after the server's close frame the client has
   * {@code closeTimeout} to answer with its own before the connection is closed anyway.
   */
  WebSocketCodec(int maxMessageBytes, Duration closeTimeout) {
    this.maxMessageBytes = maxMessageBytes;
    this.closeTimeout = closeTimeout;
  }

  /**
   * The answer to a WebSocket upgrade {@code request} (one Pekko's parser has validated): 101, and {@code socket}
   * joined to this protocol over the connection's bytes. {@code socket} completes to close the socket normally
   * (1000, after its last frame); its input completes when the client closes.
   */
  static HttpResponse accept(HttpRequest request, Flow<ClientMessage, ByteString, ?> socket, int maxMessageBytes,
      Duration closeTimeout) {
    String key = request.getHeader("Sec-WebSocket-Key").map(HttpHeader::value)
        .orElseThrow(() -> new IllegalArgumentException("not a WebSocket upgrade request"));
    Flow<ByteString, ByteString, Object> bytes = BidiFlow.fromGraph(new WebSocketCodec(maxMessageBytes, closeTimeout))
        .join(socket).mapMaterializedValue(unused -> unused);
    return HttpResponse.create().withStatus(StatusCodes.SWITCHING_PROTOCOLS).addHeaders(List.of(
        RawHeader.create("Upgrade", "websocket"),
        Connection.create("Upgrade"),
        RawHeader.create("Sec-WebSocket-Accept", acceptKey(key)),
        // Pekko HTTP's own way to hand a connection's bytes over to another protocol (internal to Pekko HTTP)
        UpgradeToOtherProtocolResponseHeader.apply(bytes.asScala())));
  }

  /** Sec-WebSocket-Accept for {@code key}: base64 of the SHA-1 of the key and the protocol's GUID. */
  static String acceptKey(String key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1")
          .digest((key.trim() + ACCEPT_GUID).getBytes(StandardCharsets.US_ASCII));
      return Base64.getEncoder().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-1", e);
    }
  }

  /** A server's text frame carrying {@code utf8}, whole: the same bytes for every socket that sends it. */
  static ByteString text(byte[] utf8) {
    return frame(TEXT, utf8);
  }

  /** A close frame with {@code code} and no reason. */
  static ByteString close(int code) {
    return frame(CLOSE, new byte[] {(byte) (code >> 8), (byte) code});
  }

  /** A final, unmasked frame (servers do not mask). */
  private static ByteString frame(int opcode, byte[] payload) {
    int length = payload.length;
    int header = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10;
    byte[] bytes = new byte[header + length];
    bytes[0] = (byte) (0x80 | opcode);
    if (length < 126) {
      bytes[1] = (byte) length;
    } else if (length <= 0xFFFF) {
      bytes[1] = 126;
      bytes[2] = (byte) (length >> 8);
      bytes[3] = (byte) length;
    } else {
      bytes[1] = 127;
      for (int i = 0; i < 8; i++) {
        bytes[2 + i] = (byte) ((long) length >> (56 - 8 * i));
      }
    }
    System.arraycopy(payload, 0, bytes, header, length);
    return ByteString.fromArrayUnsafe(bytes);
  }

  @Override
  public BidiShape<ByteString, ClientMessage, ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new Logic();
  }

  /** The client broke the protocol: the connection is failed with {@code code}. */
  private static final class ProtocolViolation extends Exception {
    final int code;

    ProtocolViolation(int code, String why) {
      super(why, null, false, false);
      this.code = code;
    }
  }

  private final class Logic extends TimerGraphStageLogic {
    /** Bytes received and not yet parsed: less than one frame header, or a control frame not yet whole. */
    private ByteString unread = ByteString.emptyByteString();
    /** Payload bytes of the current data frame still to come; -1: between frames. */
    private long frameLeft = -1;
    private boolean frameFinal;
    private int mask;
    private int maskOffset;
    /** The message being read: its opcode (0: none), its bytes (null while empty, or for binary or over-long ones). */
    private int messageOpcode;
    private byte[] message;
    private int messageLength;
    private boolean messageTooLong;
    /** A whole message the socket has not taken yet; while there is one, nothing more is read. */
    private ClientMessage ready;
    /** The socket no longer takes messages (it ended or stopped reading them): they are read and dropped. */
    private boolean socketDeaf;
    /** To send: the answer to the latest ping, a frame of the socket's that came while the client was not ready. */
    private ByteString pong;
    private ByteString held;
    /** The close frame to send once everything before it is sent, and whether one has been sent. */
    private ByteString closing;
    private boolean closeSent;
    /** The client's close frame has arrived, or the connection is failed: close at once once ours is sent. */
    private boolean closeAtOnce;

    Logic() {
      super(shape);
      setHandler(fromClient, new AbstractInHandler() {
        @Override
        public void onPush() {
          unread = unread.concat(grab(fromClient));
          readFrames();
        }

        @Override
        public void onUpstreamFinish() {
          // the client's side of the connection ended without a close handshake (or after it)
          completeStage();
        }
      });
      setHandler(toSocket, new AbstractOutHandler() {
        @Override
        public void onPull() {
          deliver();
          // what arrived after that message may hold more
          readFrames();
        }

        @Override
        public void onDownstreamFinish(Throwable cause) {
          socketDeaf = true;
          ready = null;
          readFrames();
        }
      });
      setHandler(fromSocket, new AbstractInHandler() {
        @Override
        public void onPush() {
          ByteString frame = grab(fromSocket);
          if (isAvailable(toClient)) {
            push(toClient, frame);
          } else {
            held = frame;
          }
        }

        @Override
        public void onUpstreamFinish() {
          // the socket ended: close normally, after whatever it sent last
          startClosing(close(NORMAL), false);
        }

        @Override
        public void onUpstreamFailure(Throwable failure) {
          // e.g. a reader cut off for reading nothing: it would not read a close frame either
          failStage(failure);
        }
      });
      setHandler(toClient, new AbstractOutHandler() {
        @Override
        public void onPull() {
          send();
        }
      });
    }

    @Override
    public void preStart() {
      pull(fromClient);
      pull(fromSocket);
    }

    /** Sends the next thing due: a pong first, then the socket's frame, then the close frame last. */
    private void send() {
      if (pong != null) {
        push(toClient, pong);
        pong = null;
      } else if (held != null) {
        push(toClient, held);
        held = null;
        if (!isClosed(fromSocket)) {
          pull(fromSocket);
        }
      } else if (closing != null && !closeSent) {
        push(toClient, closing);
        closeSent = true;
        if (closeAtOnce) {
          completeStage();
        } else {
          scheduleOnce("close-timeout", closeTimeout);
        }
      } else if (!closeSent && !isClosed(fromSocket) && !hasBeenPulled(fromSocket)) {
        pull(fromSocket);
      }
    }

    /** Queues {@code frame} as the last one; {@code atOnce}: close the connection as soon as it is sent. */
    private void startClosing(ByteString frame, boolean atOnce) {
      closeAtOnce |= atOnce;
      if (closeSent) {
        if (closeAtOnce) {
          completeStage();
        }
        return;
      }
      if (closing == null) {
        closing = frame;
      }
      if (!isClosed(fromSocket)) {
        cancel(fromSocket);
      }
      if (!isClosed(toSocket)) {
        complete(toSocket);
      }
      socketDeaf = true;
      ready = null;
      if (isAvailable(toClient)) {
        send();
      }
    }

    @Override
    public void onTimer(Object key) {
      // the client did not answer the close frame in time
      completeStage();
    }

    /** Reads whole frames from what has arrived while the socket can take a message; then asks for more bytes. */
    private void readFrames() {
      try {
        while (ready == null && !isClosed(fromClient) && readFrame()) {
          // one frame (or part of a data frame) read
        }
      } catch (ProtocolViolation violation) {
        unread = ByteString.emptyByteString();
        startClosing(close(violation.code), true);
        if (!isClosed(fromClient)) {
          cancel(fromClient);
        }
        return;
      }
      deliver();
      if (ready == null && !isClosed(fromClient) && !hasBeenPulled(fromClient)) {
        pull(fromClient);
      }
    }

    /** Hands the whole message that waits, if any, to the socket if it can take it. */
    private void deliver() {
      if (ready != null && isAvailable(toSocket)) {
        ClientMessage message = ready;
        ready = null;
        push(toSocket, message);
      }
    }

    /** Reads one frame's header, control frame or data; false if what has arrived is not enough. */
    private boolean readFrame() throws ProtocolViolation {
      if (frameLeft >= 0) {
        return readData();
      }
      int available = unread.size();
      if (available < 2) {
        return false;
      }
      int first = unread.apply(0) & 0xFF;
      int second = unread.apply(1) & 0xFF;
      if ((first & 0x70) != 0) {
        throw new ProtocolViolation(PROTOCOL_ERROR, "reserved bits set");
      }
      if ((second & 0x80) == 0) {
        throw new ProtocolViolation(PROTOCOL_ERROR, "a client's frames must be masked");
      }
      int lengthBits = second & 0x7F;
      int header = 2 + (lengthBits == 126 ? 2 : lengthBits == 127 ? 8 : 0) + 4;
      if (available < header) {
        return false;
      }
      long length = lengthBits;
      if (lengthBits == 126) {
        length = ((unread.apply(2) & 0xFF) << 8) | (unread.apply(3) & 0xFF);
      } else if (lengthBits == 127) {
        length = 0;
        for (int i = 2; i < 10; i++) {
          length = (length << 8) | (unread.apply(i) & 0xFF);
        }
        if (length < 0) {
          throw new ProtocolViolation(PROTOCOL_ERROR, "frame length out of range");
        }
      }
      boolean fin = (first & 0x80) != 0;
      int opcode = first & 0x0F;
      int maskKey = ((unread.apply(header - 4) & 0xFF) << 24) | ((unread.apply(header - 3) & 0xFF) << 16)
          | ((unread.apply(header - 2) & 0xFF) << 8) | (unread.apply(header - 1) & 0xFF);
      if (opcode >= CLOSE) {
        if (opcode > PONG) {
          throw new ProtocolViolation(PROTOCOL_ERROR, "unknown opcode " + opcode);
        }
        if (!fin || length > 125) {
          throw new ProtocolViolation(PROTOCOL_ERROR, "control frames are final and at most 125 bytes");
        }
        if (available < header + length) {
          return false;
        }
        // a copy: unmasking must not touch the received bytes
        byte[] payload = unmask(unread.slice(header, header + (int) length).toArrayUnsafe().clone(), maskKey, 0);
        unread = unread.drop(header + (int) length);
        control(opcode, payload);
        return true;
      }
      if (opcode == CONTINUATION ? messageOpcode == 0 : messageOpcode != 0) {
        throw new ProtocolViolation(PROTOCOL_ERROR, "fragments out of order");
      }
      if (opcode != CONTINUATION && opcode != TEXT && opcode != BINARY) {
        throw new ProtocolViolation(PROTOCOL_ERROR, "unknown opcode " + opcode);
      }
      if (opcode != CONTINUATION) {
        messageOpcode = opcode;
        messageLength = 0;
        messageTooLong = false;
        message = null;
      }
      unread = unread.drop(header);
      frameLeft = length;
      frameFinal = fin;
      mask = maskKey;
      maskOffset = 0;
      return readData();
    }

    /** Reads what has arrived of the current data frame; at its end, the message if the frame was its last. */
    private boolean readData() throws ProtocolViolation {
      int take = (int) Math.min(frameLeft, unread.size());
      if (take == 0 && frameLeft > 0) {
        return false;
      }
      if (take > 0) {
        if (messageOpcode == TEXT && !messageTooLong && !socketDeaf) {
          if (messageLength + take > maxMessageBytes) {
            messageTooLong = true;
            message = null;
          } else {
            if (message == null || message.length < messageLength + take) {
              byte[] grown = new byte[Math.min(maxMessageBytes, Math.max(256, 2 * (messageLength + take)))];
              if (message != null) {
                System.arraycopy(message, 0, grown, 0, messageLength);
              }
              message = grown;
            }
            unread.slice(0, take).copyToBuffer(ByteBuffer.wrap(message, messageLength, take));
            unmask(message, mask, maskOffset, messageLength, take);
          }
        }
        messageLength = (int) Math.min(Integer.MAX_VALUE, (long) messageLength + take);
        maskOffset += take;
        unread = unread.drop(take);
        frameLeft -= take;
      }
      if (frameLeft > 0) {
        return false;
      }
      frameLeft = -1;
      if (frameFinal) {
        endMessage();
      }
      return true;
    }

    private void endMessage() throws ProtocolViolation {
      ClientMessage whole;
      if (messageOpcode == BINARY) {
        whole = new Binary();
      } else if (messageTooLong) {
        whole = new TooLong();
      } else {
        whole = new Text(message == null ? "" : decode(message, 0, messageLength));
      }
      messageOpcode = 0;
      message = null;
      messageLength = 0;
      if (!socketDeaf) {
        ready = whole;
      }
    }

    private void control(int opcode, byte[] payload) throws ProtocolViolation {
      if (opcode == PING) {
        if (!closeSent && closing == null) {
          // only the latest ping needs an answer (RFC 6455, 5.5.3)
          pong = frame(PONG, payload);
          if (isAvailable(toClient)) {
            send();
          }
        }
      } else if (opcode == CLOSE) {
        if (payload.length == 1) {
          throw new ProtocolViolation(PROTOCOL_ERROR, "a close frame's code has two bytes");
        }
        int code = NORMAL;
        if (payload.length >= 2) {
          code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
          if (!validCloseCode(code)) {
            throw new ProtocolViolation(PROTOCOL_ERROR, "close code " + code);
          }
          // its reason, if any, must be UTF-8 too
          decode(payload, 2, payload.length - 2);
        }
        unread = ByteString.emptyByteString();
        if (!isClosed(fromClient)) {
          cancel(fromClient);
        }
        // the client closes: echo its code, and close the connection once that is sent
        startClosing(payload.length >= 2 ? close(code) : frame(CLOSE, new byte[0]), true);
      }
      // a pong needs nothing
    }

    /** XORs {@code length} bytes of {@code bytes} from {@code from} with the mask, at {@code offset} into the frame. */
    private static void unmask(byte[] bytes, int mask, int offset, int from, int length) {
      for (int i = 0; i < length; i++) {
        int shift = 24 - 8 * ((offset + i) & 3);
        bytes[from + i] ^= (byte) (mask >> shift);
      }
    }

    private static byte[] unmask(byte[] bytes, int mask, int offset) {
      unmask(bytes, mask, offset, 0, bytes.length);
      return bytes;
    }

    private static String decode(byte[] bytes, int offset, int length) throws ProtocolViolation {
      try {
        return StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes, offset, length))
            .toString();
      } catch (CharacterCodingException e) {
        throw new ProtocolViolation(INVALID_TEXT, "text that is not UTF-8");
      }
    }

    /** Codes a client may send (RFC 6455, 7.4): 1000-1003, 1007-1011, and those of applications (3000-4999). */
    private static boolean validCloseCode(int code) {
      return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
    }
  }
}
