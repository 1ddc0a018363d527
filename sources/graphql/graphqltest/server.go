// Package graphqltest is a real GraphQL server for the graphql source's tests and functional test
// fixture: a schema with an organization, a cursor-paginated connection of users (Relay style,
// like the original's functional test server: base64 offset cursors, at most 100 per page) and
// nested objects, executed by github.com/graph-gophers/graphql-go. It answers POST and GET,
// checks basic or bearer credentials when told to, and can throttle requests with 429 and
// Retry-After, as public GraphQL APIs do.
package graphqltest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graph-gophers/graphql-go"
)

// Schema is the server's schema.
const Schema = `
schema {
  query: Query
  mutation: Mutation
}

type Query {
  organization(login: String!): Organization
  users(first: Int, after: String): UserConnection!
  user(id: ID!): User
}

type Mutation {
  touch(id: ID!): User
}

type Organization {
  login: String!
  name: String!
  founded: Int!
  members(first: Int, after: String): UserConnection!
}

type UserConnection {
  totalCount: Int!
  pageInfo: PageInfo!
  nodes: [User!]!
  edges: [UserEdge!]!
}

type UserEdge {
  cursor: String!
  node: User!
}

type PageInfo {
  hasNextPage: Boolean!
  endCursor: String
}

type User {
  id: ID!
  number: Int!
  name: String!
  email: String
  score: Float!
  active: Boolean!
  tags: [String!]!
  address: Address
  updatedAt: String!
  description: String!
}

type Address {
  city: String!
  zip: String
  geo: Geo!
}

type Geo {
  lat: Float!
  lon: Float!
}
`

// MaxPage is the largest page the connection serves.
const MaxPage = 100

// User is one user of the data set.
type User struct {
	ID          graphql.ID
	Number      int32
	Name        string
	Email       *string
	Score       float64
	Active      bool
	Tags        []string
	Address     *Address
	UpdatedAt   string
	Description string
}

// Address is a user's address.
type Address struct {
	City string
	Zip  *string
	Geo  Geo
}

// Geo is a position.
type Geo struct {
	Lat, Lon float64
}

// MakeUser builds the user numbered n deterministically: every third has no email, every fifth
// no address, names and cities include non-ASCII text.
func MakeUser(n int) User {
	u := User{
		ID:          graphql.ID(fmt.Sprintf("user_%d", n)),
		Number:      int32(n),
		Name:        fmt.Sprintf("Usér %d 名前", n),
		Score:       float64(n) + 0.5,
		Active:      n%2 == 0,
		Tags:        []string{"t" + strconv.Itoa(n%3), "all"},
		UpdatedAt:   time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Minute).Format(time.RFC3339),
		Description: strings.Repeat("lorem ipsum ", 1+n%4),
	}
	if n%3 != 0 {
		e := fmt.Sprintf("user%d@example.com", n)
		u.Email = &e
	}
	if n%5 != 0 {
		zip := fmt.Sprintf("%05d", n)
		if n%7 == 0 {
			zip = ""
		}
		var zp *string
		if zip != "" {
			zp = &zip
		}
		u.Address = &Address{City: "Zürich", Zip: zp, Geo: Geo{Lat: 47.0 + float64(n%10)/10, Lon: 8.5}}
	}
	return u
}

// Options configure a server.
type Options struct {
	// Users is the number of users created at start (user_0 … user_<n-1>).
	Users int
	// Token, when set, is the bearer token every request must carry.
	Token string
	// Username and Password, when set, are the basic credentials every request must carry.
	Username, Password string
	// ThrottleEvery makes every n-th request (counting from the first) answer 429 with
	// Retry-After: RetryAfter seconds (default 1).
	ThrottleEvery int
	RetryAfter    int
}

// Server is a running GraphQL server.
type Server struct {
	*httptest.Server
	schema *graphql.Schema
	opts   Options

	mu    sync.RWMutex
	users []User // sorted by number

	requests  atomic.Int64
	throttled atomic.Int64
	fail      atomic.Int64 // answer this many next requests with 500
	failAfter atomic.Value // string: answer 503 (Retry-After: 0) to every request for the page after this cursor
}

