#!/usr/bin/env python3
"""Writes the small hostile captures of issue 15 beside this script.

Run from anywhere: python3 tests/data/hostile/make.py. Deterministic; the
files are committed, this is how they were made. tests/reliability.rs
(`hostile_captures_are_counted_as_what_they_are`) says what each must give.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(src, dst, proto, payload, ident=1, frag_off=0, more=False):
    flags = (0x2000 if more else 0) | (frag_off // 8)
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, 64, proto, 0,
                    bytes(src), bytes(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, seq, payload, flags=0x18):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, 1, 5 << 4, flags, 65535, 0, 0) + payload


def eth(ip):
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip


A, B = [127, 0, 0, 1], [127, 0, 0, 2]


def pcap(frames):
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
    for i, f in enumerate(frames):
        out += struct.pack("<IIII", 1_700_000_000 + i, 0, len(f), len(f)) + f
    return out


def options(call_id, cl="0", body=b"", branch="z9hG4bK1"):
    return (f"OPTIONS sip:ping@127.0.0.2 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch={branch}\r\n"
            f"From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\n"
            f"Content-Length: {cl}\r\n\r\n").encode() + body


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


# TCP: three unreadable Content-Lengths, each with a body glued to the next
# request, then a good one: four OPTIONS, three malformed.
stream = (options("cl-1", "9223372036854775808", b"hello", "z9hG4bKa")
          + options("cl-2", "garbage", b"i", "z9hG4bKb")
          + options("cl-3", "-1", b"ello", "z9hG4bKc")
          + options("cl-4", "0", b"", "z9hG4bKd"))
write("tcp_bad_content_length.pcap",
      pcap([eth(ipv4(A, B, 6, tcp(40000, 5060, 1000, stream)))]))

# TCP: one stream of 200 one-line segments, captured last first.
data = b"".join(options(f"rev-{i}", branch=f"z9hG4bKr{i}") for i in range(20))
segs = [data[i:i + 64] for i in range(0, len(data), 64)]
frames, seq = [], 5000
for s in segs:
    frames.append(eth(ipv4(A, B, 6, tcp(40001, 5060, seq, s))))
    seq += len(s)
write("tcp_reversed.pcap", pcap(list(reversed(frames))))

# IPv4 fragments of one UDP datagram that overlap and disagree.
msg = udp(5060, 5060, options("frag-1").replace(b"TCP", b"UDP"))
first, second = msg[:64], msg[48:]
evil = b"X" * 16 + second[16:]
write("ipv4_overlap_conflict.pcap", pcap([
    eth(ipv4(A, B, 17, first, ident=7, frag_off=0, more=True)),
    eth(ipv4(A, B, 17, evil, ident=7, frag_off=48, more=False)),
]))

# pcapng: a section, one interface (0), a packet on it and one on interface 3.
def block(kind, body):
    n = 12 + len(body)
    return struct.pack("<II", kind, n) + body + struct.pack("<I", n)

pkt = eth(ipv4(A, B, 17, udp(5060, 5060, options("ng-1").replace(b"TCP", b"UDP"))))
pad = pkt + b"\0" * (-len(pkt) % 4)
shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
idb = block(1, struct.pack("<HHI", 1, 0, 65535))
epb = lambda ifid: block(6, struct.pack("<IIIII", ifid, 0, 0, len(pkt), len(pkt)) + pad)
write("pcapng_unknown_interface.pcapng", shb + idb + epb(0) + epb(3))

# UDP: INVITE/200 transactions with no Call-ID at all.
def no_cid(start, tag, cseq):
    return (f"{start}\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK{cseq}\r\nFrom: <sip:a@h>;tag=1\r\n"
            f"To: <sip:b@h>{tag}\r\nCSeq: {cseq} INVITE\r\nContent-Length: 0\r\n\r\n").encode()
write("no_call_id.pcap", pcap([
    eth(ipv4(A, B, 17, udp(5060, 5060, no_cid("INVITE sip:b@h SIP/2.0", "", 1)))),
    eth(ipv4(B, A, 17, udp(5060, 5060, no_cid("SIP/2.0 200 OK", ";tag=2", 1)))),
    eth(ipv4(A, B, 17, udp(5060, 5060, no_cid("INVITE sip:b@h SIP/2.0", "", 2)))),
]))

# Two pcap files, one after the other (cat a.pcap b.pcap).
one = pcap([eth(ipv4(A, B, 17, udp(5060, 5060, options(f"cat-{i}").replace(b"TCP", b"UDP"))))
            for i in range(2)])
write("concatenated.pcap", one + one.replace(b"cat-", b"two-"))
