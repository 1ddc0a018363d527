package mongodb

import (
	"testing"

	"github.com/connectors-go/connectors/sources/internal/sourcedoc"
)

// TestDocsConfigurationTable keeps the table of docs/sources/mongodb.md generated from the declaration.
func TestDocsConfigurationTable(t *testing.T) { sourcedoc.Check(t, Factory, "mongodb.md") }
