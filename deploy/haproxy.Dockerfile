# HAProxy for docker-compose.sharded.yml: Debian's haproxy with the config
# rendered for the compose services (deploy/haproxy-compose.cfg, made by
#   deploy/render-haproxy --listen :8080 A=shard-a:8080 B=shard-b:8080
# and kept in step by the test suite).
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends haproxy \
 && rm -rf /var/lib/apt/lists/*
COPY deploy/haproxy-compose.cfg /etc/haproxy/haproxy.cfg
USER haproxy
EXPOSE 8080
ENTRYPOINT ["haproxy", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
