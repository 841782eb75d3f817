# syntax=docker/dockerfile:1
# SOC Defenders: one image for a single node (SQLite in the /app/data volume) or for API nodes on PostgreSQL.
#   docker build -t socd .
#   docker run -d --name socd -p 8080:8080 -v socd-data:/app/data socd
# See docs/deploy.md.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: dev dependencies, tsc, then production dependencies only -------------------------------------------
FROM ${NODE_IMAGE} AS build
# better-sqlite3 installs a prebuilt binary on linux-x64/arm64 (glibc); the compilers are only its fallback for
# other platforms, and stay in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Dependencies in their own layer, rebuilt only when the lock file changes. --ignore-scripts skips the package's
# `prepare` (tsc needs the sources, copied below); better-sqlite3's install step (its native binary) runs through
# `npm rebuild`.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
COPY tsconfig.json ./
COPY src ./src
COPY web ./web
# tsc, then the web console (vite → web/dist).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# Code and dependencies belong to root, read-only for the service user; it writes only to /app/data.
# package.json is needed at run time: it makes the .js files ES modules. schemas/ holds the OASIS STIX 2.1 schemas
# that writable TAXII collections validate against.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/web/dist ./web/dist
COPY bin ./bin
COPY schemas ./schemas
# `node` (uid 1000) is the unprivileged user of the official image. The default database is
# sqlite:./data/socd.db = /app/data/socd.db; a named volume mounted here takes this directory's owner.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 8080
# Liveness: the process answers. (/readyz, which also needs the database, is for load balancers.) No curl in the
# slim image: Node's own fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node is PID 1 here: socd serve handles SIGTERM itself (stops the scheduler, records key use, closes the database).
CMD ["node", "bin/socd.js", "serve"]
