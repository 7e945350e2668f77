#!/usr/bin/env python3
"""Writes captures of one call through a PBX: two dialogs (legs), caller to PBX
and PBX to callee, with RTP both ways (standard library only; deterministic).

  synthetic_pbx_direct_media.pcap  the PBX does not anchor media (Asterisk's
                                   directmedia, FreeSWITCH's bypass): both legs'
                                   SDPs name the caller's and the callee's
                                   addresses, and RTP flows straight between
                                   them, 1000 packets each way. The callee
                                   starts sending as it answers, before the
                                   PBX's 200 OK reaches the caller.
  synthetic_pbx_anchored.pcap      the PBX anchors media: leg A's SDPs name the
                                   caller and the PBX's port 10000, leg B's the
                                   PBX's port 10002 and the callee; four flows.

Run from this directory; then `python3 /work/shared/tools/truth.py synthetic_pbx_*.pcap`
writes their tshark truth files. Only documentation addresses (192.0.2.0/24).
"""
import struct

T0 = 1795500000.0
CALLER = ('192.0.2.1', 5060)
PBX = ('192.0.2.5', 5060)
CALLEE = ('192.0.2.2', 5060)
SECONDS = 20.0  # of RTP: 1000 packets of 20 ms each way


def ip_checksum(h):
    s = sum(struct.unpack('!10H', h))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return (~s) & 0xffff


class Pcap:
    def __init__(self, path):
        self.path = path
        self.frames = []
        self.ip_id = 1

    def udp(self, t, src, dst, payload):
        (sip, sport), (dip, dport) = src, dst
        udp = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
        hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), self.ip_id & 0xffff, 0, 64, 17, 0,
                          bytes(map(int, sip.split('.'))), bytes(map(int, dip.split('.'))))
        self.ip_id += 1
        hdr = hdr[:10] + struct.pack('!H', ip_checksum(hdr)) + hdr[12:]
        frame = b'\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00' + hdr + udp
        self.frames.append((T0 + t, len(self.frames), frame))

    def close(self):
        self.frames.sort()
        with open(self.path, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for ts, _, frame in self.frames:
                sec = int(ts)
                usec = int(round((ts - sec) * 1e6))
                if usec >= 1000000:
                    sec, usec = sec + 1, usec - 1000000
                f.write(struct.pack('<IIII', sec, usec, len(frame), len(frame)) + frame)


def sdp(owner, host, port):
    lines = ['v=0', 'o=- 1 1 IN IP4 %s' % owner, 's=-', 'c=IN IP4 %s' % host, 't=0 0',
             'm=audio %d RTP/AVP 8 101' % port, 'a=rtpmap:8 PCMA/8000',
             'a=rtpmap:101 telephone-event/8000', 'a=sendrecv']
    return ('\r\n'.join(lines) + '\r\n').encode()


def msg(start, headers, body=b''):
    lines = [start] + headers
    if body:
        lines.append('Content-Type: application/sdp')
    lines.append('Content-Length: %d' % len(body))
    return ('\r\n'.join(lines) + '\r\n\r\n').encode() + body


class Leg:
    """One dialog from `uac` to `uas`."""

    def __init__(self, p, cid, uac, uas, user):
        self.p, self.cid, self.uac, self.uas, self.user = p, cid, uac, uas, user

    def _h(self, cseq, method, branch, totag):
        return ['Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s%d%s' % (self.uac[0], self.uac[1], self.cid, cseq, branch),
                'From: <sip:caller@example.com>;tag=f%s' % self.cid,
                'To: <sip:%s@example.com>%s' % (self.user, ';tag=t%s' % self.cid if totag else ''),
                'Call-ID: %s' % self.cid, 'CSeq: %d %s' % (cseq, method)]

    def req(self, t, method, cseq, body=b'', totag=False):
        h = self._h(cseq, method, method.lower(), totag) + [
            'Max-Forwards: 70', 'Contact: <sip:%s:%d>' % self.uac]
        start = '%s sip:%s@%s:%d SIP/2.0' % (method, self.user, self.uas[0], self.uas[1])
        self.p.udp(t, self.uac, self.uas, msg(start, h, body))

    def resp(self, t, code, reason, cseq, method, body=b''):
        branch = 'invite' if method == 'INVITE' else method.lower()
        h = self._h(cseq, method, branch, code > 100)
        if code == 200 and method == 'INVITE':
            h.append('Contact: <sip:%s:%d>' % self.uas)
        self.p.udp(t, self.uas, self.uac, msg('SIP/2.0 %d %s' % (code, reason), h, body))

    def bye(self, t):
        self.req(t, 'BYE', 2, totag=True)
        self.resp(t + 0.01, 200, 'OK', 2, 'BYE')


def rtp(p, src, dst, start, ssrc):
    t = start
    for i in range(int(SECONDS / 0.02)):
        hdr = struct.pack('!BBHII', 0x80, 8, (1000 + i) & 0xffff, (i * 160) & 0xffffffff, ssrc)
        p.udp(t, src, dst, hdr + b'\xd5' * 160)
        t += 0.02


def through_pbx(path, a_answer, b_offer, flows):
    """Leg A (caller to PBX) and leg B (PBX to callee); `a_answer` is the
    PBX's SDP to the caller, `b_offer` its SDP to the callee."""
    p = Pcap(path)
    a = Leg(p, 'leg-a-7f3e', CALLER, PBX, 'pbx')
    b = Leg(p, 'leg-b-91c2', PBX, CALLEE, 'callee')
    a.req(0.0, 'INVITE', 1, sdp(CALLER[0], CALLER[0], 4000))
    a.resp(0.01, 100, 'Trying', 1, 'INVITE')
    b.req(0.02, 'INVITE', 1, b_offer)
    b.resp(0.03, 100, 'Trying', 1, 'INVITE')
    b.resp(0.2, 180, 'Ringing', 1, 'INVITE')
    a.resp(0.21, 180, 'Ringing', 1, 'INVITE')
    b.resp(1.0, 200, 'OK', 1, 'INVITE', sdp(CALLEE[0], CALLEE[0], 5000))
    a.resp(1.02, 200, 'OK', 1, 'INVITE', a_answer)
    a.req(1.03, 'ACK', 1, totag=True)
    b.req(1.031, 'ACK', 1, totag=True)
    for src, dst, start, ssrc in flows:
        rtp(p, src, dst, start, ssrc)
    a.bye(1.1 + SECONDS)
    b.bye(1.12 + SECONDS)
    p.close()


C_MEDIA = (CALLER[0], 4000)
E_MEDIA = (CALLEE[0], 5000)

through_pbx('synthetic_pbx_direct_media.pcap',
            sdp(PBX[0], CALLEE[0], 5000), sdp(PBX[0], CALLER[0], 4000),
            # The callee talks as it answers (1.005), before leg A's 200 OK.
            [(E_MEDIA, C_MEDIA, 1.005, 0x0000E5E5), (C_MEDIA, E_MEDIA, 1.04, 0x0000C1C1)])

P_A, P_B = (PBX[0], 10000), (PBX[0], 10002)
through_pbx('synthetic_pbx_anchored.pcap',
            sdp(PBX[0], PBX[0], 10000), sdp(PBX[0], PBX[0], 10002),
            [(E_MEDIA, P_B, 1.005, 0x0000E5E5), (P_A, C_MEDIA, 1.025, 0x0000A0A0),
             (C_MEDIA, P_A, 1.04, 0x0000C1C1), (P_B, E_MEDIA, 1.045, 0x0000B0B0)])
