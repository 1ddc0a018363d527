// Package saasfake holds what every local fake of a SaaS vendor's API shares: response
// validation against the vendor's published API description (OpenAPI), authentication checks
// (basic, bearer tokens that expire), and the vendor's behaviour under load (429 with
// Retry-After and rate-limit headers, transient 5xx, endpoints that keep failing).
//
// A vendor's fake lives in a package of its own under internal/saasfake/<vendor> (atlassian
// serves Jira and Confluence) and is an http.Handler built from these middlewares:
//
//	h := vendorHandler                      // the endpoints the sources call, generated data
//	h = auth.Middleware(h)                  // 401 for missing, wrong or expired credentials
//	h = faults.Middleware(h)                // throttling and failures, as the vendor does them
//	h = validator.Middleware(h)             // tests: every answer checked against the description
//
// The validator sits outermost so that it also sees the throttled and failed answers. Tests
// fail on any answer that leaves the description (see [Validator.Violations]); an endpoint the
// description does not have is a violation too, so the fake cannot grow endpoints the vendor
// does not publish. Where a vendor publishes no description for an endpoint, the vendor package
// keeps a hand-written one next to the published ones and says so.
//
// docs/writing-a-connector.md ("A SaaS source and its fake") explains how to add a vendor.
package saasfake
