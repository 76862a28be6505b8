#!/usr/bin/env bash
# What the deploy tests need beyond npm: a container builder that works without a daemon
# (podman, run by runc: crun fails on this kernel's hybrid cgroups) and debootstrap, which
# builds the tests' local Node base image (no image registry is reachable here).
# Idempotent: installs with apt-get only what is missing.
set -euo pipefail
packages=(podman runc debootstrap fuse-overlayfs uidmap)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
