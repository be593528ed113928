package http;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.management.cluster.javadsl.ClusterHttpManagementRoutes;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;
import readside.ReadSide;
import audit.Actor;
import audit.Audit;
import audit.AuditAction;

/**
 * Operator endpoints, served by Pekko Management on its (loopback by default) port: the cluster's ({@code /cluster/
 * members}, {@code /cluster/shards/...}; leave and down only when not read-only) and the read side's ({@code GET
 * /projections} always; {@code POST /projections/{name}/pause|resume|rebuild} only when not read-only). With an
 * operator password set, every one of them needs the operator's basic credentials; the health checks and Cluster
 * Bootstrap, which Pekko Management serves beside them, do not.
 */
public final class OperatorRoutes extends AllDirectives implements ManagementRouteProvider {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(OperatorRoutes.class);
  private final ExtendedActorSystem system;
  private final String operatorUser;
  private final String operatorPassword;
  /** Only writes: operators send no bodies here. */
  private final Json json = new Json(1);
  private final Problems problems = new Problems(json);

  public OperatorRoutes(ExtendedActorSystem system) {
    this.system = system;
    this.operatorUser = system.settings().config().getString("livepoll.management.operator-user");
    this.operatorPassword = system.settings().config().getString("livepoll.management.operator-password");
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    Cluster cluster = Cluster.get(system);
    return operator(user -> concat(
        settings.readOnly() ? ClusterHttpManagementRoutes.readOnly(cluster) : ClusterHttpManagementRoutes.all(cluster),
        projections(settings, user),
        retention()));
  }

  /**
   * The operator's basic credentials, when an operator password is set; {@code inner} gets the operator's user name
   * (without a password nothing can change here, and reads are not audited: "anonymous").
   */
  private Route operator(Function<String, Route> inner) {
    if (operatorPassword.isEmpty()) {
      return inner.apply("anonymous");
    }
    return authenticateBasic("livepoll-operator", credentials -> credentials
        .filter(provided -> provided.identifier().equals(operatorUser))
        .filter(provided -> provided.verify(operatorPassword))
        .map(provided -> provided.identifier()), inner::apply);
  }

  /** {@code GET /retention}: the retention sweep's figures (from Cassandra: whichever node runs the sweep). */
  private Route retention() {
    return path("retention", () -> get(() -> onComplete(
        new lifecycle.RetentionProgress(org.apache.pekko.actor.typed.javadsl.Adapter.toTyped(system),
            system.settings().config().getString("livepoll.cassandra.keyspace")).read(),
        figures -> figures.isSuccess()
            ? complete(ok(new Retention(system.settings().config().getString("livepoll.retention.closed"),
                figures.get())))
            : complete(problems.unavailable("the retention progress could not be read just now; retry")))));
  }

  /** What {@code GET /retention} answers: the configured retention of closed polls and the sweep's figures. */
  private record Retention(String closedPollsKeptFor, lifecycle.RetentionProgress.Figures sweep) {}

  private Route projections(ManagementRouteProviderSettings settings, String user) {
    return pathPrefix("projections", () -> readSide(readSide -> concat(
        pathEndOrSingleSlash(() -> get(() -> onSuccess(readSide.status(), status -> complete(ok(status))))),
        settings.readOnly() ? reject() : pathPrefix(segment(), name -> model(name, model -> concat(
            path("pause", () -> post(() -> done(readSide.pause(model), model, "paused", StatusCodes.OK, user,
                AuditAction.PROJECTION_PAUSED))),
            path("resume", () -> post(() -> done(readSide.resume(model), model, "resumed", StatusCodes.OK, user,
                AuditAction.PROJECTION_RESUMED))),
            // the replay goes on after the answer; GET /projections shows it catching up
            path("rebuild", () -> post(() -> done(readSide.rebuild(model), model, "rebuilding",
                StatusCodes.ACCEPTED, user, AuditAction.PROJECTION_REBUILT)))))))));
  }

  /** What an operator action answers once it is done. */
  private record Outcome(String projection, String state) {}

  private Route done(CompletionStage<Done> action, ReadSide.ReadModel model, String state, StatusCode status,
      String user, AuditAction audited) {
    return onComplete(action, result -> {
      if (result.isSuccess()) {
        HttpResponse answer = ok(new Outcome(model.projectionName(), state)).withStatus(status);
        return extractClientIP(client -> {
          String address = client.getAddress().map(java.net.InetAddress::getHostAddress).orElse("unknown");
          Optional<Audit> audit = Audit.runningIn(system);
          if (audit.isEmpty()) {
            return complete(answer);
          }
          return onSuccess(audit.get().record(Actor.operator(user), audited, null, address,
              "projection=" + model.projectionName()), recorded -> complete(answer));
        });
      }
      log.warn("Operator action on projection {} failed", model.projectionName(), result.failed().get());
      return complete(problems.unavailable("the projection did not answer: " + result.failed().get().getMessage()));
    });
  }

  private Route model(String name, Function<ReadSide.ReadModel, Route> inner) {
    return ReadSide.ReadModel.named(name).map(inner).orElseGet(() -> complete(problems.response(
        StatusCodes.NOT_FOUND, "unknown-projection", "Unknown projection",
        "projections are " + java.util.Arrays.stream(ReadSide.ReadModel.values())
            .map(ReadSide.ReadModel::projectionName).toList())));
  }

  private Route readSide(Function<ReadSide, Route> inner) {
    Optional<ReadSide> running = ReadSide.runningIn(system);
    return running.map(inner).orElseGet(() -> complete(problems.unavailable("the read side does not run here")));
  }

  private HttpResponse ok(Object body) {
    return HttpResponse.create().withStatus(StatusCodes.OK)
        .withEntity(HttpEntities.create(ContentTypes.APPLICATION_JSON, json.write(body)));
  }
}
