#!/usr/bin/env python3
"""Writes synthetic_t38_fax.pcap: one call that starts with audio and switches
to T.38 fax (standard library only; deterministic).

  INVITE (m=audio 30000 PCMA) / 200 / ACK, 2 s of RTP both ways; a re-INVITE
  from the caller to m=image 40000 udptl t38 (the callee answers image 40002),
  200 / ACK; then UDPTL both ways, 300 packets each, every 20 ms, with
  redundancy (each packet carries the two before it). The caller's packet
  with sequence number 150 is never sent (a gap of one). Last, one short UDP
  payload (2 bytes) to the callee's fax port (hostile: counted as malformed),
  and BYE / 200.

Run from this directory. Only documentation addresses (192.0.2.0/24).
tshark reads the UDPTL as T.38 once told the port (or from the SDP):
  tshark -r synthetic_t38_fax.pcap -Y t38 -T fields -e frame.number -e t38.seq_num
"""
import struct

from make_legs import Pcap

CALLER = ('192.0.2.10', 5060)
CALLEE = ('192.0.2.20', 5060)
CALLER_IP, CALLEE_IP = CALLER[0], CALLEE[0]
CALL_ID = 'fax-1@192.0.2.10'


def sdp(host, m_lines):
    lines = ['v=0', 'o=- 1 %d IN IP4 %s' % (len(m_lines), host), 's=-', 'c=IN IP4 %s' % host,
             't=0 0'] + m_lines
    return ('\r\n'.join(lines) + '\r\n').encode()


def audio(port):
    return ['m=audio %d RTP/AVP 8' % port, 'a=rtpmap:8 PCMA/8000', 'a=sendrecv']


def image(port):
    return ['m=image %d udptl t38' % port, 'a=T38FaxVersion:0', 'a=T38MaxBitRate:14400',
            'a=T38FaxRateManagement:transferredTCF', 'a=T38FaxMaxBuffer:200',
            'a=T38FaxMaxDatagram:72', 'a=T38FaxUdpEC:t38UDPRedundancy']


def request(method, cseq, frm, to, body=b'', to_tag=True):
    lines = ['%s sip:fax@%s SIP/2.0' % (method, CALLEE_IP),
             'Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-%s-%d' % (CALLER_IP, method.lower(), cseq),
             'From: <sip:caller@%s>;tag=a1' % frm, 'To: <sip:fax@%s>%s' % (to, ';tag=b2' if to_tag else ''),
             'Call-ID: %s' % CALL_ID, 'CSeq: %d %s' % (cseq, method),
             'Contact: <sip:caller@%s:5060>' % CALLER_IP, 'Max-Forwards: 70']
    return finish(lines, body)


def response(method, cseq, body=b''):
    lines = ['SIP/2.0 200 OK',
             'Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-%s-%d' % (CALLER_IP, method.lower(), cseq),
             'From: <sip:caller@%s>;tag=a1' % CALLER_IP, 'To: <sip:fax@%s>;tag=b2' % CALLEE_IP,
             'Call-ID: %s' % CALL_ID, 'CSeq: %d %s' % (cseq, method),
             'Contact: <sip:fax@%s:5060>' % CALLEE_IP]
    return finish(lines, body)


def finish(lines, body):
    if body:
        lines.append('Content-Type: application/sdp')
    lines.append('Content-Length: %d' % len(body))
    return ('\r\n'.join(lines) + '\r\n\r\n').encode() + body


def rtp(seq, ts, ssrc):
    return struct.pack('!BBHII', 0x80, 8, seq, ts, ssrc) + b'\xd5' * 160


def ifp(n):
    """IFP packet `n`: every 50th a T.30 indicator, else one field of V.29
    9600 image data, t4-non-ecm-data (aligned PER: presence and choice bits, then the field
    count, the field type, its length less one in two bytes)."""
    if n % 50 == 0:
        return bytes([((n // 50) % 8 + 1) << 1])
    data = bytes((n * 7 + i) & 0xFF for i in range(n % 23 + 3))
    return bytes([0xC8, 0x01, 0x80 | (6 << 4), 0x00, len(data) - 1]) + data


def udptl(seq, redundant):
    p = struct.pack('!H', seq)
    primary = ifp(seq)
    p += bytes([len(primary)]) + primary + b'\x00' + bytes([len(redundant)])
    for r in redundant:
        p += bytes([len(r)]) + r
    return p


def main():
    pc = Pcap('synthetic_t38_fax.pcap')
    a_audio, b_audio = (CALLER_IP, 30000), (CALLEE_IP, 30002)
    a_fax, b_fax = (CALLER_IP, 40000), (CALLEE_IP, 40002)
    pc.udp(0.0, CALLER, CALLEE, request('INVITE', 1, CALLER_IP, CALLEE_IP,
                                        sdp(CALLER_IP, audio(30000)), to_tag=False))
    pc.udp(0.2, CALLEE, CALLER, response('INVITE', 1, sdp(CALLEE_IP, audio(30002))))
    pc.udp(0.21, CALLER, CALLEE, request('ACK', 1, CALLER_IP, CALLEE_IP))
    for i in range(100):
        t = 0.3 + i * 0.02
        pc.udp(t, a_audio, b_audio, rtp(1000 + i, i * 160, 0x11111111))
        pc.udp(t + 0.005, b_audio, a_audio, rtp(5000 + i, i * 160, 0x22222222))
    pc.udp(2.4, CALLER, CALLEE, request('INVITE', 2, CALLER_IP, CALLEE_IP,
                                        sdp(CALLER_IP, image(40000))))
    pc.udp(2.6, CALLEE, CALLER, response('INVITE', 2, sdp(CALLEE_IP, image(40002))))
    pc.udp(2.61, CALLER, CALLEE, request('ACK', 2, CALLER_IP, CALLEE_IP))
    for src, dst, offset in ((a_fax, b_fax, 0.0), (b_fax, a_fax, 0.007)):
        sent = []
        for seq in range(300):
            pkt = udptl(seq, [ifp(s) for s in range(max(0, seq - 2), seq)][::-1])
            if src == a_fax and seq == 150:
                continue  # lost on the way
            sent.append(seq)
            pc.udp(2.7 + seq * 0.02 + offset, src, dst, pkt)
    pc.udp(8.75, a_fax, b_fax, b'\x01\x02')  # hostile: too short for UDPTL
    pc.udp(9.0, CALLER, CALLEE, request('BYE', 3, CALLER_IP, CALLEE_IP))
    pc.udp(9.1, CALLEE, CALLER, response('BYE', 3))
    pc.close()


if __name__ == '__main__':
    main()
