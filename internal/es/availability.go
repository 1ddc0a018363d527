package es

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// UnavailableAfter is how long one call must have been trying, and failing, to reach
// Elasticsearch (no connection, a timeout, an answer cut short, 502, 503 or
// 504) before the client tells its availability watchers. A call retries
// for up to elasticsearch.retry_budget (100 s by default) before it fails;
// without this, an outage shorter than that would be seen by no one but
// the retry loop's own log lines: /readyz would stay ready and other
// instances' jobs would be watched as if their workers could report.
const UnavailableAfter = time.Second

// AvailabilityWatcher learns, from the calls the client makes, when
// Elasticsearch stops answering and when it answers again.
type AvailabilityWatcher struct {
	// Unavailable is called once per call that has been failing for
	// UnavailableAfter, with its last error and the time the call began.
	Unavailable func(err error, callStarted time.Time)
	// Answered is called for every attempt answered with a 2xx or 3xx,
	// with the time the attempt began.
	Answered func(attemptStarted time.Time)
}

type watchers struct {
	mu   sync.RWMutex
	list []AvailabilityWatcher
}

// WatchAvailability adds w to the watchers of this client and of the
// clients derived from it (WithoutRetries).
func (c *Client) WatchAvailability(w AvailabilityWatcher) {
	c.watchers.mu.Lock()
	defer c.watchers.mu.Unlock()
	c.watchers.list = append(c.watchers.list, w)
}

func (c *Client) watching() []AvailabilityWatcher {
	c.watchers.mu.RLock()
	defer c.watchers.mu.RUnlock()
	return c.watchers.list
}

// unreachable says whether a failed attempt means that Elasticsearch could
// not serve at all, as opposed to a busy cluster (429) or a bad answer.
func unreachable(res *http.Response, err, readErr error) bool {
	if err != nil || readErr != nil {
		return true
	}
	switch res.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// attemptError describes a failed attempt for the watchers.
func (c *Client) attemptError(req *http.Request, res *http.Response, err, readErr error) error {
	if err == nil {
		err = readErr
	}
	if err != nil {
		return c.wrapTransportErr(req, err, "")
	}
	return &Error{Status: res.StatusCode, Method: req.Method, Path: req.URL.Path, Reason: "HTTP " + strconv.Itoa(res.StatusCode)}
}
