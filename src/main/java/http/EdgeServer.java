package http;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import metrics.Metrics;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.TLSProtocol.SslTlsInbound;
import org.apache.pekko.stream.TLSProtocol.SslTlsOutbound;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.TLS;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server: its listening socket and every connection on it. Each connection runs Pekko HTTP's own server
 * layer (and TLS) over a byte-level stage of ours, so that one node-wide sweep (a single scheduled task, no timer per
 * connection) closes connections that leave a request head unfinished for {@code headTimeout} or carry no bytes for
 * {@code idleTimeout}, and each client address holds a bounded number of connections.
 *
 * <p>Why not Pekko's own: its idle timeout restarts with every byte, so a client trickling one header byte every few
 * seconds is never cut; and it runs a timer per connection that ticks every second, live sockets included (about 40%
 * of a core at 10,000 idle sockets on the 2-core development machine). With this server Pekko's per-connection idle
 * timer does not exist at all.
 */
public final class EdgeServer {
  private static final Logger log = LoggerFactory.getLogger(EdgeServer.class);

  /**
   * How connections are guarded (see {@code livepoll.http} in application.conf). {@code idleTimeout} empty: never.
   * {@code maxConnections}: open connections of the node that are not live sockets; more wait in the accept
   * backlog. {@code maxConnectionsPerAddress}: open connections of one TCP peer, live sockets included, except for
   * trusted proxies.
   */
  public record Settings(
      String host,
      int port,
      Duration headTimeout,
      Optional<Duration> idleTimeout,
      int maxConnections,
      int maxConnectionsPerAddress,
      ClientAddresses clientAddresses,
      Duration sweepInterval,
      Duration terminationDeadline) {}

  /** Why the server closed a connection. */
  enum Cut { REQUEST_HEAD_TIMEOUT, IDLE_TIMEOUT, SHUTDOWN }

  private final Settings settings;
  private final Optional<SSLContext> tls;
  private final ActorSystem<?> system;
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> perAddress = new ConcurrentHashMap<>();
  private final Tcp.ServerBinding binding;
  /**
   * Pekko HTTP's server layer over TLS (or none): one blueprint that every connection materializes, as Pekko's own
   * server does. Built per connection, each would keep its own copy of the layer's graph and of its primed header
   * parser (about 12 kB per live socket).
   */
  private final BidiFlow<HttpResponse, ByteString, ByteString, HttpRequest, NotUsed> httpLayer;

  private EdgeServer(Settings settings, Optional<SSLContext> tls, ActorSystem<?> system, Tcp.ServerBinding binding,
      ServerSettings serverSettings, LoggingAdapter httpLog) {
    this.settings = settings;
    this.tls = tls;
    this.system = system;
    this.binding = binding;
    this.httpLayer = serverLayer(serverSettings, httpLog).atop(tls());
  }

  /**
   * Serves {@code route} as {@code settings} say, once bound. Coordinated shutdown unbinds it, waits for the answers
   * in flight (up to the termination deadline) and then closes every connection; live sockets have said goodbye
   * before (see {@link LiveSocket}).
   */
  public static EdgeServer bind(ActorSystem<?> system, Settings settings, Optional<SSLContext> tls, Route route,
      Duration timeout) throws Exception {
    Holder holder = new Holder();
    Materializer materializer = Materializer.matFromSystem(system);
    // the Java settings object is the Scala one
    ServerSettings serverSettings = (ServerSettings)
        org.apache.pekko.http.javadsl.settings.ServerSettings.create(system.classicSystem());
    LoggingAdapter httpLog = system.classicSystem().log();
    Flow<HttpRequest, HttpResponse, NotUsed> handler =
        Metrics.instrumentHttpServer(route.flow(system), settings.host(), settings.port());
    Tcp.ServerBinding tcp = Tcp.get(system).bind(settings.host(), settings.port())
        .mapAsyncUnordered(settings.maxConnections(), incoming ->
            holder.server.thenCompose(server -> server.accept(incoming, handler, materializer)))
        .to(Sink.ignore())
        .run(materializer)
        .toCompletableFuture()
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    EdgeServer server = new EdgeServer(settings, tls, system, tcp, serverSettings, httpLog);
    holder.server.complete(server);
    server.guard();
    return server;
  }

  /** Connections accepted before {@link #bind} returned wait for the server to exist. */
  private static final class Holder {
    final CompletableFuture<EdgeServer> server = new CompletableFuture<>();
  }

  public InetSocketAddress localAddress() {
    return binding.localAddress();
  }

