#!/bin/sh
# Re-fetch the dashboard's browser assets with npm into a scratch folder and copy the
# minified files and their licences to src/watchkeeper/web/static/vendor/ (`make vendor`).
# Nothing is fetched at run time: the service serves these files itself.
set -eu
VENDOR="$(cd "$(dirname "$0")/.." && pwd)/src/watchkeeper/web/static/vendor"
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
# the versions the dashboard is tested with; change them here and re-run
PACKAGES="htmx.org@2.0.11 vega@5.33.1 vega-lite@5.23.0 vega-embed@6.29.0 vega-interpreter@1.2.1"
cd "$SCRATCH"
npm init -y >/dev/null
# shellcheck disable=SC2086
npm install --no-audit --no-fund --ignore-scripts $PACKAGES >/dev/null
M="$SCRATCH/node_modules"
mkdir -p "$VENDOR"
cp "$M/htmx.org/dist/htmx.min.js" "$VENDOR/htmx.min.js"
cp "$M/htmx.org/LICENSE" "$VENDOR/htmx.LICENSE"
cp "$M/vega/build/vega.min.js" "$VENDOR/vega.min.js"
cp "$M/vega-lite/build/vega-lite.min.js" "$VENDOR/vega-lite.min.js"
cp "$M/vega-lite/LICENSE" "$VENDOR/vega-lite.LICENSE"
cp "$M/vega-embed/build/vega-embed.min.js" "$VENDOR/vega-embed.min.js"
cp "$M/vega-embed/LICENSE" "$VENDOR/vega-embed.LICENSE"
# the expression interpreter lets Vega run without compiling code ('unsafe-eval')
cp "$M/vega-interpreter/build/vega-interpreter.min.js" "$VENDOR/vega-interpreter.min.js"
# vega's and vega-interpreter's npm packages ship no LICENSE file; their repository's
# (BSD-3-Clause, the same as vega-lite's, same holder) is kept in vega.LICENSE and
# vega-interpreter.LICENSE, which this script does not touch
for f in "$VENDOR"/*.min.js; do
  # source-map comments point at files not vendored: the browser would fetch them (404)
  sed -i 's|//# sourceMappingURL=.*$||' "$f"
done
( cd "$M" && for p in htmx.org vega vega-lite vega-embed vega-interpreter; do
    printf '%s %s %s\n' "$p" "$(node -p "require('./$p/package.json').version")" \
      "$(node -p "require('./$p/package.json').license")"; done ) > "$VENDOR/VERSIONS"
echo "vendored into $VENDOR:"; cat "$VENDOR/VERSIONS"
