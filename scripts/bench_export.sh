#!/usr/bin/env bash
# bench_export.sh: exporting one call out of the 200,000-call capture, end to end, against
# tshark and sngrep doing the same job on the same file in the same run.
#
# Usage: scripts/bench_export.sh [CALL_ID]   (default: the first Call-ID after the middle byte)
#
# What it measures, under `/usr/bin/time -f '%e %M'` (wall seconds, peak RSS):
#   sipscope  target/release/sipscope -r FILE --no-ui -w OUT.pcap --call-id ID
#   tshark    tshark -r FILE -Y 'sip.Call-ID == "ID"' -F pcap -w OUT.pcap
#   sngrep    sngrep -N -q -I FILE -O OUT.pcap 'Call-ID: ID'   (the match expression, a regex
#             on the payload of a dialog's first message, is what selects the call headless)
# sipscope runs REPEAT times (default 3; median wall, largest peak), the others REPEAT_OTHERS
# times (default 1). The page cache is warmed first. With --call-id, sipscope keeps only the
# chosen calls (so no dialog limit can let the call go before the end of the read).
#
# Checks: sipscope's file has as many frames as tshark's own selection (`tshark -r OUT | wc -l`),
# more than none, and the same frames byte for byte (tcpdump -xx of both); sngrep's file is
# checked the same way, and if it differs the script says sngrep did not select the call.
#
# The capture comes from shared/tools/gen_sip_pcap.py (--calls 200000 --seed 3) and is cached
# in $BENCH_DIR as large.pcap, exactly as `scripts/bench.sh large` makes it; made only if missing.
#
# Environment:
#   BENCH_DIR       capture cache (default /tmp/sipscope-bench)
#   SHARED          the shared directory, or the generator script itself (default <repo>/../shared)
#   REPEAT          sipscope runs, 1..20 (default 3)
#   REPEAT_OTHERS   runs of tshark and of sngrep, 1..20 (default 1)
#   TIMEOUT         seconds before any single run is killed (default 600)
#
# Exits 1 if a run fails or sipscope's file is wrong, 2 on bad usage, 3 if a tool is missing.
# It installs the Debian package `time` (for /usr/bin/time) if missing, nothing else.

set -euo pipefail

# shellcheck source=scripts/bench_lib.sh
source "$(dirname "$0")/bench_lib.sh"
run_timeout=${TIMEOUT:-600}

case ${1:-} in
    -h | --help)
        sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'
        echo "Environment: BENCH_DIR SHARED REPEAT REPEAT_OTHERS TIMEOUT (see the header of $0)"
        exit 0
        ;;
