#!/usr/bin/env python3
"""Writes the synthetic captures that no shared capture covers (standard library only).

  synthetic_retrans_xcid.pcap  an A-leg call whose INVITE is retransmitted 500 ms later
                               (T1), and a B-leg (a B2BUA's other side) tying itself to
                               the A-leg with X-Call-ID.
  synthetic_escapes.pcap       an OPTIONS whose User-Agent carries ESC[2J, whose From
                               carries an OSC window-title sequence and a non-UTF-8 byte.

Run from this directory; then `python3 ../../../shared/tools/truth.py synthetic_*.pcap`
writes their tshark truth files. Only documentation addresses (192.0.2.0/24).
"""
import struct

def ip_checksum(h):
    s = sum(struct.unpack('!10H', h))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return (~s) & 0xffff

class Pcap:
    def __init__(self, path):
        self.f = open(path, 'wb')
        self.f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        self.ip_id = 1

    def udp(self, ts, src, dst, payload):
        (sip, sport), (dip, dport) = src, dst
        udp = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
        hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), self.ip_id, 0, 64, 17, 0,
                          bytes(map(int, sip.split('.'))), bytes(map(int, dip.split('.'))))
        self.ip_id += 1
        hdr = hdr[:10] + struct.pack('!H', ip_checksum(hdr)) + hdr[12:]
        frame = b'\x02\x00\x00\x00\x00\x02' + b'\x02\x00\x00\x00\x00\x01' + b'\x08\x00' + hdr + udp
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        self.f.write(struct.pack('<IIII', sec, usec, len(frame), len(frame)) + frame)

    def close(self):
        self.f.close()

def msg(start, headers, body=b''):
    lines = [start.encode()] + [h if isinstance(h, bytes) else h.encode() for h in headers]
    lines.append(b'Content-Length: %d' % len(body))
    return b'\r\n'.join(lines) + b'\r\n\r\n' + body

SDP_A = (b'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n'
         b'm=audio 40000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n')
SDP_B = (b'v=0\r\no=- 2 2 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\n'
         b'm=audio 50000 RTP/AVP 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n')

def call(p, t, ua, sbc, callid, ftag, ttag, extra=(), retransmit=False, sdp=(SDP_A, SDP_B)):
    """A basic call from ua to sbc: INVITE (maybe twice), 100, 180, 200, ACK, BYE, 200."""
    via = 'Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK%s' % (ua[0], ua[1], callid[:6])
    common = ['From: "Alice" <sip:alice@192.0.2.1>;tag=' + ftag, 'To: <sip:bob@192.0.2.2>',
              'Call-ID: ' + callid]
    inv = msg('INVITE sip:bob@%s:%d SIP/2.0' % sbc, [via, 'Max-Forwards: 70'] + common +
              ['CSeq: 1 INVITE', 'Contact: <sip:alice@%s:%d>' % ua, 'Content-Type: application/sdp'] +
              list(extra), sdp[0])
    p.udp(t, ua, sbc, inv)
    if retransmit:
        p.udp(t + 0.5, ua, sbc, inv)
        t += 0.5
    to_t = common[1] + ';tag=' + ttag
    def resp(code, reason, dt, cseq='1 INVITE', body=b'', ct=()):
        p.udp(t + dt, sbc, ua, msg('SIP/2.0 %d %s' % (code, reason),
              [via, common[0], to_t if code > 100 else common[1], common[2], 'CSeq: ' + cseq] +
              list(ct), body))
    resp(100, 'Trying', 0.01)
    resp(180, 'Ringing', 0.2)
    resp(200, 'OK', 1.5, body=sdp[1], ct=['Content-Type: application/sdp'])
    via2 = via.replace(callid[:6], callid[:6] + 'ack')
    p.udp(t + 1.51, ua, sbc, msg('ACK sip:bob@%s:%d SIP/2.0' % sbc, [via2] + [common[0], to_t, common[2], 'CSeq: 1 ACK']))
    via3 = via.replace(callid[:6], callid[:6] + 'bye')
    p.udp(t + 6.5, ua, sbc, msg('BYE sip:bob@%s:%d SIP/2.0' % sbc, [via3] + [common[0], to_t, common[2], 'CSeq: 2 BYE']))
    p.udp(t + 6.51, sbc, ua, msg('SIP/2.0 200 OK', [via3, common[0], to_t, common[2], 'CSeq: 2 BYE']))

