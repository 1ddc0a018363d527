package networkdrive

import (
	"testing"

	"github.com/connectors-go/connectors/sources/internal/fielddoc"
)

// TestFieldsDoc checks that the page's settings table is the one the declaration gives
// (FIELDDOC_UPDATE=1 rewrites it).
func TestFieldsDoc(t *testing.T) { fielddoc.Check(t, Factory, "../../docs/sources/network_drive.md") }
