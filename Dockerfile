# syntax=docker/dockerfile:1
#
# CareLocker server image (SPEC §11; docs/deployment.md). Two stages:
#   build    — all dependencies, compiles the server (tsc → dist/src) and the web app (Vite → dist/web)
#   runtime  — node:20-bookworm-slim, production dependencies only, runs as the unprivileged `node` user
#
#   docker build -t carelocker .
#   docker run -p 3000:3000 -e NODE_ENV=production -e DATABASE_URL=… -e MASTER_KEY=… … carelocker
#
# The same image runs an API node (default command) and a job-worker node
# (`node dist/src/cli/worker.js`); the CLIs are `node dist/src/cli/<name>.js` (admin, backup,
# restore, keys-rotate, audit-verify): the npm scripts of the same names run TypeScript through
# tsx, a development dependency that is not in this image. Migrations run at every start
# (Kysely's migrator takes a lock, so several nodes may start at once). A worker node has no
# HTTP server: run it with --no-healthcheck.

FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
# argon2 installs a prebuilt binary (linux-x64 / linux-arm64, glibc): no compiler needed here.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/web ./dist/web
# The code stays root-owned (read-only to the server); only DATA_DIR is the server's to write:
# generated secrets outside production, the embedded database, local blobs, the outbox.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# /ready answers 200 while the database answers, 503 otherwise. No curl in the slim image:
# Node's own fetch.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/main.js"]
