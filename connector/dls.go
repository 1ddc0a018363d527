package connector

import "time"

// DLSQuery is the search template stored with every access-control document: a document is
// visible when it has no _allow_access_control or when one of its identities is among the
// user's. The text is the original's, byte for byte, because search applications and the
// original service read the same documents.
const DLSQuery = `{
                    "bool": {
                        "should": [
                            {
                                "bool": {
                                    "must_not": {
                                        "exists": {
                                            "field": "_allow_access_control"
                                        }
                                    }
                                }
                            },
                            {
                                "terms": {
                                    "_allow_access_control.keyword": {{#toJson}}access_control{{/toJson}}
                                }
                            }
                        ]
                    }
                }`

// AccessControlFields builds the _source of an identity document for the access-control index
// (`.search-acl-filter-<index>`), as the original does: the identity, created_at, and the query
// template with the user's identities (empty ones left out). Emit it as a Document whose ID is
// the user's id, from [AccessControlSource].AccessControl.
func AccessControlFields(identity map[string]any, accessControl []string) map[string]any {
	access := make([]any, 0, len(accessControl))
	for _, a := range accessControl {
		if a != "" {
			access = append(access, a)
		}
	}
	return map[string]any{
		"identity":   identity,
		"created_at": FormatTime(time.Now()),
		"query": map[string]any{
			"template": map[string]any{
				"params": map[string]any{"access_control": access},
				"source": DLSQuery,
			},
		},
	}
}

// PrefixIdentity writes an identity as "prefix:value", the original's prefix_identity; an empty
// value gives "" (the original's None), which AccessControlFields and sources leave out.
func PrefixIdentity(prefix, value string) string {
	if value == "" {
		return ""
	}
	return prefix + ":" + value
}
