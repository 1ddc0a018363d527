/*
 * Part of tools/es-runner (connectors-go). Not Elasticsearch code: it lives in this package only
 * because NodeConstruction and NodeServiceProvider are package-private.
 */
package org.elasticsearch.node;

import java.util.List;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

/** A production node (no mock services) whose plugins are given as classes on the class path. */
public class ClasspathNode extends Node {
    public ClasspathNode(Environment env, List<Class<? extends Plugin>> plugins) {
        super(NodeConstruction.prepareConstruction(env, ClasspathPluginsService.emptyLoader(), new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment environment, PluginsLoader unused) {
                return new ClasspathPluginsService(environment.settings(), environment, plugins);
            }
        }, true));
    }
}
