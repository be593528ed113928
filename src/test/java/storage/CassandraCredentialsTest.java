package storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CassandraCredentialsTest {
  @TempDir Path dir;

  @Test
  void theLocalNodesLoginIsGeneratedOnceIntoAnOwnerOnlyDirectory() throws Exception {
    Path node = dir.resolve("data/cassandra");
    CassandraCredentials first = CassandraCredentials.ofLocalNode(node);
    assertEquals(CassandraCredentials.LOCAL_ROLE, first.username());
    assertTrue(first.password().length() >= 32, "a long random password");
    assertEquals(first, CassandraCredentials.ofLocalNode(node), "generated once, then read back");
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(node)));
    assertEquals("rw-------", PosixFilePermissions.toString(
        Files.getPosixFilePermissions(node.resolve(CassandraCredentials.FILE))));
    assertFalse(first.toString().contains(first.password()), "never logged");
    assertNotEquals(first, CassandraCredentials.ofLocalNode(dir.resolve("other")), "each node its own");
  }

  @Test
  void anExistingDirectoryIsMadeOwnerOnly() throws Exception {
    Path node = Files.createDirectories(dir.resolve("open"));
    Files.setPosixFilePermissions(node, PosixFilePermissions.fromString("rwxr-xr-x"));
    CassandraCredentials.ofLocalNode(node);
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(node)));
  }

  @Test
  void aServerUsesTheConfiguredLoginElseTheLocalNodesElseNone() {
    Path node = dir.resolve("cassandra");
    assertEquals(Optional.empty(), CassandraCredentials.resolve("", "", node), "no node ever ran here");
    CassandraCredentials generated = CassandraCredentials.ofLocalNode(node);
    assertEquals(Optional.of(generated), CassandraCredentials.resolve("", "", node));
    assertEquals(Optional.of(new CassandraCredentials("ops", "s3cret")),
        CassandraCredentials.resolve("ops", "s3cret", node));
  }

  @Test
  void theDriverConfigurationCarriesTheLogin() {
    var config = new CassandraCredentials("ops", "s3cret").driverConfig();
    assertEquals("PlainTextAuthProvider", config.get("datastax-java-driver.advanced.auth-provider.class"));
    assertEquals("ops", config.get("datastax-java-driver.advanced.auth-provider.username"));
    assertEquals("s3cret", config.get("datastax-java-driver.advanced.auth-provider.password"));
  }
}
