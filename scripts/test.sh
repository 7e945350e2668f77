#!/usr/bin/env bash
# Runs the whole test suite: unit tests, the pipeline against tshark's truth
# files, and the binary end to end. Installs the build's system packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo test --all-targets --locked
