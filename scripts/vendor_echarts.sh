#!/usr/bin/env bash
# Vendor Apache ECharts (Apache-2.0) at the pinned version from the npm registry into
# families/static/families/vendor/echarts-<version>/ (served by whitenoise from our own
# origin; not committed: fetched at install time by `make install` / `make install-test`,
# so by `make demo` and `make test`). Version, licence, upgrade: docs/third-party.md.
#
# The tarball is checked against npm's integrity string pinned below (sha512 of the .tgz,
# what `npm view echarts@<version> dist.integrity` prints and package-lock.json records):
# a registry, mirror or proxy that serves anything else fails the install. No network
# (or a wrong file) fails loudly with a non-zero exit; nothing half-copied is left behind.
#
#   NPM_REGISTRY=https://registry.npmmirror.com ./scripts/vendor_echarts.sh   # a mirror
#   ECHARTS_TARBALL=/media/echarts-6.0.0.tgz ./scripts/vendor_echarts.sh      # offline copy
set -euo pipefail
VERSION="6.0.0"
INTEGRITY="sha512-Tte/grDQRiETQP4xz3iZWSvoHrkCQtwqd6hs+mifXcjrCuo2iKWbajFObuLJVBlDIJlOzgQPd1hsaKt/3+OMkQ=="
REGISTRY="${NPM_REGISTRY:-https://registry.npmjs.org}"
URL="${REGISTRY%/}/echarts/-/echarts-${VERSION}.tgz"
PYTHON="${PYTHON:-python3}"
DEST="$(cd "$(dirname "$0")/.." && pwd)/families/static/families/vendor/echarts-${VERSION}"
STAMP="$DEST/.integrity"

# Already vendored from the pinned tarball: nothing to do (offline included).
if [ -s "$DEST/echarts.min.js" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$INTEGRITY" ]; then
    exit 0
fi

fail() {
    echo "vendor_echarts.sh: FAILED: $*" >&2
    echo "  The supervisor dashboard (监管看板) needs ECharts ${VERSION}; see docs/third-party.md" >&2
    echo "  (a mirror: NPM_REGISTRY=...; no network: ECHARTS_TARBALL=/path/echarts-${VERSION}.tgz)." >&2
    exit 1
}

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
TGZ="$TMP/echarts-${VERSION}.tgz"
if [ -n "${ECHARTS_TARBALL:-}" ]; then
    cp "$ECHARTS_TARBALL" "$TGZ" || fail "cannot read ECHARTS_TARBALL=$ECHARTS_TARBALL"
    SOURCE="$ECHARTS_TARBALL"
else
    command -v curl >/dev/null || fail "curl is not installed"
    curl --fail --silent --show-error --location --retry 2 --connect-timeout 15 \
        --max-time 300 --output "$TGZ" "$URL" || fail "cannot download $URL (offline?)"
    SOURCE="$URL"
fi

ACTUAL="$("$PYTHON" -c 'import base64, hashlib, sys
print("sha512-" + base64.b64encode(hashlib.sha512(open(sys.argv[1], "rb").read()).digest()).decode())' "$TGZ")" \
    || fail "cannot compute the sha512 of the tarball ($PYTHON)"
if [ "$ACTUAL" != "$INTEGRITY" ]; then
    fail "integrity mismatch for $SOURCE
  expected $INTEGRITY
  got      $ACTUAL"
fi

tar xzf "$TGZ" -C "$TMP" package/dist/echarts.min.js package/LICENSE package/NOTICE \
    || fail "the tarball lacks dist/echarts.min.js, LICENSE or NOTICE"
rm -rf "$DEST"
mkdir -p "$DEST"
cp "$TMP/package/dist/echarts.min.js" "$TMP/package/LICENSE" "$TMP/package/NOTICE" "$DEST/"
echo "$INTEGRITY" > "$STAMP"
echo "ECharts ${VERSION} vendored into $DEST (integrity verified)"
