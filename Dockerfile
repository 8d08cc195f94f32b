# The gateway image used by docker-compose.yml. Runs the TypeScript sources with tsx, as `npm run
# gateway` does on a workstation; the config is mounted at /config/plant.yaml, the SQLite database
# (alarm journal, alarm states, outage queues) lives in the /data volume.

# Native modules (better-sqlite3, serialport) fall back to compiling when no prebuilt binary fits.
FROM node:20-bookworm-slim AS deps
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Dev dependencies too: tsx runs the sources.
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY gateway ./gateway
COPY adapters ./adapters
COPY rules ./rules
COPY simulators ./simulators
RUN mkdir -p /data /config && chown node:node /data
USER node
VOLUME ["/data"]
# MQTT (embedded broker; the config must listen on 0.0.0.0).
EXPOSE 1883
CMD ["npm", "run", "gateway", "--", "run", "--config", "/config/plant.yaml"]
