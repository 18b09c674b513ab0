# Weir container image: compile with the dev toolchain, run on production dependencies only, as a
# non-root user. `weir serve` by default; `weir api` / `weir worker` for split process groups
# (fly.toml). Every RUN is a step of scripts/build-image-steps.sh, which CI runs outside Docker.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/build-image-steps.sh ./scripts/
RUN sh scripts/build-image-steps.sh install-dev
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN sh scripts/build-image-steps.sh compile

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/build-image-steps.sh scripts/patch-deps.mjs ./scripts/
RUN sh scripts/build-image-steps.sh install-prod

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY scripts/build-image-steps.sh ./scripts/
RUN sh scripts/build-image-steps.sh verify
# The image's `node` user (uid 1000): never root.
USER node
EXPOSE 8080
# SIGTERM starts the drain; WEIR_SHUTDOWN_TIMEOUT (default 25 s) bounds it, below Docker's and
# Fly's kill timeouts (fly.toml kill_timeout = 30).
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["serve"]
