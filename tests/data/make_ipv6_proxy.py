#!/usr/bin/env python3
"""Writes synthetic_ipv6_proxy.pcap: one call through a stateful proxy over
IPv6 (caller, proxy, callee: three endpoints whose addresses share their
first six groups, as hosts of one subnet with EUI-64 addresses do), with a
few seconds of RTP straight between caller and callee. The ladder must tell
the three columns apart in 80 columns (standard library only; deterministic).

Run from this directory; then `python3 /work/shared/tools/truth.py synthetic_ipv6_proxy.pcap`
writes its tshark truth file. Only documentation addresses (2001:db8::/32).
"""
import ipaddress
import struct

T0 = 1795600000.0
PREFIX = '2001:db8:625c:f037:a00:27ff:'
CALLER = (PREFIX + 'feb9:152', 5060)
PROXY = (PREFIX + 'fe4d:21a', 5060)
CALLEE = (PREFIX + 'fe33:9c1', 5060)
frames = []


def checksum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s >> 16) + (s & 0xffff)
    return (~s) & 0xffff


def udp(t, src, dst, payload):
    s, d = ipaddress.IPv6Address(src[0]).packed, ipaddress.IPv6Address(dst[0]).packed
    length = 8 + len(payload)
    pseudo = s + d + struct.pack('!IxxxB', length, 17)
    hdr = struct.pack('!HHHH', src[1], dst[1], length, 0)
    csum = checksum(pseudo + hdr + payload) or 0xffff
    dgram = struct.pack('!HHHH', src[1], dst[1], length, csum) + payload
    ip6 = struct.pack('!IHBB', 0x60000000, length, 17, 64) + s + d
    frames.append((T0 + t, len(frames), b'\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x86\xdd' + ip6 + dgram))


def host(a):
    return '[%s]' % a[0]


def sdp(a, port):
    return ('v=0\r\no=- 1 1 IN IP6 %s\r\ns=-\r\nc=IN IP6 %s\r\nt=0 0\r\n'
            'm=audio %d RTP/AVP 0\r\na=sendrecv\r\n' % (a[0], a[0], port)).encode()


CID = 'v6-proxied-1'
VIA_C = 'Via: SIP/2.0/UDP %s:5060;branch=z9hG4bKc1' % host(CALLER)
VIA_P = 'Via: SIP/2.0/UDP %s:5060;branch=z9hG4bKp1' % host(PROXY)
RR = 'Record-Route: <sip:%s;lr>' % host(PROXY)


def message(start, vias, cseq, method, totag, extra=(), body=b''):
    h = [start] + vias + ['From: <sip:alice@example.com>;tag=c1',
                          'To: <sip:bob@example.com>' + (';tag=e1' if totag else ''),
                          'Call-ID: ' + CID, 'CSeq: %d %s' % (cseq, method)] + list(extra)
    if body:
        h.append('Content-Type: application/sdp')
    h.append('Content-Length: %d' % len(body))
    return ('\r\n'.join(h) + '\r\n\r\n').encode() + body


def request(t, src, dst, method, cseq, vias, totag=False, body=b'', extra=()):
    start = '%s sip:bob@%s:5060 SIP/2.0' % (method, host(CALLEE))
    udp(t, src, dst, message(start, vias, cseq, method, totag,
                             ['Max-Forwards: 70', 'Contact: <sip:%s:5060>' % host(src)] + list(extra), body))


def response(t, src, dst, code, reason, cseq, method, vias, body=b'', extra=()):
    udp(t, src, dst, message('SIP/2.0 %d %s' % (code, reason), vias, cseq, method, code > 100, extra, body))


offer, answer = sdp(CALLER, 4000), sdp(CALLEE, 5000)
request(0.0, CALLER, PROXY, 'INVITE', 1, [VIA_C], body=offer)
response(0.005, PROXY, CALLER, 100, 'Trying', 1, 'INVITE', [VIA_C])
request(0.01, PROXY, CALLEE, 'INVITE', 1, [VIA_P, VIA_C], body=offer, extra=[RR])
response(0.2, CALLEE, PROXY, 180, 'Ringing', 1, 'INVITE', [VIA_P, VIA_C], extra=[RR])
response(0.205, PROXY, CALLER, 180, 'Ringing', 1, 'INVITE', [VIA_C], extra=[RR])
response(1.0, CALLEE, PROXY, 200, 'OK', 1, 'INVITE', [VIA_P, VIA_C], body=answer, extra=[RR])
response(1.005, PROXY, CALLER, 200, 'OK', 1, 'INVITE', [VIA_C], body=answer, extra=[RR])
ack_c = 'Via: SIP/2.0/UDP %s:5060;branch=z9hG4bKc2' % host(CALLER)
ack_p = 'Via: SIP/2.0/UDP %s:5060;branch=z9hG4bKp2' % host(PROXY)
request(1.01, CALLER, PROXY, 'ACK', 1, [ack_c], totag=True)
request(1.015, PROXY, CALLEE, 'ACK', 1, [ack_p, ack_c], totag=True)
for i in range(150):  # 3 s of RTP each way, caller and callee
    for (src, dst, ssrc, off) in (((CALLER[0], 4000), (CALLEE[0], 5000), 0xC0FFEE01, 0.02),
                                  ((CALLEE[0], 5000), (CALLER[0], 4000), 0xC0FFEE02, 0.03)):
        hdr = struct.pack('!BBHII', 0x80, 0, i, i * 160, ssrc)
        udp(1.0 + off + i * 0.02, src, dst, hdr + b'\xff' * 160)
bye_e = 'Via: SIP/2.0/UDP %s:5060;branch=z9hG4bKe3' % host(CALLEE)
bye_p = 'Via: SIP/2.0/UDP %s:5060;branch=z9hG4bKp3' % host(PROXY)


def bye(t, src, dst, vias):
    start = 'BYE sip:alice@%s:5060 SIP/2.0' % host(CALLER)
    h = [start] + vias + ['From: <sip:bob@example.com>;tag=e1', 'To: <sip:alice@example.com>;tag=c1',
                          'Call-ID: ' + CID, 'CSeq: 1 BYE', 'Max-Forwards: 70', 'Content-Length: 0']
    udp(t, src, dst, ('\r\n'.join(h) + '\r\n\r\n').encode())


def bye_ok(t, src, dst, vias):
    h = ['SIP/2.0 200 OK'] + vias + ['From: <sip:bob@example.com>;tag=e1', 'To: <sip:alice@example.com>;tag=c1',
                                     'Call-ID: ' + CID, 'CSeq: 1 BYE', 'Content-Length: 0']
    udp(t, src, dst, ('\r\n'.join(h) + '\r\n\r\n').encode())


bye(4.2, CALLEE, PROXY, [bye_e])
bye(4.205, PROXY, CALLER, [bye_p, bye_e])
bye_ok(4.25, CALLER, PROXY, [bye_p, bye_e])
bye_ok(4.255, PROXY, CALLEE, [bye_e])

frames.sort()
with open('synthetic_ipv6_proxy.pcap', 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for ts, _, frame in frames:
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        f.write(struct.pack('<IIII', sec, usec, len(frame), len(frame)) + frame)
