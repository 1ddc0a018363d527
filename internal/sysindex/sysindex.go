// Package sysindex defines the connector system indices — the
// .elastic-connectors-v1 and .elastic-connectors-sync-jobs-v1 indices and
// their aliases — as Elasticsearch's ent-search module creates them, and
// checks that an existing index can serve the connector protocol.
//
// The two JSON files hold the field mappings of the 9.x ent-search resources
// (elastic/elasticsearch, x-pack/plugin/core/template-resources,
// elastic-connectors.json and elastic-connectors-sync-jobs.json, read in
// their 2025 form with api_key_secret_id and dynamic:false on the free-form
// objects). They are interface data: the field names and types every
// client of these indices relies on. The service uses them to create the
// indices on a cluster without that module; estest uses them as its
// built-in templates, so both agree by construction.
package sysindex

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Names of the concrete indices and the aliases clients address.
const (
	ConnectorsIndex = ".elastic-connectors-v1"
	ConnectorsAlias = ".elastic-connectors"
	JobsIndex       = ".elastic-connectors-sync-jobs-v1"
	JobsAlias       = ".elastic-connectors-sync-jobs"
)

//go:embed elastic-connectors.json
var connectorsProps []byte

//go:embed elastic-connectors-sync-jobs.json
var jobsProps []byte

// Indices lists the concrete system indices in creation order.
var Indices = []string{ConnectorsIndex, JobsIndex}

// AliasOf returns the alias of a concrete system index ("" for others).
func AliasOf(index string) string {
	switch index {
	case ConnectorsIndex:
		return ConnectorsAlias
	case JobsIndex:
		return JobsAlias
	}
	return ""
}

// Properties returns a fresh copy of the field mappings of a system index,
// or nil for another name.
func Properties(index string) map[string]any {
	var raw []byte
	switch index {
	case ConnectorsIndex:
		raw = connectorsProps
	case JobsIndex:
		raw = jobsProps
	default:
		return nil
	}
	var props map[string]any
	if err := json.Unmarshal(raw, &props); err != nil {
		panic("sysindex: embedded mapping does not parse: " + err.Error())
	}
	return props
}

// RootDynamic is the root "dynamic" setting for a cluster major version: 9.x
// refuses unknown top-level fields, 8.x's templates only left them unindexed.
func RootDynamic(major int) string {
	if major >= 9 {
		return "strict"
	}
	return "false"
}

// CreateBody is the create-index request body (settings, mappings,
// aliases) that gives a cluster without the ent-search module what that
// module gives: hidden, one shard, the mapping, and the alias (hidden on 9.x,
// where the indices are system indices, plain on 8.x, as its templates
// made it). The _meta marks who created the index, for whoever finds it later.
func CreateBody(index string, major int) map[string]any {
	props := Properties(index)
	if props == nil {
		return nil
	}
	alias := map[string]any{}
	if major >= 9 {
		alias["is_hidden"] = true
	}
	return map[string]any{
		"settings": map[string]any{"index": map[string]any{
			"hidden": true, "number_of_shards": "1", "auto_expand_replicas": "0-1",
		}},
		"mappings": map[string]any{
			"dynamic":    RootDynamic(major),
			"_meta":      map[string]any{"created_by": "connectors service"},
			"properties": props,
		},
		"aliases": map[string]any{AliasOf(index): alias},
	}
}

// required lists, per index, the fields the service filters or sorts on and
// the type each must have: with another type (say text, as dynamic mapping
// gives a string) the searches silently match nothing. A field that is not
// mapped at all means the index was not made from these definitions, except
// deleted, which 8.x templates before soft deletion lack and which the
// service only uses to exclude.
var required = map[string]map[string]string{
	ConnectorsIndex: {
		"deleted": "boolean", "is_native": "boolean", "service_type": "keyword", "index_name": "keyword",
	},
	JobsIndex: {
		"connector.id": "keyword", "status": "keyword", "job_type": "keyword",
		"created_at": "date", "last_seen": "date",
	},
}

var optional = map[string]bool{"deleted": true}

// CheckMapping compares an index's mapping (the "mappings" object of a
// GET /<index> answer) with what the connector protocol needs and returns
// one line per problem, empty when the mapping serves.
func CheckMapping(index string, mappings map[string]any) []string {
	req := required[index]
	fields := make([]string, 0, len(req))
	for f := range req {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	var problems []string
	for _, f := range fields {
		want := req[f]
		got := fieldType(mappings, f)
		switch {
		case got == "" && optional[f]:
		case got == "":
			problems = append(problems, fmt.Sprintf("%s is not mapped (want %s)", f, want))
		case got != want:
			problems = append(problems, fmt.Sprintf("%s is mapped as %s (want %s)", f, got, want))
		}
	}
	return problems
}

// fieldType walks properties along a dotted path; "" when the field is absent.
func fieldType(mappings map[string]any, path string) string {
	cur := mappings
	parts := strings.Split(path, ".")
	for i, p := range parts {
		props, _ := cur["properties"].(map[string]any)
		f, _ := props[p].(map[string]any)
		if f == nil {
			return ""
		}
		if i == len(parts)-1 {
			t, _ := f["type"].(string)
			if t == "" && f["properties"] != nil {
				return "object"
			}
			return t
		}
		cur = f
	}
	return ""
}
