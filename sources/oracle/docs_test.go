package oracle_test

import (
	"testing"

	"github.com/connectors-go/connectors/sources/internal/sqlcore/sqltest"
	"github.com/connectors-go/connectors/sources/oracle"
)

func TestDocsSettingsTable(t *testing.T) {
	sqltest.CheckFieldsDoc(t, oracle.Factory, "../../docs/sources/oracle.md")
}
