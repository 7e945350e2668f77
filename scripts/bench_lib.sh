# bench_lib.sh: what scripts/bench.sh and scripts/bench_export.sh share. Sourced, not run:
# the settings from the environment, die, need, the cached captures, and measure.
# shellcheck shell=bash

prog=$(basename "$0")
script_dir=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$script_dir/.." && pwd)

bench_dir=${BENCH_DIR:-/tmp/sipscope-bench}
shared=${SHARED:-$script_dir/../../shared}
if [[ -d $shared ]]; then gen=$shared/tools/gen_sip_pcap.py; else gen=$shared; fi
repeat=${REPEAT:-3}
repeat_others=${REPEAT_OTHERS:-1}

die() {
    echo "$prog: $1" >&2
    exit "${2:-1}"
}

check_settings() { # after run_timeout is set
    for n in "$repeat" "$repeat_others"; do
        [[ $n =~ ^[0-9]+$ && $n -ge 1 && $n -le 20 ]] || die "REPEAT and REPEAT_OTHERS must be 1..20" 2
    done
    [[ $run_timeout =~ ^[0-9]+$ && $run_timeout -ge 1 ]] || die "TIMEOUT must be a positive integer" 2
}

missing=()
need() { # need COMMAND DEBIAN_PACKAGE
    command -v "$1" > /dev/null 2>&1 || missing+=("$1 (apt-get install $2)")
}

gen_flags() {
    case $1 in
        small) echo "--calls 1000 --rtp-seconds 2 --seed 1" ;;
        medium) echo "--calls 20000 --registers 5000 --seed 2" ;;
        large) echo "--calls 200000 --seed 3" ;;
        rtp-heavy) echo "--calls 2000 --rtp-seconds 30 --cps 20 --fail-ratio 0 --seed 4" ;;
    esac
}

ensure_capture() { # ensure_capture NAME: writes $bench_dir/NAME.pcap and NAME.json if missing
    local name=$1 pcap=$bench_dir/$1.pcap json=$bench_dir/$1.json
    [[ -s $pcap && -s $json ]] && return 0
    [[ -f $gen ]] || die "generator not found: $gen (set SHARED to the shared directory)" 3
    mkdir -p "$bench_dir"
    echo "generating $pcap ($(gen_flags "$name"))" >&2
    # shellcheck disable=SC2046 # the flags are meant to split
    python3 "$gen" -q -o "$pcap.tmp" --stats-json "$json.tmp" $(gen_flags "$name") ||
        die "generator failed for $name"
    mv "$json.tmp" "$json"
    mv "$pcap.tmp" "$pcap"
}

# measure RUNS STDOUT_FILE CMD...: runs CMD RUNS times under /usr/bin/time; sets wall (median
# seconds), runs_list (every wall time), cpu (median user + system seconds) and rss_kb (the
# largest peak RSS). Needs $tmp.
measure() {
    local runs=$1 out=$2 i w r u k rc
    shift 2
    local walls=() cpus=()
    rss_kb=0
    for ((i = 1; i <= runs; i++)); do
        rc=0
        /usr/bin/time -o "$tmp/time" -f '%e %M %U %S' \
            timeout "$run_timeout" "$@" > "$out" 2> "$tmp/stderr" || rc=$?
        if ((rc != 0)); then
            if ((rc == 124)); then
                echo "$prog: timed out after ${run_timeout}s (TIMEOUT): $*" >&2
            else
                echo "$prog: run failed (exit $rc): $*" >&2
            fi
            tail -n 5 "$tmp/stderr" | sed 's/^/  | /' >&2
            tail -n 2 "$tmp/time" | sed 's/^/  | /' >&2
            exit 1
        fi
        # GNU time puts a "Command exited..." line first on failure; the figures are last.
        read -r w r u k < <(tail -n 1 "$tmp/time")
        walls+=("$w")
        cpus+=("$(awk -v u="$u" -v k="$k" 'BEGIN { printf "%.2f", u + k }')")
        if ((r > rss_kb)); then rss_kb=$r; fi
    done
    wall=$(printf '%s\n' "${walls[@]}" | sort -g | sed -n "$(((runs + 1) / 2))p")
    runs_list=${walls[*]}
    cpu=$(printf '%s\n' "${cpus[@]}" | sort -g | sed -n "$(((runs + 1) / 2))p")
    # Anything a tool said on stderr other than its usual banners is worth seeing.
    grep -v -e '^Running as user "root"' -e '^reading from file' "$tmp/stderr" |
        head -n 5 | sed "s/^/  [$(basename "$1")] /" >&2 || true
}

# warm FILE: empties the page cache first when allowed (root, DROP_CACHES unset or 1), then
# reads FILE into it. On this VM a page cache filled by earlier work (builds, other captures)
# made every allocation reclaim first: tcpdump -r took 3.0 s instead of 0.3 s and sipscope's
# system time went from 0.5 to 3.4 s (issue 14, 2026-11-30). Every tool then runs on the same
# warm file with free memory.
warm() {
    if [[ ${DROP_CACHES:-1} == 1 && -w /proc/sys/vm/drop_caches ]]; then
        sync
        echo 3 > /proc/sys/vm/drop_caches || true
    fi
    cat "$1" > /dev/null
}