esac
[[ $# -le 1 ]] || die "usage: $0 [CALL_ID]" 2
check_settings

# ---- tools -----------------------------------------------------------------------------------

if [[ ! -x /usr/bin/time ]]; then
    echo "installing the Debian package time (for /usr/bin/time)" >&2
    sudo_=()
    ((EUID == 0)) || sudo_=(sudo)
    "${sudo_[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q time > /dev/null ||
        die "could not install time (apt-get install time)" 3
fi
need sngrep sngrep
need tshark tshark
need tcpdump tcpdump
need timeout coreutils
need python3 python3
need cargo "rustup, or cargo"
if ((${#missing[@]})); then
    printf 'bench_export.sh: missing tool: %s\n' "${missing[@]}" >&2
    exit 3
fi

# ---- the capture (as scripts/bench.sh large makes it) ----------------------------------------

ensure_capture large
file=$bench_dir/large.pcap
size_mb=$(($(stat -c %s "$file") / 1000000))

bin=$repo/target/release/sipscope
echo "building sipscope (cargo build --release)" >&2
(cd "$repo" && cargo build --release --quiet) || die "cargo build --release failed"

# The call: given, else the first Call-ID after the middle byte of the file.
if [[ -n ${1:-} ]]; then
    call_id=$1
else
    half=$(($(stat -c %s "$file") / 2))
    call_id=$(tail -c +"$half" "$file" | grep -a -m 1 -o 'Call-ID: [^[:space:]]*' |
        sed 's/^Call-ID: //' || true)
    [[ -n $call_id ]] || die "no Call-ID found after the middle of $file"
fi
[[ $call_id != *'"'* ]] || die "a Call-ID with a double quote cannot go into tshark's filter" 2
# sngrep's match expression is a regex: escape what is special in one.
call_re=$(sed 's/[][\.*^$+?(){}|/]/\\&/g' <<< "$call_id")

# ---- measuring -------------------------------------------------------------------------------

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT


# frames FILE: the number of frames tshark reads in FILE.
frames() { { tshark -r "$1" 2> /dev/null || true; } | wc -l; }
# digest FILE: every frame's time and bytes, whatever the file header says.
digest() { { tcpdump -r "$1" -tt -xx 2> /dev/null || true; } | md5sum | cut -d' ' -f1; }

warm "$file" # an emptied page cache, then the file in it (bench_lib.sh)
echo "exporting Call-ID $call_id from $file ($size_mb MB):" \
    "sipscope x$repeat, tshark and sngrep x$repeat_others (timeout ${run_timeout}s each)" >&2

declare -A walls=() rss=()
measure "$repeat" "$tmp/stdout" "$bin" -r "$file" --no-ui -w "$tmp/x.pcap" --call-id "$call_id"
walls[sipscope]=$wall rss[sipscope]=$rss_kb
sipscope_runs=$runs_list
sipscope_said=$(grep '^sipscope: wrote' "$tmp/stderr" || true)

measure "$repeat_others" "$tmp/stdout" tshark -r "$file" -Y "sip.Call-ID == \"$call_id\"" -F pcap -w "$tmp/y.pcap"
walls[tshark]=$wall rss[tshark]=$rss_kb

measure "$repeat_others" "$tmp/stdout" sngrep -N -q -I "$file" -O "$tmp/z.pcap" "Call-ID: $call_re"
walls[sngrep]=$wall rss[sngrep]=$rss_kb

# ---- checks and the table --------------------------------------------------------------------

status=0
want=$(frames "$tmp/y.pcap")
got=$(frames "$tmp/x.pcap")
echo
echo "== export of one call: $call_id"
echo "   from $file ($size_mb MB)"
echo "   ${sipscope_said:-sipscope said nothing}"
if ((want == 0)); then
    echo "FAILED: tshark selects no frame of this Call-ID"
    status=1
elif [[ $got != "$want" ]]; then
    echo "MISMATCH: sipscope wrote $got frames, tshark selects $want"
    status=1
elif [[ $(digest "$tmp/x.pcap") != "$(digest "$tmp/y.pcap")" ]]; then
    echo "MISMATCH: sipscope wrote $got frames as tshark, but not the same bytes"
    status=1
else
    echo "check: sipscope wrote the $got SIP frames tshark selects, byte for byte"
fi
sngrep_frames=$(frames "$tmp/z.pcap")
if [[ $sngrep_frames == "$want" && $(digest "$tmp/z.pcap") == "$(digest "$tmp/y.pcap")" ]]; then
    echo "check: sngrep (match expression) selected the same $sngrep_frames frames"
    tools=(sipscope tshark sngrep)
else
    echo "sngrep did not select the call headless (it wrote $sngrep_frames frames," \
        "tshark selects $want): left out of the ratios"
    tools=(sipscope tshark)
fi

echo
printf '%-9s %9s %9s %10s %10s\n' tool "wall s" "peak MB" "speed x" "memory x"
for t in "${tools[@]}"; do
    awk -v t="$t" -v w="${walls[$t]}" -v r="${rss[$t]}" \
        -v ow="${walls[sipscope]}" -v orss="${rss[sipscope]}" 'BEGIN {
        if (t == "sipscope") { sp = "-"; mem = "-" }
        else {
            sp = (ow > 0) ? sprintf("%.1f", w / ow) : "inf"
            mem = sprintf("%.3f", orss / r)
        }
        printf "%-9s %9.2f %9.1f %10s %10s\n", t, w, r / 1024, sp, mem
    }'
done
echo "(speed x = their wall / ours; memory x = our peak / theirs; MB = MiB;"
echo " sipscope wall is the median of $repeat runs: $sipscope_runs s)"
exit "$status"
