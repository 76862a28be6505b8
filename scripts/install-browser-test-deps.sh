#!/usr/bin/env bash
# The model page's browser test (test/serve/openapi-page.test.ts) drives Debian's headless
# Chromium with playwright-core (an npm devDependency, which downloads no browser of its own).
set -euo pipefail
exec "$(dirname "$0")/apt-install-missing.sh" chromium-headless-shell