p = Pcap('synthetic_retrans_xcid.pcap')
T = 1795300000.0
call(p, T, ('192.0.2.1', 5060), ('192.0.2.10', 5060), 'aleg-7f3a@192.0.2.1', 'a1', 's1', retransmit=True)
call(p, T + 0.7, ('192.0.2.10', 5080), ('192.0.2.2', 5060), 'bleg-91c2@192.0.2.10', 's2', 'b2',
     extra=['X-Call-ID: aleg-7f3a@192.0.2.1'])
p.close()

p = Pcap('synthetic_escapes.pcap')
hostile = msg('OPTIONS sip:probe@192.0.2.10 SIP/2.0', [
    'Via: SIP/2.0/UDP 192.0.2.66:5060;branch=z9hG4bKevil',
    b'From: "\x1b]0;pwned\x07Mallory\xff" <sip:mallory@192.0.2.66>;tag=m1',
    'To: <sip:probe@192.0.2.10>', 'Call-ID: escape-test@192.0.2.66', 'CSeq: 1 OPTIONS',
    b'User-Agent: friendly-scanner \x1b[2J\x1b[31mred',
])
p.udp(T + 20, ('192.0.2.66', 5060), ('192.0.2.10', 5060), hostile)
p.udp(T + 20.01, ('192.0.2.10', 5060), ('192.0.2.66', 5060), msg('SIP/2.0 200 OK', [
    'Via: SIP/2.0/UDP 192.0.2.66:5060;branch=z9hG4bKevil',
    b'From: "\x1b]0;pwned\x07Mallory\xff" <sip:mallory@192.0.2.66>;tag=m1',
    'To: <sip:probe@192.0.2.10>;tag=p1', 'Call-ID: escape-test@192.0.2.66', 'CSeq: 1 OPTIONS']))
p.close()

# synthetic_no_common_codec.pcap: two calls where negotiation fails.
#   1. The offer has PCMU and PCMA; the answer (200 OK) offers only G729.
#   2. The offer has PCMU; the callee answers 488 Not Acceptable Here with a
#      Warning 305 (incompatible media format), then the ACK.
p = Pcap('synthetic_no_common_codec.pcap')
A, B = ('192.0.2.1', 5060), ('192.0.2.2', 5060)
offer = (b'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n'
         b'm=audio 40000 RTP/AVP 0 8\r\na=sendrecv\r\n')
g729 = (b'v=0\r\no=- 2 2 IN IP4 192.0.2.2\r\ns=-\r\nc=IN IP4 192.0.2.2\r\nt=0 0\r\n'
        b'm=audio 50000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\na=sendrecv\r\n')
def hdrs(cid, branch, cseq, totag=None):
    return ['Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK' + branch,
            'From: <sip:alice@192.0.2.1>;tag=a', 'To: <sip:bob@192.0.2.2>' + (';tag=' + totag if totag else ''),
            'Call-ID: ' + cid, 'CSeq: ' + cseq]
t = T + 40
p.udp(t, A, B, msg('INVITE sip:bob@192.0.2.2 SIP/2.0', hdrs('nocodec-1@192.0.2.1', 'n1', '1 INVITE') + ['Content-Type: application/sdp'], offer))
p.udp(t + 0.01, B, A, msg('SIP/2.0 100 Trying', hdrs('nocodec-1@192.0.2.1', 'n1', '1 INVITE')))
p.udp(t + 0.5, B, A, msg('SIP/2.0 200 OK', hdrs('nocodec-1@192.0.2.1', 'n1', '1 INVITE', 'b') + ['Content-Type: application/sdp'], g729))
p.udp(t + 0.51, A, B, msg('ACK sip:bob@192.0.2.2 SIP/2.0', hdrs('nocodec-1@192.0.2.1', 'n1a', '1 ACK', 'b')))
p.udp(t + 0.52, A, B, msg('BYE sip:bob@192.0.2.2 SIP/2.0', hdrs('nocodec-1@192.0.2.1', 'n1b', '2 BYE', 'b') + ['Reason: Q.850;cause=65;text="bearer capability not implemented"']))
p.udp(t + 0.53, B, A, msg('SIP/2.0 200 OK', hdrs('nocodec-1@192.0.2.1', 'n1b', '2 BYE', 'b')))
t += 2
offer_pcmu = offer.replace(b'RTP/AVP 0 8', b'RTP/AVP 0')
p.udp(t, A, B, msg('INVITE sip:bob@192.0.2.2 SIP/2.0', hdrs('nocodec-2@192.0.2.1', 'n2', '1 INVITE') + ['Content-Type: application/sdp'], offer_pcmu))
p.udp(t + 0.01, B, A, msg('SIP/2.0 488 Not Acceptable Here', hdrs('nocodec-2@192.0.2.1', 'n2', '1 INVITE', 'c') + ['Warning: 305 192.0.2.2 "Incompatible media format"']))
p.udp(t + 0.02, A, B, msg('ACK sip:bob@192.0.2.2 SIP/2.0', hdrs('nocodec-2@192.0.2.1', 'n2', '1 ACK', 'c')))
p.close()

