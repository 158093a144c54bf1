package io.mlg.opensearch;

import java.nio.file.Files;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * A single OpenSearch node from the jars on the classpath alone (no distribution, no plugin
 * folder): the server's {@link Node} with its modules passed as classpath plugins, which is how
 * OpenSearch's own test framework starts nodes. Settings come as {@code key=value} arguments
 * (infra/opensearch.py passes 127.0.0.1, the ports, single-node discovery and the paths).
 * Logs go to stdout (at INFO when {@code <path.home>/config/log4j2.properties} exists); SIGTERM closes the node cleanly (flushes and releases the data lock).
 */
public final class EmbeddedNode {

    /** The plugins the search mapping needs: HTTP + transport, and the analysis components
     *  (pattern tokenizer, edge n-grams, lowercase filter) from the analysis-common module. */
    static final List<Class<? extends Plugin>> PLUGINS = List.of(Netty4Plugin.class, CommonAnalysisPlugin.class);

    private static final class PluginNode extends Node {
        PluginNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }
    }

    private EmbeddedNode() {}

    public static void main(String[] args) throws Exception {
        Settings.Builder builder = Settings.builder();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 1) {
                System.err.println("usage: EmbeddedNode key=value ... (got '" + arg + "')");
                System.exit(2);
            }
            builder.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Settings settings = builder.build();
        LogConfigurator.registerErrorListener();
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            settings, Collections.emptyMap(), null, () -> "mlg-node");
        if (Files.isRegularFile(environment.configFile().resolve("log4j2.properties"))) {
            LogConfigurator.configure(environment);  // <path.home>/config/log4j2.properties (console, INFO)
        } else {
            LogConfigurator.configureWithoutConfig(settings);  // errors only
        }
        Node node = new PluginNode(environment, PLUGINS);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "mlg-node-shutdown"));
        node.start();
        System.out.println("mlg-opensearch: node started");
        System.out.flush();
        closed.await();
    }
}
