#!/usr/bin/env bash
# Builds sipscope and runs it on the sample capture in assets/.
# Extra arguments go to sipscope, e.g. `scripts/demo.sh --report json`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo build --release --quiet
exec target/release/sipscope -r assets/sample.pcap "$@"
