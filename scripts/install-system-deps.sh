#!/usr/bin/env bash
# What npm cannot install: Debian packages the tests use (the Python bridge runs on Debian's
# python3 with numpy, pandas, scikit-learn and cloudpickle; there is no PyPI on these machines).
set -euo pipefail
packages=(python3 python3-numpy python3-pandas python3-sklearn python3-cloudpickle)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
