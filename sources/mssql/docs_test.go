package mssql_test

import (
	"testing"

	"github.com/connectors-go/connectors/sources/internal/sqlcore/sqltest"
	"github.com/connectors-go/connectors/sources/mssql"
)

func TestDocsSettingsTable(t *testing.T) {
	sqltest.CheckFieldsDoc(t, mssql.Factory, "../../docs/sources/mssql.md")
}
