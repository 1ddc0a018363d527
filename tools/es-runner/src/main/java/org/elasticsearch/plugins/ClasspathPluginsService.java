/*
 * Part of tools/es-runner (connectors-go). Not Elasticsearch code: it lives in this package only
 * because the PluginsService hooks it overrides are package-private.
 */
package org.elasticsearch.plugins;

import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;

import org.elasticsearch.Build;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;

import esrunner.Descriptors;

/**
 * A plugins service whose plugins are classes already on the application class path.
 *
 * <p>The distribution loads each module from its own directory and class loader. Maven Central only
 * ships the module jars, without the directory layout or descriptors, so the runner puts them on the
 * class path and hands their plugin classes over here. Everything shares one class loader, which is
 * why service providers are looked up once instead of once per plugin (the per-plugin lookup would
 * find every provider once for each plugin and trip duplicate-key checks).
 */
public class ClasspathPluginsService extends PluginsService {
    private final List<LoadedPlugin> loaded;

    public ClasspathPluginsService(Settings settings, Environment env, List<Class<? extends Plugin>> classes) {
        super(settings, env.configDir(), emptyLoader());
        List<LoadedPlugin> out = new ArrayList<>();
        String esVersion = Build.current().version();
        String javaVersion = Integer.toString(Runtime.version().feature());
        for (Class<? extends Plugin> c : classes) {
            Plugin instance = loadPlugin(c, settings, env.configDir());
            PluginDescriptor descriptor = Descriptors.forClass(c, esVersion, javaVersion);
            out.add(new LoadedPlugin(descriptor, instance, c.getClassLoader()));
        }
        loaded = List.copyOf(out);
        for (LoadedPlugin lp : loaded) {
            if (lp.instance() instanceof ExtensiblePlugin extensible) {
                extensible.loadExtensions(new ExtensiblePlugin.ExtensionLoader() {
                    @Override
                    public <T> List<T> loadExtensions(Class<T> extensionPoint) {
                        return providers(extensionPoint);
                    }
                });
            }
        }
    }

    /** A loader with no bundles: plugin bundles come from directories, and the runner has none. */
    public static PluginsLoader emptyLoader() {
        return new PluginsLoader(Set.of(), Set.of(), Map.of());
    }

    @Override
    public <T> List<? extends T> loadServiceProviders(Class<T> service) {
        return providers(service);
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return loaded;
    }

    private <T> List<T> providers(Class<T> service) {
        List<T> result = new ArrayList<>();
        for (ServiceLoader.Provider<T> provider : ServiceLoader.load(service, ClasspathPluginsService.class.getClassLoader())
            .stream()
            .toList()) {
            Plugin owner = ownerOf(provider.type());
            // An extension may take its plugin as constructor argument; createExtension picks the constructor.
            result.add(owner == null ? provider.get() : createExtension(provider.type(), service, owner));
        }
        return result;
    }

    /** The loaded plugin packaged in the same jar as {@code type}, or null (server classes, libraries). */
    private Plugin ownerOf(Class<?> type) {
        CodeSource source = type.getProtectionDomain().getCodeSource();
        if (source == null) {
            return null;
        }
        for (LoadedPlugin lp : loaded) {
            CodeSource pluginSource = lp.instance().getClass().getProtectionDomain().getCodeSource();
            if (pluginSource != null && Objects.equals(source.getLocation(), pluginSource.getLocation())) {
                return lp.instance();
            }
        }
        return null;
    }
}
