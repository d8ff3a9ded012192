# syntax=docker/dockerfile:1
# Signpost's image: one image for the API (the default command), the workers and the CLI.
#   build stage:   every dependency, `npm run build` (TypeScript to dist/), then the dev
#                  dependencies pruned away;
#   runtime stage: Node, the production dependencies and dist/ only, run as the unprivileged
#                  `node` user. Nothing is installed or compiled when a container starts.
ARG NODE_VERSION=26

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY config ./config
COPY migrations ./migrations
COPY src ./src
COPY workers ./workers
RUN npm run build && npm prune --omit=dev

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# The heap settings `npm start` and `npm run worker` use: each process stays under 200 MB RSS
# under load (docs/benchmarks.md#the-runtime-before-and-after-the-build). Source maps point
# stack traces at the TypeScript.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 \
    NODE_OPTIONS="--enable-source-maps --max-old-space-size=160 --max-semi-space-size=8"
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN ln -s /app/dist/src/cli/index.js /usr/local/bin/signpost && chmod 0755 /app/dist/src/cli/index.js
USER node
EXPOSE 3000
# /readyz answers 200 only while Postgres and Redis both answer. A worker container sets
# HEALTH_PORT to its own health endpoint (docker-compose.yml).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.HEALTH_PORT || process.env.PORT || 3000}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/server.js"]
