package http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The live socket's WebSocket protocol, byte by byte: what a client sends (masked frames, in any split), what the
 * socket's flow receives, and what goes back on the wire. The stage runs in a real stream; the client's bytes are
 * built here as RFC 6455 lays them out, and the server's bytes are parsed back the same way.
 */
class WebSocketCodecTest {
  private static final int LIMIT = 64;
  private static final Duration CLOSE_TIMEOUT = Duration.ofMillis(300);
  private static ActorSystem system;
  private static Materializer materializer;

  @BeforeAll
  static void start() {
    system = ActorSystem.create("websocket-codec", ConfigFactory.parseString("pekko.actor.provider = local")
        .withFallback(ConfigFactory.defaultReference()));
    materializer = Materializer.matFromSystem(system);
  }

  @AfterAll
  static void stop() throws Exception {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void theAcceptKeyIsTheOneOfTheRfcsExample() {
    assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketCodec.acceptKey("dGhlIHNhbXBsZSBub25jZQ=="));
  }

  @Test
  void serverFramesUseTheShortestLengthFormAndCarryTheirBytesUnmasked() {
    for (int length : new int[] {0, 1, 125, 126, 65_535, 65_536, 100_000}) {
      byte[] payload = new byte[length];
      new Random(length).nextBytes(payload);
      List<Frame> frames = serverFrames(WebSocketCodec.text(payload));
      assertEquals(1, frames.size());
      assertEquals(0x1, frames.get(0).opcode);
      assertArrayEquals(payload, frames.get(0).payload, "length " + length);
      int header = WebSocketCodec.text(payload).size() - length;
      assertEquals(length < 126 ? 2 : length < 65_536 ? 4 : 10, header, "header of length " + length);
    }
  }

  @Test
  void aMessageArrivingOneByteAtATimeReachesTheSocketWholeAndItsAnswerGoesBack() throws Exception {
    ByteString bytes = concat(client(true, 0x1, utf8("{\"type\":\"ballot\",\"choices\":[0]}")), clientClose(1000));
    List<Frame> out = run(oneByteChunks(bytes), echo());
    assertEquals(List.of("echo:{\"type\":\"ballot\",\"choices\":[0]}"), texts(out));
    assertClose(1000, out);
  }

  @Test
  void fragmentsMakeOneMessageAndAPingBetweenThemIsAnsweredWithItsPayload() throws Exception {
    ByteString bytes = concat(client(false, 0x1, utf8("hé")), client(true, 0x9, utf8("are you there")),
        client(false, 0x0, utf8("ll")), client(true, 0x0, utf8("o")), clientClose(1000));
    List<Frame> out = run(List.of(bytes), echo());
    assertEquals(0xA, out.get(0).opcode, "the pong comes first: the message is not whole yet");
    assertEquals("are you there", new String(out.get(0).payload, StandardCharsets.UTF_8));
    assertEquals(List.of("echo:héllo"), texts(out));
    assertClose(1000, out);
  }

  @Test
  void aMessageOverTheLimitArrivesAsTooLongAndTheNextOneIsReadAsUsual() throws Exception {
    ByteString bytes = concat(client(false, 0x1, new byte[LIMIT - 1]), client(true, 0x0, new byte[2]),
        client(true, 0x1, utf8("next")), client(true, 0x2, new byte[] {1, 2, 3}), clientClose(1000));
    List<Frame> out = run(List.of(bytes), echo());
    assertEquals(List.of("too-long", "echo:next", "binary"), texts(out));
    assertClose(1000, out);
  }

  @Test
  void aMessageOfExactlyTheLimitIsWhole() throws Exception {
    byte[] exactly = new byte[LIMIT];
    Arrays.fill(exactly, (byte) 'a');
    List<Frame> out = run(List.of(concat(client(true, 0x1, exactly), clientClose(1000))), echo());
    assertEquals(List.of("echo:" + "a".repeat(LIMIT)), texts(out));
  }

  @Test
  void theClientsCloseIsEchoedWithItsCodeAndEndsTheSocketsInput() throws Exception {
    CompletableFuture<Boolean> inputEnded = new CompletableFuture<>();
    Flow<WebSocketCodec.ClientMessage, ByteString, NotUsed> socket = Flow.fromSinkAndSource(
        Sink.<WebSocketCodec.ClientMessage>ignore().mapMaterializedValue(done -> {
          done.whenComplete((ok, failure) -> inputEnded.complete(failure == null));
          return NotUsed.getInstance();
        }),
        Source.<ByteString>maybe().mapMaterializedValue(promise -> NotUsed.getInstance()));
    List<Frame> out = run(List.of(clientClose(4001)), socket);
    assertClose(4001, out);
    assertTrue(inputEnded.get(5, TimeUnit.SECONDS));
  }

