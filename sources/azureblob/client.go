package azureblob

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/connectors-go/connectors/sources/internal/retry"
	"github.com/connectors-go/connectors/sources/internal/storehttp"
)

// apiVersion is the Blob service REST version the client speaks; old enough for Azure Stack
// and Azurite, new enough to list creation times and access tiers.
const apiVersion = "2021-12-02"

// client calls the Blob service REST API with Shared Key authorisation.
type client struct {
	endpoint *url.URL // the account's blob endpoint, path without a trailing slash
	account  string
	key      []byte
	httpc    *http.Client
	policy   retry.Policy
}

// escapePath percent-encodes a blob path the way the Azure SDKs do: everything but unreserved
// characters, "/" and "~".
func escapePath(p string) string { return storehttp.Escape(p, "-_.~/") }

// url builds the URL of a resource under the endpoint (path already escaped) with a query.
func (c *client) url(path string, q url.Values) (*url.URL, error) {
	raw := c.endpoint.Scheme + "://" + c.endpoint.Host + c.endpoint.EscapedPath() + path
	if len(q) > 0 {
		raw += "?" + q.Encode()
	}
	return url.Parse(raw)
}

// sign adds the Shared Key authorisation to a request.
func (c *client) sign(req *http.Request, now time.Time) {
	req.Header.Set("x-ms-date", now.UTC().Format(http.TimeFormat))
	req.Header.Set("x-ms-version", apiVersion)
	var headers []string
	for k, vs := range req.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-ms-") {
			headers = append(headers, lk+":"+collapse(strings.Join(vs, ",")))
		}
	}
	sort.Strings(headers)
	var b strings.Builder
	b.WriteString(req.Method + "\n")
	for _, h := range []string{"Content-Encoding", "Content-Language", "Content-Length", "Content-MD5", "Content-Type", "Date",
		"If-Modified-Since", "If-Match", "If-None-Match", "If-Unmodified-Since", "Range"} {
		v := req.Header.Get(h)
		if h == "Content-Length" {
			v = ""
			if req.ContentLength > 0 {
				v = strconv.FormatInt(req.ContentLength, 10)
			}
		}
		b.WriteString(v + "\n")
	}
	for _, h := range headers {
		b.WriteString(h + "\n")
	}
	b.WriteString(c.canonicalResource(req.URL))
	mac := hmac.New(sha256.New, c.key)
	mac.Write([]byte(b.String()))
	req.Header.Set("Authorization", "SharedKey "+c.account+":"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

// canonicalResource is "/account/path" and the query parameters, lower-cased and sorted,
// one per line with their values joined by commas.
func (c *client) canonicalResource(u *url.URL) string {
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	out := "/" + c.account + path
	q := u.Query()
	names := make([]string, 0, len(q))
	lower := map[string][]string{}
	for k, vs := range q {
		lk := strings.ToLower(k)
		if _, ok := lower[lk]; !ok {
			names = append(names, lk)
		}
		lower[lk] = append(lower[lk], vs...)
	}
	sort.Strings(names)
	for _, n := range names {
		vs := lower[n]
		sort.Strings(vs)
		out += "\n" + n + ":" + strings.Join(vs, ",")
	}
	return out
}

// get sends a signed GET under the retry policy and returns the response of the first try that
// was not retried; any answer but 200 or 206 is returned as an *apiError.
func (c *client) get(ctx context.Context, what, path string, q url.Values) (*http.Response, error) {
	u, err := c.url(path, q)
	if err != nil {
		return nil, err
	}
	resp, err := c.policy.Do(ctx, c.httpc, what, func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, err
		}
		c.sign(req, time.Now())
		return req, nil
	})
	if err != nil {
		var se *retry.StatusError
		if errors.As(err, &se) {
			return nil, newAPIError(se, err)
		}
		return nil, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		se := retry.NewStatusError(resp)
		return nil, newAPIError(se, se)
	}
	return resp, nil
}

// getXML GETs and decodes an XML answer.
func (c *client) getXML(ctx context.Context, what, path string, q url.Values, out any) error {
	resp, err := c.get(ctx, what, path, q)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := xml.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s: the answer is not the XML expected: %w", what, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	return nil
}

// apiError is an error answer of the Blob service: its code (AuthenticationFailed,
// ContainerNotFound, ServerBusy, …) and message.
type apiError struct {
	Status  int
	Code    string
	Message string
	Detail  string
	err     error
}

func (e *apiError) Error() string {
	msg := fmt.Sprintf("HTTP %d", e.Status)
	if e.Code != "" {
		msg += " " + e.Code
	}
	if e.Message != "" {
		msg += ": " + firstLine(e.Message)
	}
	if e.Detail != "" {
		msg += " (" + firstLine(e.Detail) + ")"
	}
	return msg
}

func (e *apiError) Unwrap() error { return e.err }

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}

func newAPIError(se *retry.StatusError, wrapped error) *apiError {
	var body struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
		Detail  string `xml:"AuthenticationErrorDetail"`
	}
	_ = xml.Unmarshal([]byte(se.Body), &body)
	code := body.Code
	if code == "" && se.Header != nil {
		code = se.Header.Get("x-ms-error-code")
	}
	return &apiError{Status: se.Status, Code: code, Message: body.Message, Detail: body.Detail, err: wrapped}
}

// metadata keeps name/value pairs in the order the service lists them: the original renders
// them with Python's str(dict), which keeps that order.
type metadata struct {
	present bool
	pairs   [][2]string
}

func (m *metadata) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	m.present = true
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			var v string
			if err := d.DecodeElement(&v, &t); err != nil {
				return err
			}
			m.pairs = append(m.pairs, [2]string{t.Name.Local, v})
		case xml.EndElement:
			return nil
		}
	}
}

type containerList struct {
	Containers []struct {
		Name     string   `xml:"Name"`
		Metadata metadata `xml:"Metadata"`
	} `xml:"Containers>Container"`
	NextMarker string `xml:"NextMarker"`
}

type blobName struct {
	Encoded bool   `xml:"Encoded,attr"`
	Value   string `xml:",chardata"`
}

type blobItem struct {
	Name       blobName `xml:"Name"`
	Properties struct {
		CreationTime  string `xml:"Creation-Time"`
		LastModified  string `xml:"Last-Modified"`
		ContentLength int64  `xml:"Content-Length"`
		ContentType   string `xml:"Content-Type"`
		LeaseStatus   string `xml:"LeaseStatus"`
		LeaseState    string `xml:"LeaseState"`
		LeaseDuration string `xml:"LeaseDuration"`
		AccessTier    string `xml:"AccessTier"`
	} `xml:"Properties"`
	Metadata metadata `xml:"Metadata"`
}

type blobList struct {
	Blobs      []blobItem `xml:"Blobs>Blob"`
	NextMarker string     `xml:"NextMarker"`
}

// name is the blob's name, decoded when the service had to URL-encode it (names with
// characters XML cannot carry).
func (b *blobItem) name() string {
	if b.Name.Encoded {
		if n, err := url.PathUnescape(b.Name.Value); err == nil {
			return n
		}
	}
	return b.Name.Value
}
