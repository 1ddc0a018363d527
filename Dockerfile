# syntax=docker/dockerfile:1
#
# The connectors service as a small static image that runs as a non-root user.
# As with Elastic's image, the configuration is mounted at /config:
#
#   docker build -t connectors-go .            (or: make image)
#   docker run -v "$PWD/config:/config" --network host connectors-go -c /config/config.yml
#
# The entrypoint is elastic-ingest, so the original image's command lines work
# unchanged (`… connectors-go /app/bin/elastic-ingest -c /config/config.yml` too).
# The operator CLI is the same binary:
#   docker run --entrypoint /app/bin/connectors connectors-go connector list -c /config/config.yml

ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
ARG COMMIT=""
RUN v="${VERSION:-$(cat VERSION)}" \
 && CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/connectors-go/connectors/internal/version.Version=${v} -X github.com/connectors-go/connectors/internal/version.Commit=${COMMIT}" \
      -o /out/app/bin/connectors ./cmd/connectors \
 && ln -s connectors /out/app/bin/elastic-ingest \
 && mkdir -p /out/config /out/app/files \
 && /out/app/bin/connectors version

# distroless/static: CA certificates, tzdata and a nonroot user (65532), no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build --chown=65532:65532 /out/ /
WORKDIR /app
USER 65532:65532
# service.metrics_addr: 0.0.0.0:9110 serves /metrics, /healthz and /readyz here.
EXPOSE 9110
ENTRYPOINT ["/app/bin/elastic-ingest"]
CMD ["-c", "/config/config.yml"]
