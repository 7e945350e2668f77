#!/usr/bin/env bash
# bench_ui.sh: how long the UI takes to open a capture, against the headless read of the same file.
#
# Usage: scripts/bench_ui.sh [FILE]      (default: $BENCH_DIR/large.pcap, made if missing)
#
# 1. `sipscope -r FILE --no-ui --report stats` (every dialog kept, as the UI keeps them), REPEAT
#    times: the median wall time, and the dialog count of its totals line.
# 2. `sipscope -r FILE` in a detached tmux session (200x50), REPEAT times: the time from launch
#    until the screen's counts line reads "Dialogs N (shown N)" with the headless N, that is until
#    every dialog is in the model and in the call list's rows (capture-pane polled every 50 ms),
#    then q. The median is compared with the headless median.
# Target (issue 14): the UI within 1.5x the headless time.
#
# A 1,000,000-call capture: `python3 gen_sip_pcap.py --calls 1000000 --seed 5 -o FILE`
# (about 3.8 GB; the 200,000-call one is 757 MB).
#
# Environment: BENCH_DIR, SHARED (as scripts/bench.sh), REPEAT (default 3), TIMEOUT (seconds per
# run, default 600), SIPSCOPE (the binary, default target/release/sipscope, built if missing).
# Exits 1 if a run fails or times out, 3 if a tool is missing.

set -euo pipefail

# shellcheck source=scripts/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
run_timeout=${TIMEOUT:-600}
check_settings

need tmux tmux
need /usr/bin/time time
if ((${#missing[@]})); then
    printf '%s: missing: %s\n' "$prog" "${missing[@]}" >&2
    exit 3
fi

file=${1:-}
if [[ -z $file ]]; then
    ensure_capture large
    file=$bench_dir/large.pcap
fi
[[ -r $file ]] || die "cannot read $file"
file=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")

bin=${SIPSCOPE:-${CARGO_TARGET_DIR:-$repo/target}/release/sipscope}
if [[ ! -x $bin ]]; then
    (cd "$repo" && cargo build --release --quiet) || die "build failed"
fi

tmp=$(mktemp -d)
session=sipscope-bench-ui-$$
cleanup() {
    tmux kill-session -t "$session" 2> /dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

warm "$file" # an emptied page cache, then the file in it (bench_lib.sh)

# ---- headless -----------------------------------------------------------------------------

measure "$repeat" "$tmp/stats" "$bin" -r "$file" --no-ui --report stats -l 100000000
headless=$wall
headless_runs=$runs_list
dialogs=$(grep -o '^[0-9]* dialogs' "$tmp/stats" | cut -d' ' -f1)
[[ -n $dialogs ]] || die "no dialog count in the headless report: $(cat "$tmp/stats")"

# ---- the UI in tmux -----------------------------------------------------------------------

want="Dialogs $dialogs (shown $dialogs)"
ui_walls=()
for ((i = 1; i <= repeat; i++)); do
    start=$(date +%s.%N)
    tmux new-session -d -s "$session" -x 200 -y 50 \
        "exec '$bin' -r '$file' -l 100000000 --log-file '$tmp/log'"
    ok=
    while :; do
        if tmux capture-pane -p -t "$session" 2> /dev/null | grep -qF "$want"; then
            ok=1
            break
        fi
        tmux has-session -t "$session" 2> /dev/null || break
        now=$(date +%s.%N)
        if (($(echo "$now - $start > $run_timeout" | bc))); then break; fi
        sleep 0.05
    done
    end=$(date +%s.%N)
    tmux send-keys -t "$session" q 2> /dev/null || true
    for _ in $(seq 50); do
        tmux has-session -t "$session" 2> /dev/null || break
        sleep 0.1
    done
    tmux kill-session -t "$session" 2> /dev/null || true
    [[ -n $ok ]] || die "the UI did not show \"$want\" (run $i)"
    ui_walls+=("$(echo "$end - $start" | bc)")
done
ui=$(printf '%s\n' "${ui_walls[@]}" | sort -g | sed -n "$(((repeat + 1) / 2))p")

ratio=$(echo "scale=2; $ui / $headless" | bc)
printf '%s: %s dialogs\n' "$(basename "$file")" "$dialogs"
printf '  headless read (--no-ui --report stats)  %7.2f s median  (%s)\n' "$headless" "$headless_runs"
printf '  opened in the UI (tmux, until shown)    %7.2f s median  (%s)\n' "$ui" "${ui_walls[*]}"
printf '  UI / headless                           %7.2fx  (target: at most 1.5x)\n' "$ratio"
