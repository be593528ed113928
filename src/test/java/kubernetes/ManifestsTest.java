package kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import kubernetes.Manifests.Manifest;
import org.junit.jupiter.api.Test;

/**
 * cluster-k8s/ checked without a cluster: every manifest is a typed Kubernetes object with no unknown field, and the
 * manifests agree with each other and with the server (ports, labels, variables, probes, shutdown, sizes).
 */
class ManifestsTest {
  private static final List<Manifest> ALL = Manifests.all();

  @Test
  void everyManifestIsAKnownKindWithNoUnknownField() {
    assertFalse(ALL.isEmpty(), "no manifests under " + Manifests.ROOT.toAbsolutePath());
    List<String> problems = new ArrayList<>();
    for (Manifest manifest : ALL) {
      Manifests.unknownFields(manifest.object()).forEach(field -> problems.add(manifest + ": unknown field " + field));
    }
    assertEquals(List.of(), problems);
    Set<String> kinds = new TreeSet<>();
    ALL.forEach(manifest -> kinds.add(manifest.kind()));
    assertTrue(kinds.containsAll(List.of("Deployment", "StatefulSet", "Service", "ServiceAccount", "Role",
        "RoleBinding", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy", "Secret")), kinds.toString());
  }

  @Test
  void theDeploymentRollsOneNewPodAtATimeAndProbesTheManagementPort() {
    Deployment livepoll = one(Deployment.class, "livepoll");
    assertEquals(3, livepoll.getSpec().getReplicas());
    assertEquals("RollingUpdate", livepoll.getSpec().getStrategy().getType());
    assertEquals(new IntOrString(0), livepoll.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable());
    Container server = container(livepoll.getSpec().getTemplate(), "livepoll");
    assertEquals("/ready", server.getReadinessProbe().getHttpGet().getPath());
    assertEquals(new IntOrString("management"), server.getReadinessProbe().getHttpGet().getPort());
    assertEquals("/alive", server.getLivenessProbe().getHttpGet().getPath());
    assertEquals(new IntOrString("management"), server.getLivenessProbe().getHttpGet().getPort());
    assertNotNull(server.getResources().getRequests().get("memory"), "memory request");
    assertNotNull(server.getResources().getRequests().get("cpu"), "cpu request");
    assertEquals(server.getResources().getRequests().get("memory"), server.getResources().getLimits().get("memory"),
        "the heap is a share of the memory limit: request it all");
  }

  @Test
  void everyProbePortAndNamedPortExistsOnItsContainer() {
    List<String> problems = new ArrayList<>();
    for (PodTemplateSpec template : podTemplates()) {
      for (Container container : template.getSpec().getContainers()) {
        for (Probe probe : Stream.of(container.getReadinessProbe(), container.getLivenessProbe(),
            container.getStartupProbe()).filter(p -> p != null).toList()) {
          IntOrString port = probe.getHttpGet() != null ? probe.getHttpGet().getPort()
              : probe.getTcpSocket() != null ? probe.getTcpSocket().getPort() : null;
          if (port != null && !hasPort(container, port)) {
            problems.add(container.getName() + ": probe port " + text(port) + " is not a port of the container");
          }
        }
      }
    }
    for (Service service : all(Service.class)) {
      PodTemplateSpec selected = selectedTemplate(service.getSpec().getSelector(), service.toString());
      service.getSpec().getPorts().forEach(port -> {
        if (!hasPort(selected, port.getTargetPort())) {
          problems.add("Service " + service.getMetadata().getName() + ": targetPort " + text(port.getTargetPort())
              + " is not a port of its pods");
        }
      });
    }
    for (NetworkPolicy policy : all(NetworkPolicy.class)) {
      PodTemplateSpec selected = selectedTemplate(policy.getSpec().getPodSelector().getMatchLabels(),
          "NetworkPolicy " + policy.getMetadata().getName());
      policy.getSpec().getIngress().forEach(rule -> {
        for (NetworkPolicyPort port : rule.getPorts()) {
          if (!hasPort(selected, port.getPort())) {
            problems.add("NetworkPolicy " + policy.getMetadata().getName() + ": port " + text(port.getPort())
                + " is not a port of its pods");
          }
        }
      });
    }
    assertEquals(List.of(), problems);
  }

  @Test
  void selectorsMatchTheLabelsOfWhatTheySelect() {
    for (Deployment deployment : all(Deployment.class)) {
      assertSelects(deployment.getSpec().getSelector(), deployment.getSpec().getTemplate(), "Deployment");
    }
    for (StatefulSet statefulSet : all(StatefulSet.class)) {
      assertSelects(statefulSet.getSpec().getSelector(), statefulSet.getSpec().getTemplate(), "StatefulSet");
      one(Service.class, statefulSet.getSpec().getServiceName());
    }
    for (PodDisruptionBudget budget : all(PodDisruptionBudget.class)) {
      selectedTemplate(budget.getSpec().getSelector().getMatchLabels(), "PDB " + budget.getMetadata().getName());
    }
    for (NetworkPolicy policy : all(NetworkPolicy.class)) {
      for (var rule : policy.getSpec().getIngress()) {
        for (NetworkPolicyPeer peer : rule.getFrom()) {
          if (peer.getPodSelector() != null && peer.getNamespaceSelector() == null) {
            selectedTemplate(peer.getPodSelector().getMatchLabels(), "NetworkPolicy " + policy.getMetadata().getName());
          }
        }
      }
    }
    HorizontalPodAutoscaler autoscaler = one(HorizontalPodAutoscaler.class, "livepoll");
    assertEquals("Deployment", autoscaler.getSpec().getScaleTargetRef().getKind());
    one(Deployment.class, autoscaler.getSpec().getScaleTargetRef().getName());
  }

  @Test
  void thePodsMayListTheirPeersAndEverySecretTheyReadExists() {
    Deployment livepoll = one(Deployment.class, "livepoll");
    String account = livepoll.getSpec().getTemplate().getSpec().getServiceAccountName();
    one(ServiceAccount.class, account);
    RoleBinding binding = all(RoleBinding.class).stream()
        .filter(b -> b.getSubjects().stream().anyMatch(s -> s.getKind().equals("ServiceAccount")
            && s.getName().equals(account)))
        .findFirst().orElseThrow(() -> new AssertionError("no RoleBinding for ServiceAccount " + account));
    Role role = one(Role.class, binding.getRoleRef().getName());
    assertTrue(role.getRules().stream().anyMatch(rule -> rule.getResources().contains("pods")
        && rule.getVerbs().containsAll(List.of("get", "watch", "list"))), "the Role must let pods be listed");
    for (EnvVar variable : container(livepoll.getSpec().getTemplate(), "livepoll").getEnv()) {
      if (variable.getValueFrom() != null && variable.getValueFrom().getSecretKeyRef() != null) {
        var ref = variable.getValueFrom().getSecretKeyRef();
        Secret secret = one(Secret.class, ref.getName());
        assertTrue(secret.getStringData().containsKey(ref.getKey()),
            variable.getName() + ": Secret " + ref.getName() + " has no key " + ref.getKey());
      }
    }
  }

  /** The server reads exactly the LIVEPOLL_* variables its configuration names: ${?LIVEPOLL_X} or ${LIVEPOLL_X:-}. */
  @Test
  void everyLivepollVariableTheManifestsSetIsOneTheServerReads() throws IOException {
    Set<String> read = variablesTheServerReads();
    assertTrue(read.containsAll(List.of("LIVEPOLL_HTTP_PORT", "LIVEPOLL_METRICS_PORT", "LIVEPOLL_LOG_FORMAT",
        "LIVEPOLL_CLUSTER_FORMATION")), "the scan of the configuration found too little: " + read);
    List<String> unknown = new ArrayList<>();
    for (PodTemplateSpec template : podTemplates()) {
      for (Container container : template.getSpec().getContainers()) {
        for (EnvVar variable : container.getEnv()) {
          if (variable.getName().startsWith("LIVEPOLL_") && !read.contains(variable.getName())) {
            unknown.add(container.getName() + ": " + variable.getName());
          }
        }
      }
    }
    assertEquals(List.of(), unknown, "set in the manifests, read nowhere in the server's configuration");
  }

  @Test
  void theServersPortsAreTheContainersNamedPorts() {
    Deployment livepoll = one(Deployment.class, "livepoll");
    Container server = container(livepoll.getSpec().getTemplate(), "livepoll");
    Map<String, String> ports = Map.of("http", "LIVEPOLL_HTTP_PORT", "remoting", "LIVEPOLL_REMOTE_PORT",
        "management", "LIVEPOLL_MANAGEMENT_PORT", "metrics", "LIVEPOLL_METRICS_PORT");
    ports.forEach((name, variable) -> assertEquals(Integer.toString(port(server, name)), env(server, variable),
        variable + " must be the container port named " + name));
    assertEquals(Integer.toString(port(server, "metrics")),
        livepoll.getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/port"));
    assertEquals("kubernetes-api", env(server, "LIVEPOLL_CLUSTER_FORMATION"));
    assertEquals("0.0.0.0", env(server, "LIVEPOLL_METRICS_HOST"), "Prometheus scrapes from another pod");
    assertEquals("$(POD_IP)", env(server, "LIVEPOLL_MANAGEMENT_HOST"),
        "Cluster Bootstrap compares contact points by the pod's IP");
  }

  @Test
  void aFreshClusterFindsTheContactPointsItWaitsFor() {
    Deployment livepoll = one(Deployment.class, "livepoll");
    Container server = container(livepoll.getSpec().getTemplate(), "livepoll");
    int required = Integer.parseInt(env(server, "LIVEPOLL_CLUSTER_REQUIRED_CONTACT_POINTS"));
    assertTrue(required <= livepoll.getSpec().getReplicas(), "required contact points " + required
        + " > replicas " + livepoll.getSpec().getReplicas());
    HorizontalPodAutoscaler autoscaler = one(HorizontalPodAutoscaler.class, "livepoll");
    assertTrue(required <= autoscaler.getSpec().getMinReplicas(), "the autoscaler may go below the contact points");
    assertTrue(autoscaler.getSpec().getBehavior().getScaleDown().getStabilizationWindowSeconds() >= 300,
        "scale down slowly: each pod that leaves hands its polls over");
    assertEquals(env(server, "LIVEPOLL_KUBERNETES_SERVICE_NAME"),
        livepoll.getSpec().getTemplate().getMetadata().getLabels().get("app"),
        "Cluster Bootstrap finds the pods labelled app=<service name>");
  }

  @Test
  void aStoppedPodGetsLongerThanItsCoordinatedShutdown() {
    Config config = ConfigFactory.load();
    Config shutdown = config.getConfig("pekko.coordinated-shutdown");
    Duration fallback = shutdown.getDuration("default-phase-timeout");
    Duration total = Duration.ZERO;
    for (String phase : shutdown.getConfig("phases").root().keySet()) {
      Config settings = shutdown.getConfig("phases").getConfig("\"" + phase + "\"");
      total = total.plus(settings.hasPath("timeout") ? settings.getDuration("timeout") : fallback);
    }
    long grace = one(Deployment.class, "livepoll").getSpec().getTemplate().getSpec()
        .getTerminationGracePeriodSeconds();
    assertTrue(grace > total.toSeconds(), "terminationGracePeriodSeconds " + grace
        + " must exceed the coordinated shutdown's worst case, " + total.toSeconds() + " s");
  }

  @Test
  void theSchemaJobPreparesTheDatabaseTheServerUses() {
    Container schema = container(one(Job.class, "livepoll-schema").getSpec().getTemplate(), "schema");
    Container server = container(one(Deployment.class, "livepoll").getSpec().getTemplate(), "livepoll");
    assertEquals(List.of("schema"), schema.getArgs());
    assertEquals(server.getImage(), schema.getImage());
    for (String variable : List.of("LIVEPOLL_CASSANDRA_CONTACT_POINTS", "LIVEPOLL_CASSANDRA_LOCAL_DATACENTER",
        "LIVEPOLL_CASSANDRA_REPLICATION")) {
      assertEquals(env(server, variable), env(schema, variable), variable);
    }
    assertFalse(one(Job.class, "livepoll-schema").getSpec().getTemplate().getMetadata().getLabels()
        .containsValue("livepoll"), "Cluster Bootstrap would take the Job's pod for a node");
  }

  @Test
  void theServerWritesToTheStatefulSetsCassandraWithReplicationThree() {
    StatefulSet cassandra = one(StatefulSet.class, "cassandra");
    Container node = container(cassandra.getSpec().getTemplate(), "cassandra");
    Container server = container(one(Deployment.class, "livepoll").getSpec().getTemplate(), "livepoll");
    int replicas = cassandra.getSpec().getReplicas();
    assertEquals(3, replicas);
    String datacenter = env(node, "CASSANDRA_DC");
    assertEquals(datacenter, env(server, "LIVEPOLL_CASSANDRA_LOCAL_DATACENTER"));
    assertEquals("{'class': 'NetworkTopologyStrategy', '" + datacenter + "': 3}",
        env(server, "LIVEPOLL_CASSANDRA_REPLICATION"));
    assertFalse(cassandra.getSpec().getVolumeClaimTemplates().isEmpty(), "persistent volumes");
    assertTrue(node.getLifecycle().getPreStop().getExec().getCommand().toString().contains("nodetool drain"));
    for (String contactPoint : env(server, "LIVEPOLL_CASSANDRA_CONTACT_POINTS").split(",")) {
      Matcher point = Pattern.compile("cassandra-(\\d+)\\." + cassandra.getSpec().getServiceName() + ":(\\d+)")
          .matcher(contactPoint);
      assertTrue(point.matches(), "contact point " + contactPoint + " is not a pod of the StatefulSet");
      assertTrue(Integer.parseInt(point.group(1)) < replicas, contactPoint + ": no such pod");
      assertEquals(port(node, "cql"), Integer.parseInt(point.group(2)), contactPoint + ": not the CQL port");
    }
  }

  // ------------------------------------------------------------------------------------------------- helpers

  /** LIVEPOLL_* names in application.conf and the files it includes, and in logback.xml. */
  static Set<String> variablesTheServerReads() throws IOException {
    Set<String> names = new LinkedHashSet<>();
    List<String> files = new ArrayList<>(List.of("application.conf"));
    for (int i = 0; i < files.size(); i++) {
      String text = resource(files.get(i));
      collect(Pattern.compile("\\$\\{\\?(LIVEPOLL_[A-Z0-9_]+)}"), text, names);
      Matcher include = Pattern.compile("(?m)^include \"([^\"]+)\"").matcher(text);
      while (include.find()) {
        files.add(include.group(1));
      }
    }
    collect(Pattern.compile("\\$\\{(LIVEPOLL_[A-Z0-9_]+)(:-[^}]*)?}"), resource("logback.xml"), names);
    return names;
  }

  private static void collect(Pattern pattern, String text, Set<String> names) {
    Matcher matcher = pattern.matcher(text);
    while (matcher.find()) {
      names.add(matcher.group(1));
    }
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = ManifestsTest.class.getClassLoader().getResourceAsStream(name)) {
      assertNotNull(in, name + " is not on the classpath");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static <T> List<T> all(Class<T> type) {
    return ALL.stream().map(Manifest::object).filter(type::isInstance).map(type::cast).toList();
  }

  private static <T> T one(Class<T> type, String name) {
    return ALL.stream().filter(m -> type.isInstance(m.object()) && m.name().equals(name))
        .map(m -> type.cast(m.object())).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " named " + name));
  }

  private static List<PodTemplateSpec> podTemplates() {
    List<PodTemplateSpec> templates = new ArrayList<>();
    all(Deployment.class).forEach(d -> templates.add(d.getSpec().getTemplate()));
    all(StatefulSet.class).forEach(s -> templates.add(s.getSpec().getTemplate()));
    all(Job.class).forEach(j -> templates.add(j.getSpec().getTemplate()));
    return templates;
  }

  /** The one pod template whose labels include {@code selector}. */
  private static PodTemplateSpec selectedTemplate(Map<String, String> selector, String selecting) {
    assertTrue(selector != null && !selector.isEmpty(), selecting + " selects nothing");
    List<PodTemplateSpec> matching = podTemplates().stream()
        .filter(t -> t.getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
        .toList();
    assertEquals(1, matching.size(), selecting + " with selector " + selector + " matches " + matching.size()
        + " workloads");
    return matching.get(0);
  }

  private static void assertSelects(LabelSelector selector, PodTemplateSpec template, String what) {
    assertTrue(template.getMetadata().getLabels().entrySet().containsAll(selector.getMatchLabels().entrySet()),
        what + " selector " + selector.getMatchLabels() + " does not match its pods' labels "
            + template.getMetadata().getLabels());
  }

  private static Container container(PodTemplateSpec template, String name) {
    return template.getSpec().getContainers().stream().filter(c -> c.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no container " + name));
  }

  private static boolean hasPort(PodTemplateSpec template, IntOrString port) {
    return template.getSpec().getContainers().stream().anyMatch(container -> hasPort(container, port));
  }

  private static boolean hasPort(Container container, IntOrString port) {
    List<ContainerPort> ports = container.getPorts() == null ? List.of() : container.getPorts();
    return port.getStrVal() != null
        ? ports.stream().anyMatch(p -> port.getStrVal().equals(p.getName()))
        : ports.stream().anyMatch(p -> port.getIntVal().equals(p.getContainerPort()));
  }

  private static int port(Container container, String name) {
    return container.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
        .orElseThrow(() -> new AssertionError(container.getName() + " has no port named " + name))
        .getContainerPort();
  }

  private static String env(Container container, String name) {
    return Optional.ofNullable(container.getEnv()).orElse(List.of()).stream()
        .filter(v -> v.getName().equals(name)).map(EnvVar::getValue).findFirst()
        .orElseThrow(() -> new AssertionError(container.getName() + " does not set " + name));
  }

  private static String text(IntOrString port) {
    return port.getStrVal() != null ? port.getStrVal() : port.getIntVal().toString();
  }
}
