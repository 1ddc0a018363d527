package redis

import (
	"testing"

	"github.com/connectors-go/connectors/sources/internal/sourcedoc"
)

// TestDocsConfigurationTable keeps the table of docs/sources/redis.md generated from the declaration.
func TestDocsConfigurationTable(t *testing.T) { sourcedoc.Check(t, Factory, "redis.md") }