// Start runs a server on a free loopback port.
func Start(opts Options) *Server {
	s := &Server{opts: opts}
	for i := range opts.Users {
		s.users = append(s.users, MakeUser(i))
	}
	s.schema = graphql.MustParseSchema(Schema, &resolver{s}, graphql.UseFieldResolvers(), graphql.MaxDepth(20))
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL of the GraphQL endpoint.
func (s *Server) Endpoint() string { return s.URL + "/graphql" }

// Requests is the number of requests received, Throttled how many of them got a 429.
func (s *Server) Requests() int64  { return s.requests.Load() }
func (s *Server) Throttled() int64 { return s.throttled.Load() }

// FailNext makes the next n requests answer 500.
func (s *Server) FailNext(n int) { s.fail.Store(int64(n)) }

// FailPagesAfter makes every request for the page after cursor answer 503 with Retry-After: 0,
// until it is called with "": the pages from there on cannot be read. The cursor is the one the
// server gave as endCursor ([Cursor] of the offset of a page's last user).
func (s *Server) FailPagesAfter(cursor string) { s.failAfter.Store(cursor) }

// Remove deletes users by number; Add adds (or replaces) users.
func (s *Server) Remove(numbers ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	drop := map[int]bool{}
	for _, n := range numbers {
		drop[n] = true
	}
	kept := s.users[:0]
	for _, u := range s.users {
		if !drop[int(u.Number)] {
			kept = append(kept, u)
		}
	}
	s.users = kept
}

// Put adds or replaces users.
func (s *Server) Put(users ...User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, nu := range users {
		replaced := false
		for i := range s.users {
			if s.users[i].Number == nu.Number {
				s.users[i], replaced = nu, true
			}
		}
		if !replaced {
			s.users = append(s.users, nu)
		}
	}
	sort.Slice(s.users, func(i, j int) bool { return s.users[i].Number < s.users[j].Number })
}

// Users returns a copy of the current users.
func (s *Server) Users() []User {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return append([]User(nil), s.users...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	n := s.requests.Add(1)
	if r.URL.Path != "/graphql" {
		http.NotFound(w, r)
		return
	}
	if !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="graphqltest"`)
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	if s.opts.ThrottleEvery > 0 && n%int64(s.opts.ThrottleEvery) == 0 {
		s.throttled.Add(1)
		after := s.opts.RetryAfter
		if after <= 0 {
			after = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(after))
		http.Error(w, `{"message":"API rate limit exceeded"}`, http.StatusTooManyRequests)
		return
	}
	if s.fail.Load() > 0 && s.fail.Add(-1) >= 0 {
		http.Error(w, `{"message":"internal error"}`, http.StatusInternalServerError)
		return
	}
	var params struct {
		Query         string         `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
	}
	switch r.Method {
	case http.MethodPost:
		if err := json.NewDecoder(r.Body).Decode(&params); err != nil {
			http.Error(w, "bad JSON body: "+err.Error(), http.StatusBadRequest)
			return
		}
	case http.MethodGet:
		params.Query = r.URL.Query().Get("query")
		params.OperationName = r.URL.Query().Get("operationName")
		if v := r.URL.Query().Get("variables"); v != "" {
			if err := json.Unmarshal([]byte(v), &params.Variables); err != nil {
				http.Error(w, "bad variables: "+err.Error(), http.StatusBadRequest)
				return
			}
		}
	default:
		http.Error(w, "use GET or POST", http.StatusMethodNotAllowed)
		return
	}
	if c, _ := s.failAfter.Load().(string); c != "" {
		for _, v := range params.Variables {
			if v == c {
				w.Header().Set("Retry-After", "0")
				http.Error(w, `{"message":"page temporarily unavailable"}`, http.StatusServiceUnavailable)
				return
			}
		}
	}
	resp := s.schema.Exec(r.Context(), params.Query, params.OperationName, params.Variables)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func (s *Server) authorized(r *http.Request) bool {
	switch {
	case s.opts.Token != "":
		return r.Header.Get("Authorization") == "Bearer "+s.opts.Token
	case s.opts.Username != "":
		u, p, ok := r.BasicAuth()
		return ok && u == s.opts.Username && p == s.opts.Password
	}
	return true
}

// resolver resolves the root fields.
type resolver struct{ s *Server }

type pageArgs struct {
	First *int32
	After *string
}

func (r *resolver) Users(args pageArgs) (*connection, error) { return r.s.page(args) }

func (r *resolver) User(args struct{ ID graphql.ID }) *User {
	for _, u := range r.s.Users() {
		if u.ID == args.ID {
			return &u
		}
	}
	return nil
}

func (r *resolver) Organization(args struct{ Login string }) *organization {
	if args.Login != "elastic" {
		return nil
	}
	return &organization{s: r.s}
}

func (r *resolver) Touch(args struct{ ID graphql.ID }) *User { return r.User(args) }

type organization struct{ s *Server }

func (o *organization) Login() string                              { return "elastic" }
func (o *organization) Name() string                               { return "Elastic N.V." }
func (o *organization) Founded() int32                             { return 2012 }
func (o *organization) Members(args pageArgs) (*connection, error) { return o.s.page(args) }

// Cursor encodes an offset the way the original's functional test server does.
func Cursor(offset int) string {
	return base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(offset)))
}

func (s *Server) page(args pageArgs) (*connection, error) {
	first := MaxPage
	if args.First != nil {
		first = int(*args.First)
	}
	if first < 0 || first > MaxPage {
		return nil, fmt.Errorf("first must be between 0 and %d", MaxPage)
	}
	offset := 0
	if args.After != nil && *args.After != "" {
		b, err := base64.StdEncoding.DecodeString(*args.After)
		if err != nil {
			return nil, fmt.Errorf("invalid cursor %q", *args.After)
		}
		n, err := strconv.Atoi(string(b))
		if err != nil {
			return nil, fmt.Errorf("invalid cursor %q", *args.After)
		}
		offset = n + 1
	}
	all := s.Users()
	if offset > len(all) {
		offset = len(all)
	}
	end := min(offset+first, len(all))
	c := &connection{total: int32(len(all)), users: all[offset:end], offset: offset}
	c.hasNext = end < len(all)
	if end > offset {
		cur := Cursor(end - 1)
		c.end = &cur
	}
	return c, nil
}

type connection struct {
	total   int32
	users   []User
	offset  int
	hasNext bool
	end     *string
}

func (c *connection) TotalCount() int32 { return c.total }
func (c *connection) PageInfo() *pageInfo {
	return &pageInfo{HasNextPage: c.hasNext, EndCursor: c.end}
}
func (c *connection) Nodes() []User { return c.users }
func (c *connection) Edges() []*edge {
	out := make([]*edge, len(c.users))
	for i, u := range c.users {
		out[i] = &edge{Cursor: Cursor(c.offset + i), Node: u}
	}
	return out
}

type pageInfo struct {
	HasNextPage bool
	EndCursor   *string
}

type edge struct {
	Cursor string
	Node   User
}
