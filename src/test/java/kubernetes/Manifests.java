package kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Every Kubernetes manifest under {@code cluster-k8s/}, parsed into fabric8's typed model: a misspelt field or one
 * of the wrong type fails here, without a cluster.
 */
final class Manifests {
  static final Path ROOT = Path.of("cluster-k8s");

  /** One object of a manifest file and the file it came from. */
  record Manifest(Path file, HasMetadata object) {
    String kind() {
      return object.getKind();
    }

    String name() {
      return object.getMetadata().getName();
    }

    @Override
    public String toString() {
      return file + ": " + kind() + " " + name();
    }
  }

  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

  private Manifests() {}

  /** Every .yaml file under cluster-k8s/, every document in it. */
  static List<Manifest> all() {
    List<Manifest> manifests = new ArrayList<>();
    for (Path file : yamlFiles()) {
      for (String document : documents(file)) {
        Object parsed = SERIALIZATION.unmarshal(document);
        if (!(parsed instanceof HasMetadata object) || parsed instanceof GenericKubernetesResource) {
          throw new AssertionError(file + ": not a known Kubernetes kind: " + document.lines().limit(3).toList());
        }
        manifests.add(new Manifest(file, object));
      }
    }
    return manifests;
  }

  static List<Path> yamlFiles() {
    try (Stream<Path> files = Files.walk(ROOT)) {
      return files.filter(file -> file.toString().endsWith(".yaml") || file.toString().endsWith(".yml"))
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> documents(Path file) {
    try {
      return Arrays.stream(Files.readString(file).split("(?m)^---\\s*$"))
          .filter(document -> document.lines().anyMatch(line -> !line.isBlank() && !line.strip().startsWith("#")))
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Paths of every field that the model did not know (fabric8 keeps them in {@code additionalProperties} instead of
   * failing), anywhere in {@code object}.
   */
  static List<String> unknownFields(Object object) {
    List<String> unknown = new ArrayList<>();
    collectUnknown(object, "", unknown);
    return unknown;
  }

  private static void collectUnknown(Object value, String path, List<String> unknown) {
    if (value == null) {
      return;
    }
    if (value instanceof List<?> list) {
      for (int i = 0; i < list.size(); i++) {
        collectUnknown(list.get(i), path + "[" + i + "]", unknown);
      }
      return;
    }
    if (value instanceof Map<?, ?> map) {
      map.forEach((key, entry) -> collectUnknown(entry, path + "." + key, unknown));
      return;
    }
    if (!value.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
      return; // strings, numbers, quantities' plain values
    }
    for (Method getter : value.getClass().getMethods()) {
      if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers())
          || !getter.getName().startsWith("get") || getter.getDeclaringClass() == Object.class) {
        continue;
      }
      Object field = invoke(getter, value);
      if (getter.getName().equals("getAdditionalProperties")) {
        if (field instanceof Map<?, ?> extra && !extra.isEmpty()) {
          extra.keySet().forEach(key -> unknown.add(path + "." + key));
        }
      } else {
        collectUnknown(field, path + "." + decapitalize(getter.getName().substring(3)), unknown);
      }
    }
  }

  private static Object invoke(Method getter, Object target) {
    try {
      return getter.invoke(target);
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot read " + getter, e);
    }
  }

  private static String decapitalize(String name) {
    return name.isEmpty() ? name : Character.toLowerCase(name.charAt(0)) + name.substring(1);
  }
}
