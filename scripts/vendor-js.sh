#!/usr/bin/env bash
# Vendors the pages' JavaScript from npm into src/rlsiron/web/static/vendor/ (committed).
#
# The app must work offline and CI must not need npm at test time, so the built files are
# checked into the repository; this script is how they are (re)made. Run it by hand after
# changing a version below; it is idempotent (the same versions give the same files).
#
# Exact versions, one pinned major each:
# - htmx.org 2.x, not 4: htmx 4 is a rewrite (fetch-based, attribute inheritance made
#   explicit, changed events) released only weeks ago; 2.x is the stable, maintained line
#   the pages are written against. The issue asks for a pinned major.
# - vega 6, vega-lite 6, vega-embed 7: the current majors; vega-lite 6 reads the v5 specs
#   Altair writes.
# - vega-interpreter: the CSP-safe expression evaluator (vega otherwise compiles
#   expressions with `new Function`, which `script-src 'self'` forbids). Its npm package is
#   ESM only with a bare `import 'vega-util'`, which a browser cannot resolve without an
#   import map, and an inline import map is inline script. vega-embed's UMD build bundles
#   it (embed.ts: `ast ? {expr: ... ?? opts.expr ?? expressionInterpreter}`), so the
#   pages pass `ast: true` and the bundled interpreter runs. This script checks that the
#   build still bundles it and that the bundled version is the one pinned here, and copies
#   its LICENSE (BSD-3-Clause asks for the notice with the code).
set -euo pipefail

HTMX=2.0.11
VEGA=6.4.0
VEGA_LITE=6.5.0
VEGA_EMBED=7.3.0
VEGA_INTERPRETER=2.3.2

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/src/rlsiron/web/static/vendor"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# unpack NAME VERSION: the package's published tarball, unpacked into $WORK/NAME.
unpack() {
    local name=$1 version=$2 tarball
    tarball=$(cd "$WORK" && npm pack --silent "$name@$version" 2>/dev/null | tail -n 1)
    mkdir -p "$WORK/$name"
    tar -xzf "$WORK/$tarball" -C "$WORK/$name" --strip-components=1
}

unpack htmx.org "$HTMX"
unpack vega "$VEGA"
unpack vega-lite "$VEGA_LITE"
unpack vega-embed "$VEGA_EMBED"
unpack vega-interpreter "$VEGA_INTERPRETER"

bundled=$(node -e 'const p = require(process.argv[1]); console.log(p.dependencies["vega-interpreter"])' \
    "$WORK/vega-embed/package.json")
if ! grep -q "expressionInterpreter" "$WORK/vega-embed/build/vega-embed.min.js"; then
    echo "vega-embed $VEGA_EMBED no longer bundles vega-interpreter: vendor it another way" >&2
    exit 1
fi
if [[ "$bundled" != "^$VEGA_INTERPRETER" && "$bundled" != "$VEGA_INTERPRETER" ]]; then
    echo "vega-embed $VEGA_EMBED bundles vega-interpreter $bundled, not $VEGA_INTERPRETER" >&2
    exit 1
fi

rm -rf "$OUT"
mkdir -p "$OUT"
cp "$WORK/htmx.org/dist/htmx.min.js" "$OUT/htmx.min.js"
cp "$WORK/vega/build/vega.min.js" "$OUT/vega.min.js"
cp "$WORK/vega-lite/build/vega-lite.min.js" "$OUT/vega-lite.min.js"
cp "$WORK/vega-embed/build/vega-embed.min.js" "$OUT/vega-embed.min.js"
for name in htmx.org vega vega-lite vega-embed vega-interpreter; do
    cp "$WORK/$name/LICENSE" "$OUT/LICENSE.$name.txt"
done
# The minified files end with a sourceMappingURL comment whose map is not vendored: drop it,
# so browsers' developer tools do not ask the app for a file it does not have.
sed -i -e 's|^//# sourceMappingURL=.*$||' "$OUT"/*.min.js

cat >"$OUT/VERSIONS.txt" <<EOF
# Made by scripts/vendor-js.sh from the npm registry; do not edit by hand.
htmx.org $HTMX dist/htmx.min.js
vega $VEGA build/vega.min.js
vega-lite $VEGA_LITE build/vega-lite.min.js
vega-embed $VEGA_EMBED build/vega-embed.min.js
vega-interpreter $VEGA_INTERPRETER bundled inside vega-embed.min.js (used with ast: true)
EOF
echo "vendored into ${OUT#"$ROOT"/}:"
ls -1 "$OUT"
