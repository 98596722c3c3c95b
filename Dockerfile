# Switchboard service image (README "Docker").
#
#   docker build -t switchboard .                  # npm 10 (node:20); npm 11: --build-arg NODE_IMAGE=node:24-bookworm-slim
#   docker run --rm --init -v sb-data:/data -p 8787:8787 switchboard demo   # scripted model, no config, no account
#   docker run -d --init -v sb-data:/data -v "$PWD/switchboard.json:/config/switchboard.json:ro" -e OPENAI_API_KEY -p 8787:8787 switchboard
#
# State (state.json, logs, admin socket, the demo's codex home and workspace) lives in the /data
# volume: SWITCHBOARD_STATE_DIR=/data wins over the config's stateDir, and /data is also the working
# directory, so relative paths in a config (./workspace) land there. The process runs as the image's
# `node` user (uid 1000); a bind-mounted /data must be writable by it (a named volume is).
# SWITCHBOARD_HOST=0.0.0.0 makes the demo's web chat reachable through -p (behind an access token:
# the demo prints its one-click link, or pass -e SWITCHBOARD_WEB_TOKEN); for serve, your config's web
# channel must listen on "0.0.0.0:8787" with an auth.token (config/switchboard.docker.json reads
# $SWITCHBOARD_WEB_TOKEN: docker run -e SWITCHBOARD_WEB_TOKEN="$(openssl rand -hex 32)" …).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
# No install scripts: the only packages with one (esbuild, protobufjs) are dev tools the build does
# not need, so npm 10 and npm 11 behave alike. Then compile, and drop the dev dependencies.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    SWITCHBOARD_STATE_DIR=/data \
    SWITCHBOARD_HOST=0.0.0.0 \
    SWITCHBOARD_HEALTH_URL=http://127.0.0.1:8787/readyz
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY skills ./skills
COPY config ./config
# /data belongs to `node`, so a new named volume starts out writable; `switchboard` on PATH lets
# `docker exec CONTAINER switchboard status` work.
RUN mkdir -p /data /config \
 && chown node:node /data \
 && chmod 755 /app/dist/cli/main.js \
 && ln -s /app/dist/cli/main.js /usr/local/bin/switchboard
USER node
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8787
# GET /readyz with node's own fetch (no curl in slim images): healthy once every dispatcher is ready
# and every channel started. Another port or health.listen: docker run -e SWITCHBOARD_HEALTH_URL=….
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.SWITCHBOARD_HEALTH_URL||'http://127.0.0.1:8787/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["serve", "--config", "/config/switchboard.json"]
