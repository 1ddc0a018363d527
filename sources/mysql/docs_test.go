package mysql_test

import (
	"testing"

	"github.com/connectors-go/connectors/sources/internal/sqlcore/sqltest"
	"github.com/connectors-go/connectors/sources/mysql"
)

func TestDocsSettingsTable(t *testing.T) {
	sqltest.CheckFieldsDoc(t, mysql.Factory, "../../docs/sources/mysql.md")
}
