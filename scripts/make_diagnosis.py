#!/usr/bin/env python3
"""Writes tests/data/diagnosis/*.pcap: one small capture per diagnosis rule
(standard library only; deterministic). Each shows the pattern the rule looks
for, on the RFC 3261 timer schedule where timers matter, so tests can check
that the rule fires with the right evidence.

    python3 scripts/make_diagnosis.py        # from the repository root

Addresses: documentation ranges (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24) stand for public hosts, 10.0.0.0/8 and 192.168.0.0/16 for
private ones. Timings are in seconds from T0.
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'data', 'diagnosis')
T0 = 1795400000.0
A = ('192.0.2.1', 5060)       # caller
B = ('192.0.2.2', 5060)       # callee / server
OTHER = ('192.0.2.9', 5060)   # a third party that only moves the capture clock
SCHEDULE = [0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5]  # INVITE retransmissions, Timer A (T1 = 0.5 s)
# 2xx (RFC 3261 13.3.1.4) and non-INVITE (Timer E): doubling, capped at T2 = 4 s.
CAPPED = [0, 0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]


def ip_checksum(h):
    s = sum(struct.unpack('!10H', h))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return (~s) & 0xffff


class Pcap:
    def __init__(self, name):
        self.path = os.path.join(OUT, name)
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
        self.frames.append((T0 + t, frame))

    def close(self):
        self.frames.sort(key=lambda f: f[0])
        with open(self.path, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for ts, frame in self.frames:
                sec = int(ts)
                usec = int(round((ts - sec) * 1e6))
                if usec >= 1000000:
                    sec, usec = sec + 1, usec - 1000000
                f.write(struct.pack('<IIII', sec, usec, len(frame), len(frame)) + frame)


def sdp(host, port, codecs=(0,), extra=(), proto='RTP/AVP', direction='sendrecv', version=1, origin=None):
    lines = ['v=0', 'o=- 1 %d IN IP4 %s' % (version, origin or host), 's=-', 'c=IN IP4 %s' % host, 't=0 0',
             'm=audio %d %s %s' % (port, proto, ' '.join(map(str, codecs)))] + list(extra) + ['a=' + direction]
    return ('\r\n'.join(lines) + '\r\n').encode()


class Call:
    """One dialog between a caller and a callee; builds and records messages."""

    def __init__(self, p, cid, caller=A, callee=B, contact=None):
        self.p, self.cid, self.a, self.b = p, cid, caller, callee
        self.contact = contact or caller[0]
        self.branches = {}

    def _common(self, cseq, method, totag, via_host=None, via_port=None, from_b=False):
        key = (cseq, method if method != 'ACK' else 'ACK')
        branch = self.branches.setdefault(key, 'z9hG4bK%s%d%s' % (self.cid[:4], cseq, method.lower()))
        src = self.b if from_b else self.a
        via = 'Via: SIP/2.0/UDP %s:%d;branch=%s' % (via_host or src[0], via_port or src[1], branch)
        frm = 'From: <sip:alice@example.com>;tag=a%s' % self.cid[:4]
        to = 'To: <sip:bob@example.com>' + (';tag=b%s' % self.cid[:4] if totag else '')
        if from_b:
            frm, to = ('From: <sip:bob@example.com>;tag=b%s' % self.cid[:4],
                       'To: <sip:alice@example.com>;tag=a%s' % self.cid[:4])
        return [via, frm, to, 'Call-ID: ' + self.cid, 'CSeq: %d %s' % (cseq, method)]

    def req(self, t, method, cseq, body=b'', extra=(), totag=False, from_b=False, via_host=None, src=None):
        h = self._common(cseq, method, totag, via_host=via_host, from_b=from_b)
        src = src or (self.b if from_b else self.a)
        dst = self.a if from_b else self.b
        h += ['Max-Forwards: 70', 'Contact: <sip:%s@%s:%d>' % ('bob' if from_b else 'alice',
              self.b[0] if from_b else self.contact, src[1])]
        h += list(extra)
        if body:
            h.append('Content-Type: ' + ('application/sdp' if body.startswith(b'v=0') else 'message/sipfrag'))
        start = '%s sip:%s@%s:%d SIP/2.0' % (method, 'alice' if from_b else 'bob', dst[0], dst[1])
        self.p.udp(t, src, dst, msg(start, h, body))
        return self

    def resp(self, t, code, reason, cseq, method, body=b'', extra=(), to_b=False, dst=None, via_host=None):
        h = self._common(cseq, method, code > 100, via_host=via_host, from_b=to_b)
        if code >= 200 and code < 300 and method == 'INVITE':
            h.append('Contact: <sip:%s@%s:%d>' % ('alice' if to_b else 'bob', (self.a if to_b else self.b)[0], 5060))
        h += list(extra)
        if body:
            h.append('Content-Type: application/sdp')
        src = self.a if to_b else self.b
        self.p.udp(t, src, dst or (self.b if to_b else self.a), msg('SIP/2.0 %d %s' % (code, reason), h, body))
        return self

    def established(self, t=0.0, offer=None, answer=None, extra_200=()):
        """INVITE, 100, 180, 200, ACK from t; returns the time of the ACK."""
        self.req(t, 'INVITE', 1, offer or sdp(self.a[0], 40000))
        self.resp(t + 0.01, 100, 'Trying', 1, 'INVITE')
        self.resp(t + 0.2, 180, 'Ringing', 1, 'INVITE')
        self.resp(t + 1.0, 200, 'OK', 1, 'INVITE', answer or sdp(self.b[0], 50000), extra=extra_200)
        self.req(t + 1.01, 'ACK', 1, totag=True)
        return t + 1.01

    def bye(self, t, cseq=2, from_b=False):
        self.req(t, 'BYE', cseq, totag=True, from_b=from_b)
        self.resp(t + 0.01, 200, 'OK', cseq, 'BYE', to_b=from_b)


def msg(start, headers, body=b''):
    lines = [start.encode()] + [h.encode() for h in headers]
    lines.append(b'Content-Length: %d' % len(body))
    return b'\r\n'.join(lines) + b'\r\n\r\n' + body


def rtp(p, src, dst, start, seconds, ssrc, pt=0, skip=(), gap=None):
    """20 ms packets from src to dst; `skip` drops sequence numbers (loss);
    `gap` = (at, length) stops sending for a while (same seq, later time)."""
    n = int(seconds / 0.02)
    t = start
    for i in range(n):
        if gap and abs((t - start) - gap[0]) < 0.01:
            t += gap[1]
        if i not in skip:
            hdr = struct.pack('!BBHII', 0x80, pt, i & 0xffff, (i * 160) & 0xffffffff, ssrc)
            p.udp(t, src, dst, hdr + b'\xff' * 160)
        t += 0.02


def clock(p, t):
    """An unrelated OPTIONS at t: the capture goes on until then."""
    Call(p, 'clock-%d' % int(t), OTHER, ('192.0.2.10', 5060)).req(t, 'OPTIONS', 1).resp(
        t + 0.01, 200, 'OK', 1, 'OPTIONS')


def media_call(p, cid, a_to_b=3.0, b_to_a=3.0, **kw):
    c = Call(p, cid)
    t = c.established()
    if a_to_b:
        rtp(p, (A[0], 40000), (B[0], 50000), t + 0.02, a_to_b, 0x1111, **kw)
    if b_to_a:
        rtp(p, (B[0], 50000), (A[0], 40000), t + 0.03, b_to_a, 0x2222)
    return c, t


def main():
    os.makedirs(OUT, exist_ok=True)

    p = Pcap('ack_missing.pcap')  # the 32-second drop
    c = Call(p, 'ackmiss-1')
    c.req(0, 'INVITE', 1, sdp(A[0], 40000))
    c.resp(0.01, 100, 'Trying', 1, 'INVITE').resp(0.2, 180, 'Ringing', 1, 'INVITE')
    for dt in CAPPED:
        c.resp(1.0 + dt, 200, 'OK', 1, 'INVITE', sdp(B[0], 50000))
    c.bye(33.0, from_b=True)
    p.close()

    p = Pcap('invite_timeout.pcap')  # Timer B fires
    c = Call(p, 'timeout-1')
    for dt in SCHEDULE:
        c.req(dt, 'INVITE', 1, sdp(A[0], 40000))
    clock(p, 40.0)
    p.close()

    p = Pcap('invite_timeout_cut.pcap')  # the capture ends before Timer B
    c = Call(p, 'timeout-2')
    for dt in SCHEDULE[:3]:
        c.req(dt, 'INVITE', 1, sdp(A[0], 40000))
    p.close()

    p = Pcap('one_side_only.pcap')  # a lone INVITE, the peer never heard from
    Call(p, 'oneside-1').req(0, 'INVITE', 1, sdp(A[0], 40000))
    clock(p, 40.0)
    p.close()

    p = Pcap('forbidden_403.pcap')
    c = Call(p, 'forbid-1')
    c.req(0, 'INVITE', 1, sdp(A[0], 40000))
    c.resp(0.01, 407, 'Proxy Authentication Required', 1, 'INVITE',
           extra=['Proxy-Authenticate: Digest realm="example.com", nonce="n1"'])
    c.req(0.02, 'ACK', 1, totag=True)
    c.req(0.05, 'INVITE', 2, sdp(A[0], 40000),
          extra=['Proxy-Authorization: Digest username="alice", realm="example.com", nonce="n1", response="x"'])
    c.resp(0.06, 403, 'Forbidden', 2, 'INVITE', extra=['Warning: 399 example.com "Destination barred"'])
    c.req(0.07, 'ACK', 2, totag=True)
    p.close()

    p = Pcap('not_found_404.pcap')
    c = Call(p, 'nf-1')
    c.req(0, 'INVITE', 1, sdp(A[0], 40000)).resp(0.01, 100, 'Trying', 1, 'INVITE')
    c.resp(0.3, 404, 'Not Found', 1, 'INVITE', extra=['Reason: Q.850;cause=1;text="Unallocated number"'])
    c.req(0.31, 'ACK', 1, totag=True)
    p.close()

    p = Pcap('upstream_503.pcap')
    c = Call(p, 'svc-1')
    c.req(0, 'INVITE', 1, sdp(A[0], 40000))
    c.resp(0.004, 503, 'Service Unavailable', 1, 'INVITE', extra=['Retry-After: 60'])
    c.req(0.005, 'ACK', 1, totag=True)
    p.close()

    p = Pcap('auth_loop.pcap')
    c = Call(p, 'auth-1')
    for i in range(3):
        extra = [] if i == 0 else ['Authorization: Digest username="alice", realm="example.com", nonce="same", response="bad%d"' % i]
        c.req(i * 0.1, 'INVITE', i + 1, sdp(A[0], 40000), extra=extra)
        c.resp(i * 0.1 + 0.01, 401, 'Unauthorized', i + 1, 'INVITE',
               extra=['WWW-Authenticate: Digest realm="example.com", nonce="same", algorithm=MD5'])
        c.req(i * 0.1 + 0.02, 'ACK', i + 1, totag=True)
    p.close()

    p = Pcap('prack_missing.pcap')
    c = Call(p, 'prack-1')
    c.req(0, 'INVITE', 1, sdp(A[0], 40000), extra=['Supported: 100rel'])
    c.resp(0.01, 100, 'Trying', 1, 'INVITE')
    for dt in SCHEDULE:
        c.resp(0.2 + dt, 183, 'Session Progress', 1, 'INVITE', sdp(B[0], 50000),
               extra=['Require: 100rel', 'RSeq: 1'])
    c.resp(32.3, 504, 'Server Time-out', 1, 'INVITE')
    c.req(32.31, 'ACK', 1, totag=True)
    p.close()

    p = Pcap('pdd_high.pcap')
    c = Call(p, 'pdd-1')
    c.req(0, 'INVITE', 1, sdp(A[0], 40000)).resp(0.01, 100, 'Trying', 1, 'INVITE')
    c.resp(5.0, 180, 'Ringing', 1, 'INVITE')
    c.resp(7.0, 200, 'OK', 1, 'INVITE', sdp(B[0], 50000)).req(7.01, 'ACK', 1, totag=True)
    c.bye(9.0)
    p.close()

    p = Pcap('cancel_race.pcap')  # CANCEL crosses the 200 OK
    c = Call(p, 'race-1')
    c.req(0, 'INVITE', 1, sdp(A[0], 40000)).resp(0.01, 100, 'Trying', 1, 'INVITE')
    c.resp(0.2, 180, 'Ringing', 1, 'INVITE')
    c.req(2.0, 'CANCEL', 1)
    c.resp(2.01, 200, 'OK', 1, 'INVITE', sdp(B[0], 50000))
    c.resp(2.02, 200, 'OK', 1, 'CANCEL')
    c.req(2.03, 'ACK', 1, totag=True)
    c.bye(2.04)
    p.close()

    p = Pcap('reinvite_glare_491.pcap')
    c = Call(p, 'glare-1')
    t = c.established()
    c.req(t + 2, 'INVITE', 2, sdp(A[0], 40000, extra=['a=sendonly']), totag=True)
    c.resp(t + 2.01, 491, 'Request Pending', 2, 'INVITE')
    c.req(t + 2.02, 'ACK', 2, totag=True)
    c.bye(t + 12, cseq=3)
    p.close()

    p = Pcap('in_dialog_481.pcap')
    c = Call(p, 'gone-1')
    t = c.established()
    c.req(t + 5, 'BYE', 2, totag=True)
    c.resp(t + 5.01, 481, 'Call/Transaction Does Not Exist', 2, 'BYE')
    p.close()

    p = Pcap('session_timer_expiry.pcap')
    c = Call(p, 'se-1')
    t = c.established(extra_200=['Session-Expires: 90;refresher=uac', 'Require: timer'])
    c.bye(t + 90.5, from_b=True)
    p.close()

    p = Pcap('register_failure.pcap')
    c = Call(p, 'reg-1')
    c.req(0, 'REGISTER', 1, extra=['Expires: 60'])
    c.resp(0.01, 423, 'Interval Too Brief', 1, 'REGISTER', extra=['Min-Expires: 3600'])
    p.close()

    p = Pcap('register_timeout.pcap')
    c = Call(p, 'reg-2')
    for dt in CAPPED:
        c.req(dt, 'REGISTER', 1, extra=['Expires: 3600'])
    clock(p, 40.0)
    p.close()

    p = Pcap('registration_lapse.pcap')
    c = Call(p, 'reg-3')
    c.req(0, 'REGISTER', 1, extra=['Expires: 60'])
    c.resp(0.01, 200, 'OK', 1, 'REGISTER', extra=['Contact: <sip:alice@192.0.2.1:5060>;expires=60'])
    clock(p, 120.0)
    p.close()

    p = Pcap('nat_contact_private.pcap')
    c = Call(p, 'natc-1', caller=('203.0.113.5', 5060), contact='192.168.1.10')
    t = c.established(offer=sdp('203.0.113.5', 40000))
    c.bye(t + 2)
    p.close()

    p = Pcap('sdp_private_address.pcap')
    c = Call(p, 'natm-1', caller=('203.0.113.6', 5060))
    t = c.established(offer=sdp('10.0.0.6', 40000))
    c.bye(t + 2)
    p.close()

    p = Pcap('response_misrouted_nat.pcap')
    c = Call(p, 'via-1', caller=('203.0.113.7', 5060))
    c.req(0, 'INVITE', 1, sdp('203.0.113.7', 40000), via_host='10.0.0.7')
    c.resp(0.01, 100, 'Trying', 1, 'INVITE', dst=('10.0.0.7', 5060), via_host='10.0.0.7')
    c.req(0.5, 'INVITE', 1, sdp('203.0.113.7', 40000), via_host='10.0.0.7')
    c.resp(0.51, 100, 'Trying', 1, 'INVITE', dst=('10.0.0.7', 5060), via_host='10.0.0.7')
    p.close()

    p = Pcap('udp_fragmented_sip.pcap')
    c = Call(p, 'big-1')
    big = sdp(A[0], 40000, codecs=[0] + list(range(96, 127)),
              extra=['a=rtpmap:%d codec%d/8000' % (n, n) for n in range(96, 127)])
    t = c.established(offer=big)
    c.bye(t + 2)
    p.close()

    p = Pcap('transfer_failed.pcap')
    c = Call(p, 'xfer-1')
    t = c.established()
    c.req(t + 2, 'REFER', 2, totag=True, extra=['Refer-To: <sip:carol@example.com>'])
    c.resp(t + 2.01, 202, 'Accepted', 2, 'REFER')
    c.req(t + 2.05, 'NOTIFY', 1, b'SIP/2.0 100 Trying\r\n', totag=True, from_b=True,
          extra=['Event: refer', 'Subscription-State: active'])
    c.resp(t + 2.06, 200, 'OK', 1, 'NOTIFY', to_b=True)
    c.req(t + 4, 'NOTIFY', 2, b'SIP/2.0 486 Busy Here\r\n', totag=True, from_b=True,
          extra=['Event: refer', 'Subscription-State: terminated'])
    c.resp(t + 4.01, 200, 'OK', 2, 'NOTIFY', to_b=True)
    c.bye(t + 5, cseq=3)
    p.close()

    p = Pcap('early_media_silence.pcap')
    c = Call(p, 'early-1')
    c.req(0, 'INVITE', 1, sdp(A[0], 40000)).resp(0.01, 100, 'Trying', 1, 'INVITE')
    c.resp(0.2, 183, 'Session Progress', 1, 'INVITE', sdp(B[0], 50000))
    c.resp(6.0, 200, 'OK', 1, 'INVITE', sdp(B[0], 50000)).req(6.01, 'ACK', 1, totag=True)
    rtp(p, (A[0], 40000), (B[0], 50000), 6.02, 3.0, 0x1111)
    rtp(p, (B[0], 50000), (A[0], 40000), 6.03, 3.0, 0x2222)
    c.bye(9.1)
    p.close()

    p = Pcap('no_media.pcap')  # the second call has no RTP while the first has
    c1, t = media_call(p, 'media-1')
    c1.bye(t + 3.1)
    c2 = Call(p, 'nomedia-2', ('192.0.2.3', 5060), ('192.0.2.4', 5060))
    t2 = c2.established(offer=sdp('192.0.2.3', 42000), answer=sdp('192.0.2.4', 52000))
    c2.bye(t2 + 10)
    p.close()

    p = Pcap('one_way_media.pcap')
    c, t = media_call(p, 'oneway-1', b_to_a=0)
    c.bye(t + 3.1)
    p.close()

    p = Pcap('media_stops_before_bye.pcap')
    c, t = media_call(p, 'stops-1')
    c.bye(t + 12)
    p.close()

    p = Pcap('poor_media_quality.pcap')
    c, t = media_call(p, 'loss-1', skip=set(range(10, 150, 10)))
    c.bye(t + 3.1)
    p.close()

    p = Pcap('media_dropout.pcap')
    c, t = media_call(p, 'gap-1', a_to_b=4.0, b_to_a=4.0 + 2.0, gap=(2.0, 2.0))
    c.bye(t + 6.1)
    p.close()

    p = Pcap('srtp_mismatch.pcap')
    c = Call(p, 'srtp-1')
    offer = sdp(A[0], 40000, proto='RTP/SAVP',
                extra=['a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz'])
    t = c.established(offer=offer)
    c.bye(t + 2)
    p.close()

    p = Pcap('dtmf_mismatch.pcap')
    c = Call(p, 'dtmf-1')
    t = c.established(offer=sdp(A[0], 40000, codecs=(0, 101), extra=['a=rtpmap:101 telephone-event/8000']),
                      answer=sdp(B[0], 50000, codecs=(0, 96), extra=['a=rtpmap:96 telephone-event/8000']))
    c.bye(t + 2)
    p.close()

    p = Pcap('routing_loop.pcap')
    c = Call(p, 'loop-1')
    c.req(0, 'INVITE', 1, sdp(A[0], 40000)).resp(0.01, 100, 'Trying', 1, 'INVITE')
    c.resp(0.4, 483, 'Too Many Hops', 1, 'INVITE')
    c.req(0.41, 'ACK', 1, totag=True)
    p.close()

    p = Pcap('late_media.pcap')
    c = Call(p, 'late-1')
    t = c.established()
    rtp(p, (A[0], 40000), (B[0], 50000), t + 3.0, 2.0, 0x1111)
    rtp(p, (B[0], 50000), (A[0], 40000), t + 3.0, 2.0, 0x2222)
    c.bye(t + 5.1)
    p.close()

    # Hold and resume (A holds B with a re-INVITE, cseq 2; resumes, cseq 3).
    p = Pcap('hold_refused.pcap')  # the hold re-INVITE is refused: still talking
    c, t = media_call(p, 'holdno-1', a_to_b=6.0, b_to_a=6.0)
    c.req(t + 2, 'INVITE', 2, sdp(A[0], 40000, direction='sendonly', version=2), totag=True)
    c.resp(t + 2.01, 500, 'Server Internal Error', 2, 'INVITE')
    c.req(t + 2.02, 'ACK', 2, totag=True)
    c.bye(t + 6.1, cseq=3)
    p.close()

    p = Pcap('held_side_sends.pcap')  # B accepts the hold and keeps sending
    c = Call(p, 'holdsend-1')
    t = c.established()
    rtp(p, (A[0], 40000), (B[0], 50000), t + 0.02, 8.0, 0x1111)  # music on hold
    rtp(p, (B[0], 50000), (A[0], 40000), t + 0.03, 8.0, 0x2222)  # should stop
    c.req(t + 2, 'INVITE', 2, sdp(A[0], 40000, direction='sendonly', version=2), totag=True)
    c.resp(t + 2.01, 200, 'OK', 2, 'INVITE', sdp(B[0], 50000, direction='recvonly', version=2))
    c.req(t + 2.02, 'ACK', 2, totag=True)
    c.bye(t + 8.1, cseq=3)
    p.close()

    p = Pcap('resume_no_media.pcap')  # resumed, and not a packet either way
    c = Call(p, 'resume-1')
    t = c.established()
    rtp(p, (A[0], 40000), (B[0], 50000), t + 0.02, 2.0, 0x1111)
    rtp(p, (B[0], 50000), (A[0], 40000), t + 0.03, 2.0, 0x2222)
    c.req(t + 2.1, 'INVITE', 2, sdp(A[0], 40000, direction='inactive', version=2), totag=True)
    c.resp(t + 2.11, 200, 'OK', 2, 'INVITE', sdp(B[0], 50000, direction='inactive', version=2))
    c.req(t + 2.12, 'ACK', 2, totag=True)
    c.req(t + 6, 'INVITE', 3, sdp(A[0], 40000, version=3), totag=True)
    c.resp(t + 6.01, 200, 'OK', 3, 'INVITE', sdp(B[0], 50000, version=3))
    c.req(t + 6.02, 'ACK', 3, totag=True)
    c.bye(t + 12, cseq=4)
    p.close()

    # Through a record-routing proxy P, captured at the caller A: the 200 OK
    # comes from P with Record-Route; the ACK and the BYE must go to P with a
    # Route header. `record_route_ignored` sends them straight to B's Contact.
    for name, follows in (('record_route_ignored.pcap', False), ('record_route_followed.pcap', True)):
        p = Pcap(name)
        cid = 'rr-%d' % follows
        P = ('192.0.2.5', 5060)
        rr = 'Record-Route: <sip:192.0.2.5;lr>'

        def head(method, cseq, branch, totag):
            return ['Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s' % (A[0], A[1], branch),
                    'From: <sip:alice@example.com>;tag=a%s' % cid,
                    'To: <sip:bob@example.com>' + (';tag=b%s' % cid if totag else ''),
                    'Call-ID: ' + cid, 'CSeq: %d %s' % (cseq, method), 'Max-Forwards: 70']

        def resp(t, code, reason, cseq, method, branch, extra=(), body=b''):
            h = head(method, cseq, branch, code > 100) + list(extra)
            if body:
                h.append('Content-Type: application/sdp')
            p.udp(t, P, A, msg('SIP/2.0 %d %s' % (code, reason), h, body))

        inv = head('INVITE', 1, 'inv', False) + ['Contact: <sip:alice@%s:5060>' % A[0],
                                                 'Content-Type: application/sdp']
        p.udp(0, A, P, msg('INVITE sip:bob@example.com SIP/2.0', inv, sdp(A[0], 40000)))
        resp(0.01, 100, 'Trying', 1, 'INVITE', 'inv')
        resp(0.2, 180, 'Ringing', 1, 'INVITE', 'inv', extra=[rr])
        resp(1.0, 200, 'OK', 1, 'INVITE', 'inv', extra=[rr, 'Contact: <sip:bob@%s:5060>' % B[0]],
             body=sdp(B[0], 50000))
        for t, method, cseq, branch in ((1.01, 'ACK', 1, 'ack'), (3.0, 'BYE', 2, 'bye')):
            if follows:
                h = head(method, cseq, branch, True) + ['Route: <sip:192.0.2.5;lr>']
                p.udp(t, A, P, msg('%s sip:bob@%s:5060 SIP/2.0' % (method, B[0]), h))
            else:
                p.udp(t, A, B, msg('%s sip:bob@%s:5060 SIP/2.0' % (method, B[0]), head(method, cseq, branch, True)))
        if follows:
            resp(3.01, 200, 'OK', 2, 'BYE', 'bye')
        else:
            p.udp(3.01, B, A, msg('SIP/2.0 481 Call/Transaction Does Not Exist', head('BYE', 2, 'bye', True)))
        p.close()

    p = Pcap('rtp_payload_unexpected.pcap')  # B listed PCMU only; A sends PCMA
    c = Call(p, 'ptype-1')
    t = c.established(offer=sdp(A[0], 40000, codecs=(0, 8)), answer=sdp(B[0], 50000, codecs=(0,)))
    rtp(p, (A[0], 40000), (B[0], 50000), t + 0.02, 2.0, 0x1111, pt=8)
    rtp(p, (B[0], 50000), (A[0], 40000), t + 0.03, 2.0, 0x2222, pt=0)
    c.bye(t + 2.1)
    p.close()

    p = Pcap('rtp_source_nat.pcap')  # A announces 10.0.0.1; its RTP arrives from its NAT
    c = Call(p, 'natrtp-1')
    t = c.established(offer=sdp('10.0.0.1', 40000))
    rtp(p, ('203.0.113.7', 30000), (B[0], 50000), t + 0.02, 2.0, 0x1111)
    rtp(p, (B[0], 50000), ('203.0.113.7', 30000), t + 0.03, 2.0, 0x2222)  # symmetric RTP
    c.bye(t + 2.1)
    p.close()

    p = Pcap('sip_alg.pcap')  # an ALG rewrote c= to the public address, not o=
    c, t = Call(p, 'alg-1'), 0.0
    t = c.established(offer=sdp('203.0.113.7', 40000, origin='192.168.1.10'))
    rtp(p, ('203.0.113.7', 40000), (B[0], 50000), t + 0.02, 2.0, 0x1111)
    rtp(p, (B[0], 50000), ('203.0.113.7', 40000), t + 0.03, 2.0, 0x2222)
    c.bye(t + 2.1)
    p.close()

    p = Pcap('scanner_fraud.pcap')
    c = Call(p, 'scan-1', caller=('203.0.113.66', 5060))
    c.req(0, 'OPTIONS', 1, extra=['User-Agent: friendly-scanner'])
    c.resp(0.01, 200, 'OK', 1, 'OPTIONS')
    p.close()


if __name__ == '__main__':
    main()
