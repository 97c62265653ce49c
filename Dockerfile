# quizd: multi-stage build on Debian bookworm; the runtime image holds only
# the binaries, the bundled corpus and review files, and the web client.
FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev make cmake pkg-config \
      libwebsockets-dev libuv1-dev libjansson-dev libqrencode-dev libicu-dev libssl-dev \
      libsqlite3-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY server ./server
COPY protocol ./protocol
COPY web-client ./web-client
COPY tests ./tests
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DQZ_E2E=OFF -DQZ_BENCH=OFF \
      -DQZ_DATA_DIR=/usr/share/quizd/data -DQZ_WEB_ROOT=/usr/share/quizd/web-client \
 && cmake --build build -j"$(nproc)" --target quizd quizd-pack

FROM debian:bookworm-slim
# libwebsockets loads its libuv event-loop plugin with dlopen at run time:
# libwebsockets-evlib-uv must be installed explicitly (no package depends on it).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libwebsockets17 libwebsockets-evlib-uv libuv1 \
      libjansson4 libqrencode4 libicu72 libssl3 libsqlite3-0 curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin quizd \
 && mkdir -p /packs /data && chown quizd /data && chmod 0700 /data
COPY --from=build /src/build/quizd /src/build/quizd-pack /usr/local/bin/
COPY server/data /usr/share/quizd/data
COPY web-client /usr/share/quizd/web-client
USER quizd
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=5s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["quizd"]
# Games live in /data (a volume): they survive a restart of the container.
VOLUME /data
CMD ["--port=8080", "--bind=0.0.0.0", "--packs=/packs", "--data=/data"]
