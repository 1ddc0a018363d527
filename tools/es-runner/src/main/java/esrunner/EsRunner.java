package esrunner;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.ClasspathNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;

/**
 * Starts one Elasticsearch node in this JVM and keeps it running until the process is told to stop.
 *
 * <p>Usage: {@code EsRunner --home DIR [-E key=value]...}. The defaults below make a single-node,
 * loopback-only, security-free cluster; any {@code -E} setting overrides them. When the node is up it
 * prints {@code ES_RUNNER_STARTED http://HOST:PORT} on stdout, which scripts/es-up.sh waits for.
 */
public final class EsRunner {
    /** Plugins that are available from Maven Central, by class name, in load order. */
    static final List<String> PLUGINS = List.of(
        "org.elasticsearch.transport.netty4.Netty4Plugin",
        "org.elasticsearch.xpack.core.XPackPlugin",
        RootInfoPlugin.class.getName()
    );

    private EsRunner() {}

    public static void main(String[] args) throws Exception {
        Path home = null;
        Settings.Builder overrides = Settings.builder();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--home") && i + 1 < args.length) {
                home = Path.of(args[++i]).toAbsolutePath();
            } else if (arg.equals("-E") && i + 1 < args.length) {
                putSetting(overrides, args[++i]);
            } else if (arg.startsWith("-E") && arg.length() > 2) {
                putSetting(overrides, arg.substring(2));
            } else {
                throw new IllegalArgumentException("es-runner: unknown argument [" + arg + "]; usage: --home DIR [-E key=value]...");
            }
        }
        if (home == null) {
            throw new IllegalArgumentException("es-runner: --home DIR is required");
        }
        Path config = home.resolve("config");
        Files.createDirectories(config);
        Files.createDirectories(home.resolve("logs"));
        installLogConfig(config);
        // The distribution's launcher sets this. Native libraries are looked up under lib/platform/ in it;
        // Maven Central has none (libzstd, libvec), so native access reports it and stays off.
        if (System.getProperty("es.path.home") == null) {
            System.setProperty("es.path.home", home.toString());
        }

        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", "es-runner")
            .put("node.name", "es-runner-0")
            .put("network.host", "127.0.0.1")
            .put("http.port", "9201")
            .put("transport.port", "9301")
            .put("discovery.type", "single-node")
            // Other workers share this disk; a nearly full disk must not turn test indices read-only.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put(overrides.build())
            .build();

        Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), config, () -> "es-runner-0");
        LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(settings));
        LogConfigurator.configure(env, true);

        List<Class<? extends Plugin>> plugins = new ArrayList<>();
        for (String name : PLUGINS) {
            plugins.add(Class.forName(name).asSubclass(Plugin.class));
        }
        Node node = new ClasspathNode(env, plugins);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(30, TimeUnit.SECONDS);
            } catch (IOException | InterruptedException e) {
                System.err.println("es-runner: error while stopping the node: " + e);
            } finally {
                stopped.countDown();
            }
        }, "es-runner-shutdown"));
        node.start();
        System.out.println("ES_RUNNER_STARTED http://" + settings.get("network.host") + ":" + settings.get("http.port"));
        System.out.flush();
        stopped.await();
    }

    private static void putSetting(Settings.Builder b, String kv) {
        int eq = kv.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("es-runner: setting [" + kv + "] is not key=value");
        }
        b.put(kv.substring(0, eq), kv.substring(eq + 1));
    }

    /** Elasticsearch reads its logging setup from config/log4j2.properties; ship a console-only one. */
    private static void installLogConfig(Path config) throws IOException {
        Path target = config.resolve("log4j2.properties");
        if (Files.exists(target)) {
            return;
        }
        try (InputStream in = EsRunner.class.getResourceAsStream("log4j2.properties")) {
            if (in == null) {
                throw new IOException("es-runner: log4j2.properties resource missing from the jar");
            }
            Files.copy(in, target);
        }
    }
}
