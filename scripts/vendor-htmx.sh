#!/bin/sh
# Re-vendor htmx from the npm registry at the pinned version: `make vendor-htmx`.
# The page layout loads src/comptoir/web/static/vendor/htmx/htmx.min.js; nothing is fetched at run time.
# To move to another version, change HTMX_VERSION here, run this, and read htmx's changelog.
set -eu
HTMX_VERSION=2.0.11
DEST="$(dirname "$0")/../src/comptoir/web/static/vendor/htmx"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack --silent "htmx.org@$HTMX_VERSION" >/dev/null && tar xzf "htmx.org-$HTMX_VERSION.tgz")
mkdir -p "$DEST"
cp "$WORK/package/dist/htmx.min.js" "$WORK/package/LICENSE" "$DEST/"
INTEGRITY="$(cd "$WORK" && npm view "htmx.org@$HTMX_VERSION" dist.integrity)"
cat >"$DEST/VERSION" <<NOTE
htmx.org $HTMX_VERSION, from the npm registry (https://www.npmjs.com/package/htmx.org)
package integrity: $INTEGRITY
files: dist/htmx.min.js and LICENSE (BSD Zero Clause), copied unchanged by scripts/vendor-htmx.sh
NOTE
echo "vendored htmx.org $HTMX_VERSION into $DEST"
