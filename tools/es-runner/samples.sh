#!/bin/bash
# Replays a fixed list of requests against ES_URL and prints each request with the raw status line,
# headers (minus content-length) and body. The output is the reference for what estest must
# reproduce; regenerate with:  ES_URL=http://127.0.0.1:9201 tools/es-runner/samples.sh > tools/es-runner/samples/<version>.txt
# It creates and deletes the index "t1" and the pipeline "search-default-ingestion"; use an empty node.
set -u
U=${ES_URL:?set ES_URL, e.g. from scripts/es-up.sh}

req() { # method path [body] [content-type]
	local m=$1 p=$2 b=${3:-} ct=${4:-application/json}
	echo "### $m $p"
	if [ -n "$b" ]; then
		printf '%s\n' "$b"
		echo
		curl -s -i -X "$m" "$U$p" -H "content-type: $ct" --data-binary "$b"
	elif [ "$m" = HEAD ]; then
		curl -s -I "$U$p"
	else
		curl -s -i -X "$m" "$U$p"
	fi | tr -d '\r' | grep -v -i '^content-length'
	echo
	echo
}

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

req GET /
req HEAD /
req PUT /t1 '{"mappings":{"properties":{"n":{"type":"integer"},"title":{"type":"text"},"tag":{"type":"keyword"}}}}'
req PUT /t1
req PUT /t1/_doc/1 '{"n":1,"title":"hello world","tag":"a"}'
req PUT '/t1/_doc/1?if_seq_no=5&if_primary_term=1' '{"n":2}'
req PUT /t1/_create/1 '{"n":3}'
req PUT '/t1/_doc/1?op_type=create' '{"n":3}'
req POST '/t1/_update/1?if_seq_no=0&if_primary_term=1' '{"doc":{"n":10}}'
req POST '/t1/_update/1?if_seq_no=0&if_primary_term=1' '{"doc":{"n":11}}'
req POST /t1/_update/nope '{"doc":{"n":11}}'
req POST /t1/_update/1 '{"script":{"source":"ctx._source.n += 1"}}'
req GET /t1/_doc/1
req HEAD /t1/_doc/1
req GET /t1/_doc/nope
req GET /missing/_doc/1
req GET /missing/_search
req PUT /t1/_doc/2 '{"n":"not a number"}'
req PUT /t1/_doc/3 '{"n":'
req PUT /t5 '{"mappings":{"properties":{"x":{"type":"nope"}}}}'
req PUT /Upper
req POST /_bulk $'{"index":{"_index":"t1","_id":"10"}}\n{"n":10,"tag":"b"}\n{"index":{"_index":"t1","_id":"11"}}\n{"n":"bad"}\n{"create":{"_index":"t1","_id":"1"}}\n{"n":1}\n{"update":{"_index":"t1","_id":"nope"}}\n{"doc":{"n":1}}\n{"delete":{"_index":"t1","_id":"nope2"}}\n{"index":{"_index":"t1","_id":"12","if_seq_no":99,"if_primary_term":1}}\n{"n":12}\n' application/x-ndjson
req POST /t1/_refresh
req GET /t1/_count
req POST /t1/_search '{"size":2,"sort":[{"n":"asc"}],"query":{"match_all":{}},"seq_no_primary_term":true}'
req POST /t1/_search '{"size":2,"sort":[{"n":"asc"}],"search_after":[1]}'
req POST '/t1/_search?scroll=1m' '{"size":1,"sort":["_doc"],"_source":["n"]}'
sid=$(curl -s -X POST "$U/t1/_search?scroll=1m" -H 'content-type: application/json' -d '{"size":1,"sort":["_doc"]}' | json_field _scroll_id)
req POST /_search/scroll "{\"scroll\":\"1m\",\"scroll_id\":\"$sid\"}"
req DELETE /_search/scroll "{\"scroll_id\":\"$sid\"}"
req DELETE /_search/scroll "{\"scroll_id\":\"$sid\"}"
req POST /_search/scroll "{\"scroll\":\"1m\",\"scroll_id\":\"$sid\"}"
req POST '/t1/_pit?keep_alive=1m'
pit=$(curl -s -X POST "$U/t1/_pit?keep_alive=1m" | json_field id)
req POST /_search "{\"size\":1,\"pit\":{\"id\":\"$pit\",\"keep_alive\":\"1m\"},\"sort\":[{\"n\":\"asc\"},{\"_shard_doc\":\"asc\"}]}"
req POST /t1/_search "{\"size\":1,\"pit\":{\"id\":\"$pit\",\"keep_alive\":\"1m\"}}"
req DELETE /_pit "{\"id\":\"$pit\"}"
req DELETE /_pit "{\"id\":\"$pit\"}"
req GET /t1/_mapping
req PUT /t1/_mapping '{"properties":{"n":{"type":"keyword"}}}'
req GET /_license
req GET /_connector
req GET /_connector/abc
req PUT /_connector/abc '{"index_name":"search-abc","service_type":"mysql"}'
req POST /_connector/_sync_job '{"id":"abc"}'
req GET /_nonexistent_endpoint
req POST /t1/_delete_by_query '{"query":{"match_all":{}}}'
req PUT /_security/api_key '{"name":"x"}'
req GET /_ingest/pipeline/search-default-ingestion
req PUT /_ingest/pipeline/search-default-ingestion '{"description":"empty","processors":[]}'
req PUT /_ingest/pipeline/p2 '{"processors":[{"set":{"field":"x","value":1}}]}'
req POST '/_bulk?pipeline=nope' $'{"index":{"_index":"t1","_id":"20"}}\n{"n":20}\n' application/x-ndjson
req POST '/_bulk?pipeline=search-default-ingestion' $'{"index":{"_index":"t1","_id":"21"}}\n{"n":21}\n' application/x-ndjson
req POST /_bulk $'{"index":{"_index":"t1","_id":"22"}}\n{"n":22}' application/x-ndjson
req HEAD /t1
req HEAD /missing
req GET '/missing?ignore_unavailable=true'
req GET '/t1/_search?bogus=1'
req POST /t1/_search '{"query":{"nope":{}}}'
req POST /.elastic-connectors/_search?expand_wildcards=hidden '{"query":{"match_all":{}}}'
echo "### GET /t1/_doc/1 (Accept: compatible-with=9)"
curl -s -i "$U/t1/_doc/1" -H 'Accept: application/vnd.elasticsearch+json; compatible-with=9' | tr -d '\r' | grep -v -i '^content-length'
echo
echo
echo "### GET /t1/_doc/1 (Accept: compatible-with=7)"
curl -s -i "$U/t1/_doc/1" -H 'Accept: application/vnd.elasticsearch+json; compatible-with=7' | tr -d '\r' | grep -v -i '^content-length'
echo
echo
req DELETE /_ingest/pipeline/search-default-ingestion
req DELETE /t1
req DELETE /missing