  /** Connections open now. */
  public int openConnections() {
    return open.size();
  }

  private void guard() {
    Cancellable sweep = system.classicSystem().scheduler().scheduleWithFixedDelay(settings.sweepInterval(),
        settings.sweepInterval(), this::sweep, system.executionContext());
    CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
    shutdown.addTask(CoordinatedShutdown.PhaseServiceUnbind(), "http-unbind", () -> {
      sweep.cancel();
      return binding.unbind().thenApply(unbound -> Done.getInstance());
    });
    shutdown.addTask(CoordinatedShutdown.PhaseServiceRequestsDone(), "http-requests-done", () -> {
      CompletableFuture<Done> done = new CompletableFuture<>();
      closeWhenAnswered(System.nanoTime() + settings.terminationDeadline().toNanos(), done);
      return done;
    });
  }

  /**
   * Handles one connection; completes when it no longer counts against {@code maxConnections}: when it closes or
   * becomes a live socket (as Pekko HTTP's own server counts them).
   */
  private CompletionStage<Done> accept(Tcp.IncomingConnection incoming,
      Flow<HttpRequest, HttpResponse, NotUsed> handler, Materializer materializer) {
    InetAddress peer = incoming.remoteAddress().getAddress();
    boolean exempt = settings.clientAddresses().isTrustedProxy(peer);
    String address = exempt ? null : peer.getHostAddress();
    if (address != null && !admit(address)) {
      Metrics.rateLimited("connections-per-address");
      log.debug("Refused a connection from {}: it holds {} already", address, settings.maxConnectionsPerAddress());
      incoming.handleWith(Flow.fromSinkAndSource(Sink.cancelled(), Source.empty()), materializer);
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    Connection connection = new Connection(address, RemoteAddress.create(incoming.remoteAddress()));
    open.add(connection);
    try {
      Flow<ByteString, ByteString, CompletionStage<Done>> stack = tracked(handler, connection)
          .joinMat(httpLayer.atop(bytes(connection), Keep.<NotUsed, UniqueKillSwitch>right()),
              Keep.<NotUsed, UniqueKillSwitch>right())
          .watchTermination((killSwitch, done) -> {
            connection.killSwitch = killSwitch;
            return done;
          });
      // on the thread that ends the connection (a Pekko future's whenComplete would start a thread on two cores)
      incoming.handleWith(stack, materializer)
          .whenCompleteAsync((ok, failure) -> closed(connection), Runnable::run);
    } catch (RuntimeException e) {
      log.warn("Could not handle a connection from {}", peer, e);
      closed(connection);
    }
    return connection.released;
  }

  /** Counts a connection of {@code address} if the address is under its cap. */
  private boolean admit(String address) {
    boolean[] admitted = {false};
    perAddress.compute(address, (key, count) -> {
      int now = count == null ? 0 : count;
      if (now >= settings.maxConnectionsPerAddress()) {
        return count;
      }
      admitted[0] = true;
      return now + 1;
    });
    return admitted[0];
  }

  private void closed(Connection connection) {
    if (open.remove(connection) && connection.address != null) {
      perAddress.computeIfPresent(connection.address, (key, count) -> count <= 1 ? null : count - 1);
    }
    connection.released.complete(Done.getInstance());
  }

  /** The one timer of all connections: cuts those past a deadline. */
  private void sweep() {
    long now = System.nanoTime();
    long head = settings.headTimeout().toNanos();
    long idle = settings.idleTimeout().map(Duration::toNanos).orElse(Long.MAX_VALUE);
    for (Connection connection : open) {
      long headSince = connection.headSince;
      if (headSince != 0 && now - headSince > head) {
        cut(connection, Cut.REQUEST_HEAD_TIMEOUT);
      } else if (now - connection.lastActivity > idle) {
        cut(connection, Cut.IDLE_TIMEOUT);
      }
    }
  }

  private void cut(Connection connection, Cut why) {
    UniqueKillSwitch killSwitch = connection.killSwitch;
    if (killSwitch != null) {
      log.debug("Closing a connection from {}: {}", connection.address, why);
      if (why == Cut.REQUEST_HEAD_TIMEOUT) {
        Metrics.rateLimited("request-head-timeout");
      }
      killSwitch.shutdown();
    }
  }

  /** Shutting down: once no connection waits for an answer, or at the deadline, closes them all. */
  private void closeWhenAnswered(long deadline, CompletableFuture<Done> done) {
    boolean answered = open.stream().noneMatch(connection -> connection.inFlight > 0);
    if (answered || System.nanoTime() > deadline) {
      open.forEach(connection -> cut(connection, Cut.SHUTDOWN));
      done.complete(Done.getInstance());
    } else {
      system.scheduler().scheduleOnce(Duration.ofMillis(50), () -> closeWhenAnswered(deadline, done),
          system.executionContext());
    }
  }

  /**
   * Marks the end of each request head (the request leaves the HTTP layer) and each answer; gives each request its
   * TCP peer's address (what Pekko's {@code remote-address-attribute} does, for a layer shared by all connections).
   */
  private static Flow<HttpRequest, HttpResponse, NotUsed> tracked(Flow<HttpRequest, HttpResponse, NotUsed> handler,
      Connection connection) {
    return Flow.<HttpRequest>create()
        .map(request -> {
          connection.headComplete();
          return request.addAttribute(AttributeKeys.remoteAddress, connection.peer);
        })
        .via(handler)
        .map(response -> {
          connection.answered(response);
          return response;
        });
  }

  /** The connection's bytes, as they cross the socket, and the switch that closes it. */
  private static BidiFlow<ByteString, ByteString, ByteString, ByteString, UniqueKillSwitch> bytes(
      Connection connection) {
    BidiFlow<ByteString, ByteString, ByteString, ByteString, NotUsed> seen = BidiFlow.fromFlows(
        Flow.<ByteString>create().map(out -> {
          connection.wrote();
          return out;
        }),
        Flow.<ByteString>create().map(in -> {
          connection.read();
          return in;
        }));
    return seen.atop(BidiFlow.fromGraph(KillSwitches.<ByteString, ByteString>singleBidi()),
        Keep.<NotUsed, UniqueKillSwitch>right());
  }

  /** Pekko HTTP's server layer, told whether it runs over TLS; each materialization serves one connection. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private BidiFlow<HttpResponse, SslTlsOutbound, SslTlsInbound, HttpRequest, NotUsed> serverLayer(
      ServerSettings serverSettings, LoggingAdapter httpLog) {
    var layer = ((org.apache.pekko.http.scaladsl.HttpExt) org.apache.pekko.http.scaladsl.Http.get(system.classicSystem()))
        .serverLayer(serverSettings, scala.Option.empty(), httpLog, tls.isPresent());
    // every Scala HttpRequest/HttpResponse is the Java one: the layer is used with the Java model types as they are
    return (BidiFlow) layer.asJava();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private BidiFlow<SslTlsOutbound, ByteString, ByteString, SslTlsInbound, NotUsed> tls() {
    if (tls.isEmpty()) {
      return (BidiFlow) TLSPlacebo.getInstance();
    }
    SSLContext context = tls.get();
    return TLS.create(() -> {
      SSLEngine engine = context.createSSLEngine();
      engine.setUseClientMode(false);
      return engine;
    }, TLSClosing.eagerClose());
  }

  /**
   * What the sweep needs of one connection. Written by the connection's own stream, read by the sweep: plain
   * volatile fields, the latest value is all either needs.
   */
  private static final class Connection {
    /** The TCP peer's address, counted against its cap; null for a trusted proxy. */
    final String address;
    /** The TCP peer, as each request's remote-address attribute carries it. */
    final RemoteAddress peer;
    /** Completes when the connection stops counting against {@code maxConnections}. */
    final CompletableFuture<Done> released = new CompletableFuture<>();
    volatile UniqueKillSwitch killSwitch;
    volatile long lastActivity = System.nanoTime();
    /** When the first byte of a request head arrived that the HTTP layer has not yet turned into a request; 0: none. */
    volatile long headSince;
    volatile int inFlight;
    volatile boolean upgraded;

    Connection(String address, RemoteAddress peer) {
      this.address = address;
      this.peer = peer;
    }

    void read() {
      long now = System.nanoTime();
      lastActivity = now;
      if (headSince == 0 && inFlight == 0 && !upgraded) {
        headSince = now;
      }
    }

    void wrote() {
      lastActivity = System.nanoTime();
    }

    void headComplete() {
      headSince = 0;
      inFlight++;
    }

    void answered(HttpResponse response) {
      inFlight--;
      if (response.status().equals(StatusCodes.SWITCHING_PROTOCOLS)) {
        // a live socket: frames are no request heads, and Pekko's max-connections never counted live sockets
        upgraded = true;
        released.complete(Done.getInstance());
      }
    }
  }
}
