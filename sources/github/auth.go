package github

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// appAuth signs as a GitHub App: a JSON web token (RS256, signed with the app's private key)
// for the /app endpoints, exchanged for an installation access token per account, which
// expires and is renewed on 401.
type appAuth struct {
	id  int64
	key *rsa.PrivateKey

	mu        sync.Mutex
	inst      []installation // the installations of the right kind, read once
	read      bool
	tokens    map[int64]string
	currentID int64
}

type installation struct {
	id    int64
	login string
}

func newAppAuth(id int, keyPEM string) (*appAuth, error) {
	if id <= 0 {
		return nil, errors.New(`configuration field "app_id": give the GitHub App's numeric id`)
	}
	blk, _ := pem.Decode([]byte(strings.TrimSpace(keyPEM)))
	if blk == nil {
		return nil, errors.New(`configuration field "private_key": no PEM private key found (paste the key GitHub generated for the app, -----BEGIN RSA PRIVATE KEY----- included)`)
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		key = k
	} else if k8, err8 := x509.ParsePKCS8PrivateKey(blk.Bytes); err8 == nil {
		rk, ok := k8.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New(`configuration field "private_key": the key is not an RSA key (GitHub Apps sign with RSA)`)
		}
		key = rk
	} else {
		return nil, errors.New(`configuration field "private_key": the PEM block is not an RSA private key`)
	}
	return &appAuth{id: int64(id), key: key, tokens: map[int64]string{}}, nil
}

// jwt is a token valid for ten minutes (issued a minute in the past, against clock drift), as
// GitHub's documentation asks.
func (a *appAuth) jwt(now time.Time) (string, error) {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	head := enc(map[string]string{"alg": "RS256", "typ": "JWT"})
	claims := enc(map[string]any{"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(9 * time.Minute).Unix(), "iss": strconv.FormatInt(a.id, 10)})
	sum := sha256.Sum256([]byte(head + "." + claims))
	sig, err := rsa.SignPKCS1v15(rand.Reader, a.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("configuration field \"private_key\": signing the app's token: %w", err)
	}
	return head + "." + claims + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

func (a *appAuth) current() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.tokens[a.currentID]
}

// appGet sends a GET with the app's JSON web token.
func (s *Source) appGet(ctx context.Context, u string, out any) error {
	_, err := s.appDo(ctx, http.MethodGet, u, out)
	return err
}

func (s *Source) appDo(ctx context.Context, method, u string, out any) (http.Header, error) {
	jwt, err := s.app.jwt(time.Now())
	if err != nil {
		return nil, err
	}
	var body []byte
	if method == http.MethodPost {
		body = []byte("{}")
	}
	resp, err := s.client.Do(ctx, method, u, body, http.Header{"Authorization": {"Bearer " + jwt}})
	if err != nil {
		return nil, s.explain(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%s %s: reading the answer: %w", method, u, err)
	}
	return resp.Header, nil
}

var reNext = regexp.MustCompile(`<([^>]+)>;\s*rel="next"`)

// installations lists the app's installations that are not suspended and whose account is of
// the configured kind (organizations for repo_type organization, users for other).
func (s *Source) installations(ctx context.Context) ([]installation, error) {
	a := s.app
	a.mu.Lock()
	if a.read {
		defer a.mu.Unlock()
		return a.inst, nil
	}
	a.mu.Unlock()
	want := "User"
	if s.repoType == Organization {
		want = "Organization"
	}
	var out []installation
	for u := s.rest + "/app/installations?per_page=100"; u != ""; {
		var page []struct {
			ID          int64 `json:"id"`
			SuspendedAt any   `json:"suspended_at"`
			Account     struct {
				Login string `json:"login"`
				Type  string `json:"type"`
			} `json:"account"`
		}
		h, err := s.appDo(ctx, http.MethodGet, u, &page)
		if err != nil {
			return nil, fmt.Errorf("listing the GitHub App's installations: %w", err)
		}
		for _, i := range page {
			if i.SuspendedAt != nil {
				s.log.Debug("skipping a suspended installation", "installation", i.ID)
				continue
			}
			if i.Account.Type == want {
				out = append(out, installation{id: i.ID, login: i.Account.Login})
			}
		}
		u = ""
		if m := reNext.FindStringSubmatch(h.Get("Link")); m != nil {
			u = m[1]
		}
	}
	a.mu.Lock()
	a.inst, a.read = out, true
	a.mu.Unlock()
	return out, nil
}

// useOwner makes the installation on owner the current one (creating its token when needed);
// false when the app is not installed there.
func (s *Source) useOwner(ctx context.Context, owner string) (bool, error) {
	inst, err := s.installations(ctx)
	if err != nil {
		return false, err
	}
	for _, i := range inst {
		if strings.EqualFold(i.login, owner) {
			s.app.mu.Lock()
			s.app.currentID = i.id
			have := s.app.tokens[i.id] != ""
			s.app.mu.Unlock()
			if !have {
				if err := s.newInstallationToken(ctx, i.id); err != nil {
					return false, err
				}
			}
			return true, nil
		}
	}
	return false, nil
}

func (s *Source) newInstallationToken(ctx context.Context, id int64) error {
	var tok struct {
		Token string `json:"token"`
	}
	if _, err := s.appDo(ctx, http.MethodPost, fmt.Sprintf("%s/app/installations/%d/access_tokens", s.rest, id), &tok); err != nil {
		return fmt.Errorf("getting an access token for installation %d: %w", id, err)
	}
	s.app.mu.Lock()
	s.app.tokens[id] = tok.Token
	s.app.mu.Unlock()
	return nil
}

// refreshInstallationToken renews the current installation's token after a 401: installation
// tokens expire after an hour.
func (s *Source) refreshInstallationToken(ctx context.Context) (bool, error) {
	s.app.mu.Lock()
	id := s.app.currentID
	s.app.mu.Unlock()
	if id == 0 {
		return false, nil
	}
	s.log.Debug("the installation access token expired; renewing it", "installation", id)
	if err := s.newInstallationToken(ctx, id); err != nil {
		return false, err
	}
	return true, nil
}
