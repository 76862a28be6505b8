#!/usr/bin/env bash
# What the deploy tests need beyond npm: a container builder that works without a daemon
# (podman, run by runc: crun fails on this kernel's hybrid cgroups), debootstrap, which
# builds the tests' local Node base image (no image registry is reachable here), and
# docker-registry (the CNCF distribution registry), the local stand-in for ECR that
# `sagemaker build-and-push-container` pushes to in its test.
set -euo pipefail
exec "$(dirname "$0")/apt-install-missing.sh" podman runc debootstrap fuse-overlayfs uidmap docker-registry
