// Package examples holds the end-to-end tests of the examples in this folder. Each example is
// its own Go module (examples/custom-connector builds a service binary with an extra source), so
// `go test ./...` at the repository root does not reach it; the tests here build the example's
// binary and drive it against an in-process Elasticsearch stand-in the way a user would.
package examples
