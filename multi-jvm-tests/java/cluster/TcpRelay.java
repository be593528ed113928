package cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Accepts TCP connections on one address and relays each to a target: the local Cassandra node listens on loopback
 * only, and a node in another network namespace reaches it through this relay on the namespace's link.
 */
final class TcpRelay implements AutoCloseable {
  private final ServerSocket server;
  private final InetSocketAddress target;
  private final List<Socket> open = new CopyOnWriteArrayList<>();

  TcpRelay(String bindHost, InetSocketAddress target) throws IOException {
    this.server = new ServerSocket(0, 50, InetAddress.getByName(bindHost));
    this.target = target;
    Thread acceptor = new Thread(this::accept, "relay-" + port());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return server.getLocalPort();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        open.add(client);
        try {
          Socket upstream = new Socket(target.getAddress(), target.getPort());
          open.add(upstream);
          pump(client, upstream);
          pump(upstream, client);
        } catch (IOException refused) {
          // the target refused: the client sees its connection closed
          closeQuietly(client);
        }
      } catch (IOException closed) {
        // the relay was closed
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
          out.write(buffer, 0, read);
          out.flush();
        }
      } catch (IOException ended) {
        // one side closed
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "relay-pump");
    thread.setDaemon(true);
    thread.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    open.forEach(TcpRelay::closeQuietly);
  }
}
