// Package storehttp is the HTTP client the object-store sources (s3, google_cloud_storage,
// azure_blob_storage) share: a transport with bounded connect, TLS and first-byte times, whose
// connections are tracked (conntrack) so that Close ends every one of them, idle or not; and
// Escape, the percent-encoding of object names in URLs.
package storehttp

import (
	"net"
	"net/http"
	"time"

	"github.com/connectors-go/connectors/sources/internal/conntrack"
)

// Client is an http.Client on a tracked transport.
type Client struct {
	HTTP *http.Client
	// Transport is HTTP's transport; its ResponseHeaderTimeout doubles as the idle limit of
	// downloads (retry.WatchBody).
	Transport *http.Transport
	conns     *conntrack.Tracker
}

// New builds a client: connect bounds dialling and the TLS handshake, firstByte the wait for an
// answer's headers; idlePerHost is how many idle connections a host keeps.
func New(connect, firstByte time.Duration, idlePerHost int) *Client {
	conns := &conntrack.Tracker{}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           conns.Dial((&net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}).DialContext),
		TLSHandshakeTimeout:   connect,
		ResponseHeaderTimeout: firstByte,
		MaxIdleConnsPerHost:   idlePerHost,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &Client{HTTP: &http.Client{Transport: tr}, Transport: tr, conns: conns}
}

// Close ends every connection the client opened, idle or not: a source calls it from its own
// Close, when by the SDK's contract no download is open any more.
func (c *Client) Close() {
	c.Transport.CloseIdleConnections()
	c.conns.Close()
}
