# tunnel-client as a container image: the single-file executable from `npm run release` on a root file
# system that holds only what it needs: the C libraries Node.js links, a non-root user and /tmp.
# From the repository root, after `npm run release`:
#   docker build -f deploy/docker/tunnel-client.Dockerfile -t mcp-tunnel/tunnel-client:0.1.0 .
# Run it with a read-only root file system and a tmpfs at /tmp (the executable unpacks its web console
# there at start): see docs/deployment.md.
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${BASE_IMAGE} AS rootfs
COPY release/bin/tunnel-client-linux-x64 /rootfs/usr/local/bin/tunnel-client
COPY deploy/docker/rootfs.sh /rootfs.sh
RUN sh /rootfs.sh /rootfs

FROM scratch
COPY --from=rootfs /rootfs/ /
USER 65532:65532
# The ops server (/healthz, /readyz, /metrics) on every interface, so probes reach it; /ui and /api
# still answer loopback callers only unless admin_ui.allow_remote is set.
ENV HEALTH_LISTEN_ADDR=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/tunnel-client", "health", "--port", "8080"]
ENTRYPOINT ["/usr/local/bin/tunnel-client"]
CMD ["run"]
