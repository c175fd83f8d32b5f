# storypipe container image.
#
#   docker build -t storypipe:latest .
#   docker run --rm storypipe:latest                      # storypipe --help
#   docker run --rm storypipe:latest storypipe-cleaner    # one service
#
# Build stage: compile with the Debian -dev packages. Runtime stage: only the
# shared libraries the binaries link against, run as an unprivileged user.

FROM debian:bookworm-slim AS build

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      librdkafka-dev libjansson-dev libcurl4-openssl-dev libhiredis-dev \
      libmicrohttpd-dev libxxhash-dev libgmime-3.0-dev libxml2-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .
# BUILD_TESTING=OFF: CMakeLists.txt includes CTest; test programs would land
# in build/bin next to the services and be copied into the image.
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
 && cmake --build build -j


FROM debian:bookworm-slim AS runtime

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librdkafka1 libjansson4 libcurl4 libhiredis0.14 libmicrohttpd12 libxxhash0 \
      libgmime-3.0-0 libxml2 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system storypipe \
 && useradd --system --gid storypipe --home-dir /nonexistent --no-create-home \
      --shell /usr/sbin/nologin storypipe

COPY --from=build /src/build/bin/ /usr/local/bin/

USER storypipe:storypipe
WORKDIR /tmp

# Prometheus metrics (STORYPIPE_METRICS_PORT).
EXPOSE 9100

CMD ["storypipe", "--help"]
