#!/usr/bin/env bash
# bench_report.sh: the reports on the 200,000-call capture, side by side: `--report stats` (the
# analysis alone), `--report json` and `--report ndjson`, with their wall time, peak RSS and the
# ratios against stats (issue 14's targets: json within 2x the wall time of stats and 1.5x its
# peak memory).
#
# Usage: scripts/bench_report.sh [PCAP]   (default: $BENCH_DIR/large.pcap)
#
# Each runs REPEAT times (default 3; median wall, largest peak RSS) under
# `/usr/bin/time -f '%e %M'`, as `target/release/sipscope -r PCAP --no-ui --report FORMAT`,
# standard output to /dev/null (a character device: ndjson flushes each line, as to a pipe).
# The runs alternate (stats, json, ndjson, stats, ...) so a busy machine weighs on each alike.
# After the timed runs, one ndjson run is checked: as many call lines as the stats line's
# `calls`, the stats line last.
#
# The capture comes from shared/tools/gen_sip_pcap.py (--calls 200000 --seed 3), cached in
# $BENCH_DIR as large.pcap exactly as `scripts/bench.sh large` makes it; made only if missing.
#
# Environment:
#   BENCH_DIR   capture cache (default /tmp/sipscope-bench)
#   SHARED      the shared directory, or the generator script itself (default <repo>/../shared)
#   REPEAT      runs of each format, 1..20 (default 3)
#   TIMEOUT     seconds before any single run is killed (default 600)
#   BIN         a sipscope binary to measure as it is (no build): to compare two builds
#   DROP_CACHES 0 to keep the page cache as it is (bench_lib.sh; default 1: emptied, then
#               the capture read into it)
#
# Exits 1 if a run fails or the check does, 2 on bad usage, 3 if a tool is missing.

set -euo pipefail

# shellcheck source=scripts/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
run_timeout=${TIMEOUT:-600}

case ${1:-} in
    -h | --help)
        sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
        echo "Environment: BENCH_DIR SHARED REPEAT TIMEOUT BIN DROP_CACHES (see the header of $0)"
        exit 0
        ;;
esac
[[ $# -le 1 ]] || die "usage: $0 [PCAP]" 2
check_settings

[[ -x /usr/bin/time ]] || die "missing tool: /usr/bin/time (apt-get install time)" 3
need timeout coreutils
need python3 python3
need cargo "rustup, or cargo"
if ((${#missing[@]})); then
    printf 'bench_report.sh: missing tool: %s\n' "${missing[@]}" >&2
    exit 3
fi

if [[ -n ${1:-} ]]; then
    file=$1
    [[ -s $file ]] || die "no such capture: $file" 2
elif [[ -s $bench_dir/large.pcap ]]; then
    file=$bench_dir/large.pcap
else
    ensure_capture large
    file=$bench_dir/large.pcap
fi
size_mb=$(($(stat -c %s "$file") / 1000000))

bin=$repo/target/release/sipscope
if [[ -n ${CARGO_TARGET_DIR:-} ]]; then bin=$CARGO_TARGET_DIR/release/sipscope; fi
if [[ -n ${BIN:-} ]]; then
    bin=$BIN
    [[ -x $bin ]] || die "BIN is not an executable: $bin" 2
else
    echo "building sipscope (cargo build --release)" >&2
    (cd "$repo" && cargo build --release --quiet) || die "cargo build --release failed"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

warm "$file" # an emptied page cache, then the file in it (bench_lib.sh)
formats=(stats json ndjson)
echo "reports of $file ($size_mb MB): ${formats[*]}, x$repeat each (timeout ${run_timeout}s each)" >&2

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A all_walls=() all_cpus=() rss=()
for f in "${formats[@]}"; do rss[$f]=0; done
for ((i = 1; i <= repeat; i++)); do
    for f in "${formats[@]}"; do
        measure 1 /dev/null "$bin" -r "$file" --no-ui --report "$f"
        all_walls[$f]="${all_walls[$f]:-} $wall"
        all_cpus[$f]="${all_cpus[$f]:-} $cpu"
        if ((rss_kb > rss[$f])); then rss[$f]=$rss_kb; fi
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

declare -A walls=() cpus=()
for f in "${formats[@]}"; do
    # shellcheck disable=SC2086 # the list is meant to split
    walls[$f]=$(printf '%s\n' ${all_walls[$f]} | sort -g | sed -n "$(((repeat + 1) / 2))p")
    # shellcheck disable=SC2086
    cpus[$f]=$(printf '%s\n' ${all_cpus[$f]} | sort -g | sed -n "$(((repeat + 1) / 2))p")
done

# ---- the check: one ndjson run, counted ------------------------------------------------------

status=0
"$bin" -r "$file" --no-ui --report ndjson |
    python3 -c '
import json, sys
calls = 0
last = None
for line in sys.stdin:
    last = json.loads(line)
    calls += last.get("type") == "call"
if last is None or last.get("type") != "stats":
    sys.exit("ndjson: the last line is not the stats line")
want = last["stats"]["calls"] - last["stats"]["evicted_calls"]
if calls < want:
    sys.exit(f"ndjson: {calls} call lines for {want} dialogs")
print(f"check: ndjson wrote {calls} call lines for {want} dialogs, then the stats line")
' || status=1

# ---- the table -------------------------------------------------------------------------------

echo
echo "== reports of $file ($size_mb MB)"
printf '%-8s %9s %9s %9s %10s %10s\n' report "wall s" "CPU s" "peak MB" "time x" "memory x"
for f in "${formats[@]}"; do
    awk -v f="$f" -v w="${walls[$f]}" -v c="${cpus[$f]}" -v r="${rss[$f]}" \
        -v sw="${walls[stats]}" -v sr="${rss[stats]}" 'BEGIN {
        tx = (sw > 0) ? sprintf("%.2f", w / sw) : "inf"
        mx = (sr > 0) ? sprintf("%.2f", r / sr) : "inf"
        printf "%-8s %9.2f %9.2f %9.1f %10s %10s\n", f, w, c, r / 1024, tx, mx
    }'
done
echo "(time x, memory x: against --report stats; targets for json: at most 2 and 1.5;"
echo " wall and CPU (user + sys) are the medians of $repeat runs; the report's own CPU,"
echo " json less stats: $(awk -v j="${cpus[json]}" -v s="${cpus[stats]}" 'BEGIN { printf "%.2f", j - s }') s;"
echo " load average before and after: $load_before / $load_after:"
for f in "${formats[@]}"; do echo "  $f:${all_walls[$f]} s wall,${all_cpus[$f]} s CPU"; done
echo ")"
exit "$status"
