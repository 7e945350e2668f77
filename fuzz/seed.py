#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from the captures in tests/data (needs tshark).

The corpora are not committed (see .gitignore); run this once before fuzzing,
or let run.sh do it. Existing seed files are left alone.
"""
import hashlib
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "tests", "data")
CORPUS = os.path.join(HERE, "corpus")
# Must match fuzz_targets/pipeline.rs.
LINKTYPES = [1, 0, 101, 108, 113, 228, 229, 276]
MAX_SEEDS_PER_FILE = 6
FRAMES_PER_SEED = 24


def put(target, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest())
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)


def captures():
    for name in sorted(os.listdir(DATA)):
        if name.endswith((".pcap", ".pcapng")):
            yield os.path.join(DATA, name)


def tshark_fields(path, flt, field):
    out = subprocess.run(
        ["tshark", "-r", path, "-2", "-Y", flt, "-T", "fields", "-e", field],
        capture_output=True, text=True, check=False).stdout
    return [bytes.fromhex(l.strip().replace(":", "")) for l in out.splitlines() if l.strip()]


def read_pcap(path):
    """(linktype, [(ts_ns, data)]) of a classic pcap."""
    b = open(path, "rb").read()
    magic = b[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return None, []
    nanos = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(e + "I", b[20:24])[0] & 0xFFFF
    frames, pos = [], 24
    while pos + 16 <= len(b):
        sec, frac, incl, _ = struct.unpack(e + "IIII", b[pos:pos + 16])
        data = b[pos + 16:pos + 16 + incl]
        frames.append((sec * 10**9 + (frac if nanos else frac * 1000), data))
        pos += 16 + incl
    return linktype, frames


def pipeline_seeds(path):
    """Frames that are not RTP/RTCP, in the pipeline target's input format."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "f.pcap")
        subprocess.run(["tshark", "-r", path, "-2", "-Y", "not rtp and not rtcp",
                        "-F", "pcap", "-w", out], capture_output=True, check=False)
        linktype, frames = read_pcap(out)
    if linktype not in LINKTYPES or not frames:
        return
    for n, i in enumerate(range(0, len(frames), FRAMES_PER_SEED)):
        if n >= MAX_SEEDS_PER_FILE:
            break
        chunk = frames[i:i + FRAMES_PER_SEED]
        seed = bytearray([LINKTYPES.index(linktype)])
        seed += struct.pack("<Q", chunk[0][0] << 1)
        prev = chunk[0][0]
        for ts, data in chunk:
            dt = max(ts - prev, 0)  # captures are not always in time order
            prev = ts
            step = min(dt // 100_000, 127) if dt < 1_000_000_000 else 128 + min(dt // 10**9, 127)
            seed += bytes([step]) + struct.pack(">H", min(len(data), 0xFFFF)) + data[:0xFFFF]
        put("pipeline", bytes(seed))


def capture_seeds(path):
    b = open(path, "rb").read()
    put("capture_file", b[:16384])
    if path.endswith(".pcap") and len(b) <= 16384:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "f.pcapng")
            subprocess.run(["editcap", "-F", "pcapng", path, out], capture_output=True, check=False)
            if os.path.exists(out):
                put("capture_file", open(out, "rb").read()[:16384])


def main():
    if subprocess.run(["which", "tshark"], capture_output=True).returncode != 0:
        sys.exit("seed.py needs tshark")
    for path in captures():
        payloads = tshark_fields(path, "sip and udp", "udp.payload")
        payloads += tshark_fields(path, "sip and tcp", "tcp.payload")
        for p in payloads[:200]:
            put("scan", p)
            put("strict", p)
            for sep in (b"\r\n\r\n", b"\n\n"):
                if sep in p:
                    body = p.split(sep, 1)[1]
                    if body:
                        put("sdp", body)
                    break
        pipeline_seeds(path)
        capture_seeds(path)
    for t in sorted(os.listdir(CORPUS)):
        print(t, len(os.listdir(os.path.join(CORPUS, t))), "seeds")


if __name__ == "__main__":
    main()