  @Test
  void whenTheSocketEndsItsLastFrameIsFollowedByACloseAndTheClientsAnswerClosesTheConnection() throws Exception {
    Flow<WebSocketCodec.ClientMessage, ByteString, NotUsed> bye =
        Flow.fromSinkAndSource(Sink.ignore(), Source.single(WebSocketCodec.text(utf8("bye"))));
    long started = System.nanoTime();
    // the client answers the close at once, then keeps the connection open: the server closes it
    List<Frame> out = run(List.of(clientClose(1000)), bye, true);
    assertEquals(List.of("bye"), texts(out));
    assertClose(1000, out);
    assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(CLOSE_TIMEOUT) < 0,
        "closed on the client's answer, not at the close timeout");
  }

  @Test
  void messagesToASocketThatNoLongerReadsAreDroppedAndItsCloseStillEnds() throws Exception {
    // a socket that stopped taking messages (e.g. after its goodbye) while its client still sends some
    Flow<WebSocketCodec.ClientMessage, ByteString, NotUsed> deaf =
        Flow.fromSinkAndSource(Sink.cancelled(), Source.single(WebSocketCodec.text(utf8("bye"))));
    // the client's bytes come once the socket has stopped reading
    Source<ByteString, NotUsed> late =
        Source.single(concat(client(true, 0x1, utf8("still talking")), clientClose(1000)))
            .initialDelay(Duration.ofMillis(200))
            .concat(Source.<ByteString>maybe().mapMaterializedValue(promise -> NotUsed.getInstance()));
    List<Frame> out = run(late, deaf);
    assertEquals(List.of("bye"), texts(out));
    assertClose(1000, out);
  }

  @Test
  void aClientThatNeverAnswersTheCloseIsCutAtTheCloseTimeout() throws Exception {
    Flow<WebSocketCodec.ClientMessage, ByteString, NotUsed> bye =
        Flow.fromSinkAndSource(Sink.ignore(), Source.single(WebSocketCodec.text(utf8("bye"))));
    long started = System.nanoTime();
    List<Frame> out = run(List.of(client(true, 0x1, utf8("still talking"))), bye, true);
    assertEquals(List.of("bye"), texts(out));
    assertClose(1000, out);
    assertTrue(Duration.ofNanos(System.nanoTime() - started).compareTo(CLOSE_TIMEOUT) >= 0,
        "waited for the client's close until the timeout");
  }

  @Test
  void protocolViolationsCloseTheConnectionWith1002() throws Exception {
    byte[] ok = utf8("x");
    List<ByteString> violations = List.of(
        unmasked(0x1, ok),
        withFirstByte(client(true, 0x1, ok), 0x80 | 0x40 | 0x1),
        client(true, 0x0, ok),
        concat(client(false, 0x1, ok), client(true, 0x1, ok)),
        client(true, 0x3, ok),
        client(true, 0x9, new byte[126]),
        client(false, 0x9, ok),
        client(true, 0x8, new byte[] {3}),
        client(true, 0x8, new byte[] {0x03, (byte) 0xEC}));
    for (ByteString violation : violations) {
      List<Frame> out = run(List.of(violation), echo(), true);
      assertEquals(List.of(), texts(out));
      assertClose(1002, out);
    }
  }

  @Test
  void textThatIsNotUtf8ClosesTheConnectionWith1007() throws Exception {
    List<Frame> out = run(List.of(client(true, 0x1, new byte[] {(byte) 0xC3, (byte) 0x28})), echo(), true);
    assertEquals(List.of(), texts(out));
    assertClose(1007, out);
  }

  // --- the socket, the client and the wire ---

  /** Answers each message with a text frame naming it. */
  private static Flow<WebSocketCodec.ClientMessage, ByteString, NotUsed> echo() {
    return Flow.<WebSocketCodec.ClientMessage>create().map(message -> WebSocketCodec.text(utf8(
        message instanceof WebSocketCodec.Text text ? "echo:" + text.text()
            : message instanceof WebSocketCodec.TooLong ? "too-long" : "binary")));
  }

  private static List<Frame> run(List<ByteString> fromClient, Flow<WebSocketCodec.ClientMessage, ByteString, NotUsed>
      socket) throws Exception {
    return run(fromClient, socket, false);
  }

  /**
   * What the server sends until it closes the connection, the client sending {@code fromClient}; with
   * {@code staysOpen} the client's side then stays open (else it ends, as a closed TCP connection's does).
   */
  private static List<Frame> run(List<ByteString> fromClient, Flow<WebSocketCodec.ClientMessage, ByteString, NotUsed>
      socket, boolean staysOpen) throws Exception {
    Source<ByteString, NotUsed> client = Source.from(fromClient);
    if (staysOpen) {
      client = client.concat(Source.<ByteString>maybe().mapMaterializedValue(promise -> NotUsed.getInstance()));
    } else {
      // a client that closes its connection right after its last bytes must not stop what is due first
      client = client.concat(Source.<ByteString>maybe().mapMaterializedValue(promise -> NotUsed.getInstance())
          .takeWithin(Duration.ofMillis(200)));
    }
    return run(client, socket);
  }

  /** What the server sends until it closes the connection, the client sending {@code client}'s bytes. */
  private static List<Frame> run(Source<ByteString, NotUsed> client,
      Flow<WebSocketCodec.ClientMessage, ByteString, NotUsed> socket) throws Exception {
    List<ByteString> sent = client
        .via(BidiFlow.fromGraph(new WebSocketCodec(LIMIT, CLOSE_TIMEOUT)).join(socket))
        .runWith(Sink.seq(), materializer)
        .toCompletableFuture()
        .get(10, TimeUnit.SECONDS);
    return serverFrames(sent.stream().reduce(ByteString.emptyByteString(), ByteString::concat));
  }

  private record Frame(int opcode, byte[] payload) {}

  private static List<Frame> serverFrames(ByteString bytes) {
    byte[] all = bytes.toArrayUnsafe();
    List<Frame> frames = new ArrayList<>();
    int at = 0;
    while (at < all.length) {
      assertEquals(0x80, all[at] & 0xF0, "a server frame is final and has no reserved bits");
      int opcode = all[at] & 0x0F;
      assertEquals(0, all[at + 1] & 0x80, "a server frame is not masked");
      long length = all[at + 1] & 0x7F;
      at += 2;
      if (length == 126) {
        length = ((all[at] & 0xFF) << 8) | (all[at + 1] & 0xFF);
        at += 2;
      } else if (length == 127) {
        length = 0;
        for (int i = 0; i < 8; i++) {
          length = (length << 8) | (all[at + i] & 0xFF);
        }
        at += 8;
      }
      frames.add(new Frame(opcode, Arrays.copyOfRange(all, at, at + (int) length)));
      at += (int) length;
    }
    return frames;
  }

  private static List<String> texts(List<Frame> frames) {
    return frames.stream().filter(frame -> frame.opcode == 0x1)
        .map(frame -> new String(frame.payload, StandardCharsets.UTF_8)).toList();
  }

  /** The last frame is a close with {@code code}, and nothing came after it. */
  private static void assertClose(int code, List<Frame> frames) {
    Frame last = frames.get(frames.size() - 1);
    assertEquals(0x8, last.opcode, "the last frame is a close");
    assertEquals(code, ((last.payload[0] & 0xFF) << 8) | (last.payload[1] & 0xFF));
    assertEquals(1, frames.stream().filter(frame -> frame.opcode == 0x8).count(), "one close frame");
  }

  private static ByteString client(boolean fin, int opcode, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write((fin ? 0x80 : 0) | opcode);
    int length = payload.length;
    if (length < 126) {
      out.write(0x80 | length);
    } else if (length < 65_536) {
      out.write(0x80 | 126);
      out.write(length >> 8);
      out.write(length);
    } else {
      out.write(0x80 | 127);
      for (int i = 7; i >= 0; i--) {
        out.write((int) ((long) length >> (8 * i)));
      }
    }
    byte[] mask = {0x37, (byte) 0xFA, 0x21, 0x3D};
    out.writeBytes(mask);
    for (int i = 0; i < length; i++) {
      out.write(payload[i] ^ mask[i % 4]);
    }
    return ByteString.fromArray(out.toByteArray());
  }

  private static ByteString clientClose(int code) {
    return client(true, 0x8, new byte[] {(byte) (code >> 8), (byte) code});
  }

  private static ByteString unmasked(int opcode, byte[] payload) {
    byte[] frame = new byte[2 + payload.length];
    frame[0] = (byte) (0x80 | opcode);
    frame[1] = (byte) payload.length;
    System.arraycopy(payload, 0, frame, 2, payload.length);
    return ByteString.fromArray(frame);
  }

  private static ByteString withFirstByte(ByteString frame, int first) {
    byte[] bytes = frame.toArray();
    bytes[0] = (byte) first;
    return ByteString.fromArray(bytes);
  }

  private static ByteString concat(ByteString... parts) {
    ByteString all = ByteString.emptyByteString();
    for (ByteString part : parts) {
      all = all.concat(part);
    }
    return all;
  }

  private static List<ByteString> oneByteChunks(ByteString bytes) {
    List<ByteString> chunks = new ArrayList<>();
    for (int i = 0; i < bytes.size(); i++) {
      chunks.add(bytes.slice(i, i + 1));
    }
    return chunks;
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
