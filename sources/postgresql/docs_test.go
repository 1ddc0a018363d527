package postgresql_test

import (
	"testing"

	"github.com/connectors-go/connectors/sources/internal/sqlcore/sqltest"
	"github.com/connectors-go/connectors/sources/postgresql"
)

func TestDocsSettingsTable(t *testing.T) {
	sqltest.CheckFieldsDoc(t, postgresql.Factory, "../../docs/sources/postgresql.md")
}
