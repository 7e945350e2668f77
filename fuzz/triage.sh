#!/usr/bin/env bash
# Replays every file in fuzz/artifacts/<target>/ and prints, per artifact, the
# panic location and the first frame in sipscope's own source.
#   fuzz/triage.sh [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/.."
bin=fuzz/target/x86_64-unknown-linux-gnu/release
targets=("$@")
[ ${#targets[@]} -eq 0 ] && mapfile -t targets < <(ls fuzz/artifacts 2>/dev/null)
for t in "${targets[@]}"; do
    for a in fuzz/artifacts/"$t"/*; do
        [ -f "$a" ] || continue
        out=$(RUST_BACKTRACE=1 "$bin/$t" "$a" 2>&1)
        where=$(grep -m1 -A1 'panicked at' <<<"$out" | tr '\n' ' ')
        ours=$(grep -m1 -E 'at \./src/' <<<"$out" | sed 's/^ *//')
        [ -z "$where" ] && where=$(grep -m1 -E 'ERROR: libFuzzer|SUMMARY' <<<"$out")
        echo "$t $(basename "$a") [$(stat -c %s "$a") B]: ${where:-no crash} | ${ours:-}"
    done
done
