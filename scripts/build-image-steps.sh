#!/bin/sh
# The container image's build steps, one per stage. The Dockerfile's RUN lines call this script and
# nothing else, and test/runtime/dockerfile.test.ts runs the same steps outside Docker (CI has no
# container engine), so what CI proves is what the image does.
#   install-dev   build stage: every dependency, to compile (install scripts off: tsc needs none)
#   compile       build stage: tsc → dist/, then the CLI must load
#   install-prod  deps stage: production dependencies only, then scripts/patch-deps.mjs (the one
#                 install-time fix the runtime needs; other install scripts stay off)
#   verify        runtime stage: no devDependency present, and the compiled CLI runs on them
set -eu
step="${1:?usage: build-image-steps.sh install-dev|compile|install-prod|verify}"
case "$step" in
  install-dev)
    npm ci --no-audit --no-fund --ignore-scripts
    ;;
  compile)
    npm run build
    node dist/src/cli/main.js help > /dev/null
    ;;
  install-prod)
    npm ci --omit=dev --no-audit --no-fund --ignore-scripts
    node scripts/patch-deps.mjs
    ;;
  verify)
    node -e '
      const fs = require("fs");
      const dev = Object.keys(require("./package.json").devDependencies || {});
      // @types/* hold no code: one can ride in as an optional peer of a runtime dependency
      // (drizzle-orm → @types/pg → @types/node) once a dev tool depends on it too.
      const present = dev.filter((d) => !d.startsWith("@types/") && fs.existsSync("node_modules/" + d));
      if (present.length) { console.error("devDependencies in the runtime image: " + present.join(", ")); process.exit(1); }
      if (!fs.existsSync("dist/src/cli/main.js")) { console.error("dist/src/cli/main.js missing"); process.exit(1); }
    '
    node dist/src/cli/main.js help > /dev/null
    ;;
  *)
    echo "unknown step: $step" >&2
    exit 2
    ;;
esac
