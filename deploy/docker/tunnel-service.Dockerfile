# tunnel-service as a container image: the single-file executable from `npm run release` on a root file
# system that holds only what it needs: the C libraries Node.js links, a non-root user, /tmp and the
# data directory. From the repository root, after `npm run release`:
#   docker build -f deploy/docker/tunnel-service.Dockerfile -t mcp-tunnel/tunnel-service:0.1.0 .
# Run it with a read-only root file system, a tmpfs at /tmp (the executable unpacks its web console there
# at start) and a volume at /var/lib/tunnel-service: see docs/deployment.md.
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${BASE_IMAGE} AS rootfs
COPY release/bin/tunnel-service-linux-x64 /rootfs/usr/local/bin/tunnel-service
COPY deploy/docker/rootfs.sh /rootfs.sh
RUN sh /rootfs.sh /rootfs /var/lib/tunnel-service

FROM scratch
COPY --from=rootfs /rootfs/ /
USER 65532:65532
ENV TUNNEL_SERVICE_HOST=0.0.0.0 \
    TUNNEL_SERVICE_PORT=8787 \
    TUNNEL_SERVICE_DATA_DIR=/var/lib/tunnel-service
VOLUME /var/lib/tunnel-service
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=10s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/tunnel-service", "health", "--url", "http://127.0.0.1:8787"]
ENTRYPOINT ["/usr/local/bin/tunnel-service"]
CMD ["start"]
