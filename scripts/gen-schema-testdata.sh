#!/bin/sh
# Regenerates connector/testdata/sources-config.json, the committed copy of the original service's
# per-source configuration schemas, stripped of labels and tooltips (the original's prose).
#
# The full dump is looked up in $CONNECTORS_SPEC_DIR, else in shared/spec/ next to (or above) the
# repository. Usage: scripts/gen-schema-testdata.sh
set -eu
cd "$(dirname "$0")/.."
go test ./connector -run '^TestCommittedSchemaCopy$' -count=1 -update
git --no-pager diff --stat -- connector/testdata/sources-config.json
