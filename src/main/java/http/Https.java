package http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** TLS for the edge from a PKCS12 keystore (certificate chain and private key). */
public final class Https {
  private Https() {}

  public static SSLContext serverTls(Path keystore, String password) {
    char[] secret = password.toCharArray();
    try (InputStream in = Files.newInputStream(keystore)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, secret);
      KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, secret);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(keys.getKeyManagers(), null, null);
      return tls;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the HTTPS keystore " + keystore, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the HTTPS keystore " + keystore + " is unusable: " + e.getMessage(), e);
    }
  }
}
