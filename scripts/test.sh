#!/usr/bin/env bash
# Runs the whole test suite: unit tests, the pipeline against tshark's truth
# files, the views (snapshots), and the binary end to end (headless, live on
# loopback when root, and in tmux). Installs the system packages first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
cargo test --locked