# synthetic_dns_netbios_rtp.pcap: UDP that is not RTP but whose first byte
# says version 2, beside one RTP stream no SDP announces.
#   DNS: three queries from one socket (IDs 0x80a1.., flags 0x0100) and their
#        answers; NetBIOS name service: a query sent three times (one
#        transaction ID) and a datagram-service packet.
#   RTP: 50 packets of PCMA, 20 ms apart, SSRC 0x1234ABCD.
# tshark (with its RTP heuristic) finds one RTP stream.
p = Pcap('synthetic_dns_netbios_rtp.pcap')
t = T + 60
C, DNS = ('192.0.2.1', 40001), ('192.0.2.53', 53)
for i, name in enumerate([b'sip', b'pbx', b'sbc']):
    q = struct.pack('!HHHHHH', 0x80a1 + i, 0x0100, 1, 0, 0, 0) + bytes([len(name)]) + name + b'\x07example\x03net\x00\x00\x01\x00\x01'
    p.udp(t + i * 0.01, C, DNS, q)
    a = struct.pack('!HHHHHH', 0x80a1 + i, 0x8180, 1, 1, 0, 0) + q[12:] + b'\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\xc0\x00\x02\x0a'
    p.udp(t + i * 0.01 + 0.005, DNS, C, a)
NB = ('192.0.2.1', 137)
nbq = struct.pack('!HHHHHH', 0x80f3, 0x0110, 1, 0, 0, 0) + b'\x20' + b'EOGFEBEDEFCACACACACACACACACACAAA' + b'\x00\x00\x20\x00\x01'
for i in range(3):
    p.udp(t + 0.1 + i * 0.75, NB, ('192.0.2.255', 137), nbq)
p.udp(t + 2.5, ('192.0.2.1', 138), ('192.0.2.255', 138), struct.pack('!BBHIHHH', 0x91, 0x02, 0x8123, 0xc0000201, 138, 180, 0) + b'\x00' * 60)
for i in range(50):
    rtp = struct.pack('!BBHII', 0x80, 8, 1000 + i, 160 * i, 0x1234ABCD) + b'\xd5' * 160
    p.udp(t + 3 + i * 0.02, ('192.0.2.1', 40000), ('192.0.2.2', 50000), rtp)
p.close()

# synthetic_jitter_events_video.pcap: jitter as tshark averages it.
#   A: PCMU, 9 packets with uneven arrival (a 9-packet stream: 8 jitter samples).
#   B: PCMU with RFC 4733 events (PT 101) in the same SSRC in the middle:
#      the events take no part in the mean.
#   C: H.263 (PT 34, 90 kHz): frames of three packets sharing a timestamp,
#      the marker on each frame's last packet, arrival uneven.
import random
rnd = random.Random(13)
p = Pcap('synthetic_jitter_events_video.pcap')
t = T + 80
for i in range(9):
    rtp = struct.pack('!BBHII', 0x80, 0, 500 + i, 160 * i, 0xA0000009) + b'\xff' * 160
    p.udp(t + i * 0.02 + rnd.uniform(0, 0.012), ('192.0.2.1', 41000), ('192.0.2.2', 51000), rtp)
t += 1
seq, ts = 100, 0
for i in range(60):
    if 20 <= i < 28:  # an event: timestamp of its start, duration growing, end bit on the last three
        ev = struct.pack('!BBH', 5, (0x80 if i >= 25 else 0) | 10, 160 * (i - 19))
        rtp = struct.pack('!BBHII', 0x80, (0x80 if i == 20 else 0) | 101, seq, 160 * 20, 0xB0000060) + ev
    else:
        rtp = struct.pack('!BBHII', 0x80, 0, seq, ts, 0xB0000060) + b'\xff' * 160
    p.udp(t + i * 0.02 + rnd.uniform(0, 0.008), ('192.0.2.1', 42000), ('192.0.2.2', 52000), rtp)
    seq += 1
    ts += 160
