// Package connector is the public SDK for writing data sources for the connectors service.
//
// A data source is described by a [Factory]: its service type, display name, feature flags, the
// configuration fields Kibana renders, and a constructor. Factories register themselves from an
// init function with [Register], the way database/sql drivers do, so a binary chooses its sources
// by importing them (sources/all imports every built-in one).
//
// The service reads a connector's stored configuration from Elasticsearch, turns it into a
// [Config] with [NewConfig] (applying the original Python service's conversion rules), checks it
// with [Config.MissingFields] and [Config.Validate], builds the [Source] with Factory.New, and then
// drives it:
//
//	Ping -> Docs (or IncrementalDocs / AccessControl) -> Close
//
// Documents are pushed through an emit callback. The callback blocks while the service's queue is
// full, which is how backpressure reaches the source; it returns an error when the job is
// cancelled or has failed, and the source must then stop and return that error. Binary content is
// never read by the source itself: a [Document] carries a [Content] whose Open function the
// service calls later, if and when it decides to extract text.
//
// Every source should pass the acceptance suite in package connectortest.
package connector
