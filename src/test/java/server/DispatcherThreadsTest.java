package server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/**
 * How many threads run the node's actors and streams, as the server's configuration sizes them: one per core and at
 * least two, or exactly {@code LIVEPOLL_DISPATCHER_THREADS}. Counted on a real actor system: more tasks than threads,
 * each busy long enough that every thread the dispatcher has takes one.
 */
class DispatcherThreadsTest {

  @Test
  void onePerCoreAndAtLeastTwo() throws Exception {
    int expected = Math.max(2, Runtime.getRuntime().availableProcessors());
    assertEquals(expected, threadsUsed(serverConfig(null), DispatcherSelector.defaultDispatcher()));
    assertEquals(expected, threadsUsed(serverConfig(null), DispatcherSelector.fromConfig("pekko.actor.internal-dispatcher")));
  }

  @Test
  void theSettingFixesTheCount() throws Exception {
    assertEquals(3, threadsUsed(serverConfig(3), DispatcherSelector.defaultDispatcher()));
    assertEquals(3, threadsUsed(serverConfig(3), DispatcherSelector.fromConfig("pekko.actor.internal-dispatcher")));
  }

  /** The server's configuration, with {@code LIVEPOLL_DISPATCHER_THREADS} set when not null. */
  private static Config serverConfig(Integer threads) {
    Config application = ConfigFactory.defaultApplication();
    if (threads != null) {
      application = ConfigFactory.parseString("LIVEPOLL_DISPATCHER_THREADS = " + threads).withFallback(application);
    }
    // a plain local system: no cluster, no metrics agent, no remoting port
    Config local = ConfigFactory.parseString("""
        pekko.actor.provider = local
        pekko.cluster.seed-nodes = []
        pekko.extensions = []
        """);
    return ConfigFactory.load(local.withFallback(application));
  }

  /** The distinct threads that ran a burst of busy tasks on {@code dispatcher}. */
  private static int threadsUsed(Config config, DispatcherSelector dispatcher) throws Exception {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "dispatcher-threads", config);
    try {
      Executor executor = system.dispatchers().lookup(dispatcher);
      Set<String> threads = ConcurrentHashMap.newKeySet();
      List<CompletableFuture<Void>> tasks = new ArrayList<>();
      int cores = Runtime.getRuntime().availableProcessors();
      for (int i = 0; i < 2 * Math.max(3, cores) + 2; i++) {
        tasks.add(CompletableFuture.runAsync(() -> {
          threads.add(Thread.currentThread().getName());
          // busy, not blocked: a pool may add threads for a blocked one
          long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
          while (System.nanoTime() < until) {
            Thread.onSpinWait();
          }
        }, executor));
      }
      CompletableFuture.allOf(tasks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
      return threads.size();
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
