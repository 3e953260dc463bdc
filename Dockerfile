# syntax=docker/dockerfile:1
# Hookline in a container: built with the Swift toolchain image, run on Debian slim with the
# system OpenSSL's libcrypto (libssl3), which computes every HMAC.
#   docker build -t hookline .
#   docker run -p 8080:8080 -v hookline-state:/var/lib/hookline --env-file hookline.env hookline

FROM swift:6.2-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Resolve dependencies in their own layer so source edits do not refetch them.
COPY Package.swift ./
RUN swift package resolve
COPY . .
RUN swift build -c release --product hookline --static-swift-stdlib \
 && install -D "$(swift build -c release --show-bin-path)/hookline" /out/hookline

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl3 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/hookline --shell /usr/sbin/nologin hookline \
 && install -d -o hookline -g hookline -m 0750 /var/lib/hookline
COPY --from=build /out/hookline /usr/local/bin/hookline
COPY deploy/hookline.example.yaml /etc/hookline/hookline.yaml
USER hookline
WORKDIR /var/lib/hookline
ENV HOOKLINE_HOST=0.0.0.0 \
    HOOKLINE_PORT=8080 \
    HOOKLINE_AUDIT_LOG=/var/lib/hookline/audit.jsonl
VOLUME ["/var/lib/hookline"]
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/hookline"]
CMD ["serve", "--config", "/etc/hookline/hookline.yaml", "--log-format", "json"]
