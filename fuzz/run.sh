#!/usr/bin/env bash
# Runs every fuzz target for N seconds each (default 60), one after another.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Uses `-s none` so it works on stable Rust (no sanitizer: the crate forbids
# unsafe code; panics, overflow checks and debug assertions are still caught).
# Set SANITIZER=address (with a nightly toolchain, e.g. `RUSTUP_TOOLCHAIN=nightly`)
# for ASan. Corpora live in fuzz/corpus/<target>/ (seeded from tests/data by
# seed.py when empty), crashes in fuzz/artifacts/<target>/; neither is committed.
# Logs go to fuzz/logs/<target>.log.
#
# FORK=1 runs libFuzzer with -fork=1 -ignore_crashes=1: it keeps fuzzing after
# a crash (each one is still written to fuzz/artifacts/<target>/), for when a
# known crash would otherwise stop every run in its first seconds. Replay the
# artifacts with fuzz/triage.sh to see where each one panics.
set -euo pipefail
cd "$(dirname "$0")/.."

secs="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo fuzz list)
fi
sanitizer="${SANITIZER:-none}"
extra=()
[ "${FORK:-0}" = 1 ] && extra=(-fork=1 -ignore_crashes=1)

# Largest input per target: the scanner caps messages at 64 KiB, so let it see
# longer ones; the rest stay smaller to keep executions fast.
max_len() {
    case "$1" in
        scan) echo 70000 ;;
        pipeline | capture_file) echo 65536 ;;
        *) echo 8192 ;;
    esac
}

if [ ! -d fuzz/corpus ] || [ -z "$(ls -A fuzz/corpus 2>/dev/null)" ]; then
    if command -v tshark >/dev/null; then
        python3 fuzz/seed.py
    else
        echo "tshark not found: starting from empty corpora" >&2
    fi
fi

cargo fuzz build -s "$sanitizer"
mkdir -p fuzz/logs
status=0
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    echo "== $t (${secs}s)"
    before=$(find "fuzz/artifacts/$t" -type f | wc -l)
    cargo fuzz run -s "$sanitizer" "$t" -- \
        -max_total_time="$secs" -max_len="$(max_len "$t")" -timeout=10 \
        -print_final_stats=1 "${extra[@]}" >"fuzz/logs/$t.log" 2>&1 || true
    after=$(find "fuzz/artifacts/$t" -type f | wc -l)
    # Executions: the final stat in normal mode, the last "#N:" line in fork mode.
    grep -E '^stat::number_of_executed_units|^#[0-9]+: cov' "fuzz/logs/$t.log" | tail -n 1 || true
    if [ "$after" -gt "$before" ]; then
        status=1
        echo "!! $t: $((after - before)) new artifact(s) in fuzz/artifacts/$t/ (log: fuzz/logs/$t.log)"
        grep -E 'panicked at' "fuzz/logs/$t.log" | sort | uniq -c | head -n 10 || true
        echo "   replay them with: fuzz/triage.sh $t"
    fi
done
exit $status
