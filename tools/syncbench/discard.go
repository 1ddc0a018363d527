package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// serveDiscard answers what the sync engine sends during a first sync — GET <index>/_count and
// _bulk — and keeps nothing: _bulk reads the body, answers every item as created and throws the
// documents away. Syncing into it measures the engine's own ceiling, with no server work to wait
// for beyond reading the bytes.
func serveDiscard(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	fmt.Println("READY http://" + l.Addr().String())
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		switch {
		case strings.HasSuffix(r.URL.Path, "/_bulk"):
			discardBulk(w, r)
		case strings.HasSuffix(r.URL.Path, "/_count"):
			_, _ = io.WriteString(w, `{"count":0}`)
		default:
			_, _ = io.Copy(io.Discard, r.Body)
			_, _ = io.WriteString(w, `{}`)
		}
	})
	return http.Serve(l, mux)
}

func discardBulk(w http.ResponseWriter, r *http.Request) {
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	var out bytes.Buffer
	out.WriteString(`{"took":1,"errors":false,"items":[`)
	n := 0
	for sc.Scan() {
		var action map[string]struct {
			ID string `json:"_id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &action); err != nil || len(action) != 1 {
			http.Error(w, `{"error":{"type":"parse_exception","reason":"bad action line"}}`, http.StatusBadRequest)
			return
		}
		for kind, meta := range action {
			if n > 0 {
				out.WriteByte(',')
			}
			id, _ := json.Marshal(meta.ID)
			status, result := 201, "created"
			if kind == "delete" {
				status, result = 200, "deleted"
			} else if !sc.Scan() {
				http.Error(w, `{"error":{"type":"parse_exception","reason":"missing document line"}}`, http.StatusBadRequest)
				return
			}
			fmt.Fprintf(&out, `{%q:{"_id":%s,"status":%d,"result":%q}}`, kind, id, status, result)
			n++
		}
	}
	out.WriteString("]}")
	_, _ = w.Write(out.Bytes())
}
