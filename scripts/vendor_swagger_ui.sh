#!/usr/bin/env bash
# Refreshes the vendored Swagger UI (static/vendor/swagger-ui) from the npm registry's
# swagger-ui-dist package; the API reference page (static/api/reference.html) uses it.
#   bash scripts/vendor_swagger_ui.sh [version]
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${1:-5.35.0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "swagger-ui-dist@$VERSION" >/dev/null && tar xzf swagger-ui-dist-*.tgz)
mkdir -p static/vendor/swagger-ui
for f in swagger-ui-bundle.js swagger-ui-bundle.js.LICENSE.txt swagger-ui.css LICENSE NOTICE package.json; do
  cp "$work/package/$f" static/vendor/swagger-ui/
done
echo "swagger-ui-dist $VERSION vendored in static/vendor/swagger-ui"
