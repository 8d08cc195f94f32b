# The gateway image used by docker-compose.yml. Runs the compiled build (`npm run build`, dist/):
# no TypeScript loader at run time, which starts faster and uses less memory than tsx. The config is
# mounted at /config/plant.yaml; the SQLite database (alarm journal, alarm states, outage queues)
# lives in the /data volume.

# Native modules (better-sqlite3, serialport) fall back to compiling when no prebuilt binary fits.
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY gateway ./gateway
COPY adapters ./adapters
COPY rules ./rules
COPY simulators ./simulators
COPY tests/bench ./tests/bench
COPY tests/helpers ./tests/helpers
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
# jemalloc instead of glibc's malloc. Under glibc the gateway's RSS kept rising (~15-25 MB/h in a
# soak of the demo) with its heap flat: memory freed by Node and SQLite stays with the process in
# fragmented arenas (malloc_trim(0) gave 13 MB back at once); jemalloc returns freed pages to the
# system by itself. A bare soname: the loader finds it on every architecture. README "Memory".
# No background_thread (MALLOC_CONF): with it, a soak gateway deadlocked inside fork() (jemalloc's
# prefork handler, its purging thread and a worker's malloc each waiting on a lock). README "Memory".
RUN apt-get update \
 && apt-get install -y --no-install-recommends libjemalloc2 \
 && rm -rf /var/lib/apt/lists/*
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NODE_ENV=production LD_PRELOAD=libjemalloc.so.2
WORKDIR /app
COPY package.json package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /data /config && chown node:node /data
USER node
VOLUME ["/data"]
# MQTT (embedded broker; the config must listen on 0.0.0.0).
EXPOSE 1883
CMD ["node", "dist/gateway/cli/main.js", "run", "--config", "/config/plant.yaml"]
