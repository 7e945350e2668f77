#!/usr/bin/env bash
# Builds sipscope and runs it on the sample capture in assets/.
# Extra arguments go to sipscope, e.g. `scripts/demo.sh --report json`.
# Says what it is doing at each step: on a fresh machine installing the
# system packages and the first release build take a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'demo: %s\n' "$*" >&2; }

say "checking the system packages the build needs (libpcap-dev, pkg-config, a C compiler)..."
scripts/deps.sh
if ! command -v cargo >/dev/null 2>&1; then
    say "cargo is not installed: install Rust (https://rustup.rs), then run this again"
    exit 1
fi
say "building sipscope (release; the first build takes a few minutes, cargo shows its progress)..."
cargo build --release
bin="${CARGO_TARGET_DIR:-target}/release/sipscope"
say "opening assets/sample.pcap: $bin -r assets/sample.pcap $*  (q quits, F1 help)"
exec "$bin" -r assets/sample.pcap "$@"