t += 2
seq = 7000
for f in range(30):
    arrive = t + f / 15 + rnd.uniform(0, 0.02)
    for k in range(3):
        marker = 0x80 if k == 2 else 0
        rtp = struct.pack('!BBHII', 0x80, marker | 34, seq, 6000 * f, 0xC0000263) + b'\x00' * 900
        p.udp(arrive + k * 0.001, ('192.0.2.1', 43000), ('192.0.2.2', 53000), rtp)
        seq += 1
p.close()

# synthetic_sip_sctp.pcap: SIP over SCTP (RFC 4168), as in heplify's
# sip_sctp.pcap: an OPTIONS and its 200, then a MESSAGE and its 200, each in
# one DATA chunk (PPID 0), a SACK chunk bundled before one of them; then a
# MESSAGE split over two DATA chunks (not decoded: counted).
def sctp_packet(sport, dport, chunks):
    return struct.pack('!HHII', sport, dport, 0x1234 if sport == 40060 else 0x5678, 0) + b''.join(chunks)
def data_chunk(tsn, payload, flags=3):
    c = struct.pack('!BBHIHHI', 0, flags, 16 + len(payload), tsn, 0, tsn & 0xffff, 0) + payload
    return c + b'\x00' * (-len(c) % 4)
sack = struct.pack('!BBHIIHH', 3, 0, 16, 1, 0x10000, 0, 0)
class SctpPcap(Pcap):
    def sctp(self, ts, src, dst, payload):
        (sip, _), (dip, _) = src, dst
        hdr = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), self.ip_id, 0, 64, 132, 0,
                          bytes(map(int, sip.split('.'))), bytes(map(int, dip.split('.'))))
        self.ip_id += 1
        hdr = hdr[:10] + struct.pack('!H', ip_checksum(hdr)) + hdr[12:]
        frame = b'\x02\x00\x00\x00\x00\x02' + b'\x02\x00\x00\x00\x00\x01' + b'\x08\x00' + hdr + payload
        sec = int(ts)
        usec = int(round((ts - sec) * 1e6))
        self.f.write(struct.pack('<IIII', sec, usec, len(frame), len(frame)) + frame)
p = SctpPcap('synthetic_sip_sctp.pcap')
t = T + 100
A, B = ('192.0.2.1', 40060), ('192.0.2.2', 5060)
def hs(cid, branch, cseq, totag=''):
    return ['Via: SIP/2.0/SCTP 192.0.2.1:5060;branch=z9hG4bK' + branch, 'From: <sip:a@192.0.2.1>;tag=f1',
            'To: <sip:b@192.0.2.2>' + totag, 'Call-ID: ' + cid, 'CSeq: ' + cseq]
p.sctp(t, A, B, sctp_packet(40060, 5060, [data_chunk(1, msg('OPTIONS sip:b@192.0.2.2 SIP/2.0', hs('sctp-1@192.0.2.1', 's1', '1 OPTIONS')))]))
p.sctp(t + 0.01, B, A, sctp_packet(5060, 40060, [sack, data_chunk(1, msg('SIP/2.0 200 OK', hs('sctp-1@192.0.2.1', 's1', '1 OPTIONS', ';tag=t1')))]))
p.sctp(t + 1, A, B, sctp_packet(40060, 5060, [data_chunk(2, msg('MESSAGE sip:b@192.0.2.2 SIP/2.0', hs('sctp-2@192.0.2.1', 's2', '1 MESSAGE') + ['Content-Type: text/plain'], b'hello over SCTP'))]))
p.sctp(t + 1.01, B, A, sctp_packet(5060, 40060, [data_chunk(2, msg('SIP/2.0 200 OK', hs('sctp-2@192.0.2.1', 's2', '1 MESSAGE', ';tag=t2')))]))
big = msg('MESSAGE sip:b@192.0.2.2 SIP/2.0', hs('sctp-3@192.0.2.1', 's3', '1 MESSAGE') + ['Content-Type: text/plain'], b'x' * 600)
p.sctp(t + 2, A, B, sctp_packet(40060, 5060, [data_chunk(3, big[:400], flags=2)]))
p.sctp(t + 2.001, A, B, sctp_packet(40060, 5060, [data_chunk(4, big[400:], flags=1)]))
p.close()
