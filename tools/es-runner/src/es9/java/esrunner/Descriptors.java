package esrunner;

import java.util.List;

import org.elasticsearch.plugins.PluginDescriptor;

/** Plugin descriptors for class-path plugins; Elasticsearch 9 constructor (with deployment target). */
public final class Descriptors {
    private Descriptors() {}

    public static PluginDescriptor forClass(Class<?> c, String esVersion, String javaVersion) {
        return new PluginDescriptor(
            c.getName(),
            "loaded from the class path by es-runner",
            esVersion,
            esVersion,
            javaVersion,
            c.getName(),
            null,
            List.of(),
            false,
            false,
            false,
            false,
            PluginDescriptor.DeploymentTarget.ALL
        );
    }
}
