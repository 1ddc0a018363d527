// Package extract turns the binary content of a synced file into something Elasticsearch can index.
//
// The Python connector service has two ways to do that, and this package offers both plus a third:
//
//   - attachment mode (the default): the file is base64-encoded into the document's `_attachment` field and
//     the ingest pipeline's attachment processor extracts it inside Elasticsearch;
//   - service mode: the file is sent to a Data Extraction Service (`extraction_service.*` in config.yml) and
//     the returned text becomes the document's `body`;
//   - local mode: the text is extracted in this process (PDF, Office Open XML, OpenDocument text, RTF, HTML,
//     XML and plain-text formats) and becomes `body`, so neither Elasticsearch nor a sidecar pays for it.
//
// All three implement [Extractor]. A [Selector] built once per process from [Config] picks the right one for
// each sync job. Every extractor enforces its byte limits while reading, honours its context, and turns
// malformed input into errors rather than panics, so a bad file costs at most the document's body.
package extract
