#!/usr/bin/env bash
# What npm cannot install: Debian packages the tests use (the Python bridge runs on Debian's
# python3 with numpy, pandas, scikit-learn and cloudpickle; there is no PyPI on these machines).
set -euo pipefail
exec "$(dirname "$0")/apt-install-missing.sh" python3 python3-numpy python3-pandas python3-sklearn python3-cloudpickle openssl
