#!/usr/bin/env bash
# Vendor Apache ECharts (Apache-2.0) at the pinned version from the npm registry into
# families/static/families/vendor/echarts-<version>/ (served by whitenoise from our own
# origin; not committed: fetched at install time). Version and licence: docs/third-party.md.
set -euo pipefail
VERSION="6.0.0"
DEST="$(cd "$(dirname "$0")/.." && pwd)/families/static/families/vendor/echarts-${VERSION}"
if [ -s "$DEST/echarts.min.js" ]; then exit 0; fi
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "echarts@${VERSION}" >/dev/null && tar xzf "echarts-${VERSION}.tgz")
mkdir -p "$DEST"
cp "$TMP/package/dist/echarts.min.js" "$TMP/package/LICENSE" "$TMP/package/NOTICE" "$DEST/"
echo "ECharts ${VERSION} vendored into $DEST"
