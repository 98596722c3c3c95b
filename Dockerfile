# Switchboard service image. Mount your config at /config/switchboard.json and a volume at /data
# (set "stateDir": "/data" in the config). Codex credentials: mount a CODEX_HOME (config codex.home)
# or pass OPENAI_API_KEY. To reach the web chat from outside the container, listen on "0.0.0.0:8787".
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY skills ./skills
COPY config ./config
VOLUME ["/data"]
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve", "--config", "/config/switchboard.json"]
