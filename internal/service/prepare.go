package service

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/connectors-go/connectors/connector"
	"github.com/connectors-go/connectors/internal/protocol"
)

// standardProperties are the properties every configuration entry carries.
var standardProperties = []string{
	"default_value", "depends_on", "display", "label", "options", "order", "required",
	"sensitive", "tooltip", "type", "ui_restrictions", "validations", "value",
}

// prepare brings a connector document up to date with its source (the
// original's prepare, service-spec §5.3): the configuration schema with the
// user's values kept, the service type and the features. It returns the
// connector as stored afterwards.
func (s *Service) prepare(ctx context.Context, c *protocol.Connector, configuredType string, listed bool) (*protocol.Connector, connector.Factory, error) {
	serviceType := c.Type()
	if listed {
		if configuredType == "" {
			return nil, connector.Factory{}, fmt.Errorf("service type is not configured for connector %s in config.yml", c.ID)
		}
		serviceType = configuredType
	}
	f, err := s.lookupSource(serviceType)
	if err != nil {
		return nil, connector.Factory{}, err
	}
	// The listing came from a search, which can lag writes by a refresh;
	// decide on the document as it is now.
	c, err = s.Store.GetConnector(ctx, c.ID)
	if err != nil {
		return nil, f, err
	}
	for attempt := 1; ; attempt++ {
		patch := preparePatch(c, f, listed, s)
		if len(patch) == 0 {
			return c, f, nil
		}
		err := s.Store.UpdateConnector(ctx, c, patch)
		if errors.Is(err, protocol.ErrConflict) && attempt < 3 {
			fresh, gerr := s.Store.GetConnector(ctx, c.ID)
			if gerr != nil {
				return nil, f, gerr
			}
			c = fresh
			continue
		}
		if err != nil {
			return nil, f, fmt.Errorf("cannot update connector %s: %w", c.ID, err)
		}
		fresh, err := s.Store.GetConnector(ctx, c.ID)
		return fresh, f, err
	}
}

func preparePatch(c *protocol.Connector, f connector.Factory, listed bool, s *Service) map[string]any {
	patch := map[string]any{}
	defaults := f.DefaultConfiguration()
	if len(c.Configuration) == 0 {
		patch["configuration"] = defaults
		patch["status"] = protocol.StatusNeedsConfiguration
	} else {
		changes := map[string]any{}
		var added []string
		for key, d := range defaults {
			def := d.(map[string]any)
			stored, ok := c.Configuration[key].(map[string]any)
			if !ok {
				changes[key] = def
				added = append(added, key)
				continue
			}
			upd := map[string]any{}
			for _, prop := range standardProperties {
				if prop == "value" {
					if _, has := stored[prop]; !has {
						upd[prop] = def[prop]
					}
					continue
				}
				dv, sv := def[prop], stored[prop]
				_, has := stored[prop]
				// The source's declaration wins for everything but the value,
				// so schema changes reach existing connectors; a missing
				// property is filled in.
				if !has || (!falsy(dv) && !reflect.DeepEqual(normalizeJSON(dv), normalizeJSON(sv))) {
					upd[prop] = dv
				}
			}
			if len(upd) > 0 {
				changes[key] = upd
			}
		}
		if len(added) > 0 {
			s.log.Warn("New configuration fields were added to the connector; please review them as part of your upgrade", "connector_id", c.ID, "fields", added)
		}
		if len(changes) > 0 {
			patch["configuration"] = changes
		}
	}
	if listed && c.Type() == "" {
		patch["service_type"] = f.ServiceType
	}
	want := f.Features.Object()
	if listed {
		if !reflect.DeepEqual(normalizeJSON(c.Features), normalizeJSON(want)) {
			patch["features"] = want
		}
	} else if c.IsNative && !sameKeys(c.Features, want) {
		merged := map[string]any{}
		for k, v := range want {
			merged[k] = v
		}
		for k, v := range c.Features {
			merged[k] = v
		}
		patch["features"] = merged
	}
	return patch
}

func falsy(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case bool:
		return !t
	case string:
		return t == ""
	case float64:
		return t == 0
	case int:
		return t == 0
	case []any:
		return len(t) == 0
	case map[string]any:
		return len(t) == 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map:
		return rv.Len() == 0
	}
	return false
}

func sameKeys(a, b map[string]any) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if _, ok := b[k]; !ok {
			return false
		}
	}
	return true
}
