package connector

// Features are a source's feature flags. They are written to the connector document as the
// `features` object (see [Features.Object]) and tell Kibana which tabs to show and the service
// which job types and rules to allow.
//
// The original's base class enables basic sync rules by default; Go has no such default, so
// every factory states BasicRules explicitly (all 31 original sources set it).
type Features struct {
	BasicRules             bool // sync_rules.basic.enabled
	AdvancedRules          bool // sync_rules.advanced.enabled
	DocumentLevelSecurity  bool // document_level_security.enabled
	IncrementalSync        bool // incremental_sync.enabled
	NativeConnectorAPIKeys bool // native_connector_api_keys.enabled
}

// Object renders the `features` object exactly as the original writes it into the connector
// document.
func (f Features) Object() map[string]any {
	enabled := func(b bool) map[string]any { return map[string]any{"enabled": b} }
	return map[string]any{
		"sync_rules": map[string]any{
			"basic":    enabled(f.BasicRules),
			"advanced": enabled(f.AdvancedRules),
		},
		"document_level_security":   enabled(f.DocumentLevelSecurity),
		"incremental_sync":          enabled(f.IncrementalSync),
		"native_connector_api_keys": enabled(f.NativeConnectorAPIKeys),
	}
}

// SyncRulesEnabled reports whether any sync-rule feature is on, which is the original's
// condition for applying basic rules and validating filtering.
func (f Features) SyncRulesEnabled() bool { return f.BasicRules || f.AdvancedRules }

// ParseFeatures reads a stored `features` object with the original reader's defaults: a missing
// flag is false, except native_connector_api_keys, which is true when absent. The legacy
// top-level flags `filtering_rules` and `filtering_advanced_config` (older connector documents)
// turn on basic and advanced rules respectively, because the original treats them as sync-rule
// features too.
func ParseFeatures(obj map[string]any) Features {
	flag := func(m map[string]any, path ...string) (bool, bool) {
		var cur any = m
		for _, p := range path {
			mm, ok := cur.(map[string]any)
			if !ok {
				return false, false
			}
			cur, ok = mm[p]
			if !ok {
				return false, false
			}
		}
		b, ok := cur.(bool)
		return b, ok
	}
	var f Features
	f.BasicRules, _ = flag(obj, "sync_rules", "basic", "enabled")
	f.AdvancedRules, _ = flag(obj, "sync_rules", "advanced", "enabled")
	f.DocumentLevelSecurity, _ = flag(obj, "document_level_security", "enabled")
	f.IncrementalSync, _ = flag(obj, "incremental_sync", "enabled")
	if b, ok := flag(obj, "native_connector_api_keys", "enabled"); ok {
		f.NativeConnectorAPIKeys = b
	} else {
		f.NativeConnectorAPIKeys = true
	}
	if b, _ := flag(obj, "filtering_rules"); b {
		f.BasicRules = true
	}
	if b, _ := flag(obj, "filtering_advanced_config"); b {
		f.AdvancedRules = true
	}
	return f
}
