#!/usr/bin/env bash
# Installs what building sipscope needs on Debian/Ubuntu, only where missing:
# libpcap-dev (the pcap crate links libpcap) and pkg-config. With --test, also
# what the tests drive: tmux (the end-to-end UI test), tshark (it checks
# exported files), sngrep (the HEP peer) and setcap (capturing without root).
set -euo pipefail

missing=()
if [ "${1:-}" = "--test" ]; then
    command -v tmux >/dev/null 2>&1 || missing+=(tmux)
    command -v tshark >/dev/null 2>&1 || missing+=(tshark)
    command -v sngrep >/dev/null 2>&1 || missing+=(sngrep)
    command -v setcap >/dev/null 2>&1 || missing+=(libcap2-bin)
fi
[ -e /usr/include/pcap.h ] || [ -e /usr/include/pcap/pcap.h ] || missing+=(libpcap-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "sipscope needs: ${missing[*]} (no apt-get here: install them with your package manager)" >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "install as root: apt-get install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
fi
echo "installing ${missing[*]} with apt-get (this can take a minute)..." >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
