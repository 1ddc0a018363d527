// Package all registers every built-in data source. Import it for its side effects, in the
// service's main or in a custom binary that adds its own sources next to ours:
//
//	import _ "github.com/connectors-go/connectors/sources/all"
//
// Each source lives in its own package under sources/ and registers itself from init, so a
// binary that wants fewer sources imports just those packages instead.
package all

import (
	// Keep this list sorted; the schema parity test checks every source imported here.
	_ "github.com/connectors-go/connectors/sources/azureblob"
	_ "github.com/connectors-go/connectors/sources/confluence"
	_ "github.com/connectors-go/connectors/sources/dir"
	_ "github.com/connectors-go/connectors/sources/gcs"
	_ "github.com/connectors-go/connectors/sources/github"
	_ "github.com/connectors-go/connectors/sources/gitlab"
	_ "github.com/connectors-go/connectors/sources/graphql"
	_ "github.com/connectors-go/connectors/sources/jira"
	_ "github.com/connectors-go/connectors/sources/mongodb"
	_ "github.com/connectors-go/connectors/sources/mssql"
	_ "github.com/connectors-go/connectors/sources/mysql"
	_ "github.com/connectors-go/connectors/sources/networkdrive"
	_ "github.com/connectors-go/connectors/sources/oracle"
	_ "github.com/connectors-go/connectors/sources/postgresql"
	_ "github.com/connectors-go/connectors/sources/redis"
	_ "github.com/connectors-go/connectors/sources/s3"
)
