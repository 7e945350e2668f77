#!/usr/bin/env python3
"""Writes tests/data/states/*.pcap: small captures of what a dialog's state,
duration and reason phrase must say (issue 13, items 1, 4 and 5), with the
writer of scripts/make_diagnosis.py (standard library only; deterministic).

    python3 scripts/make_states.py        # from the repository root

Check them against tshark, not against sipscope:
    tshark -r F -T fields -e frame.time_relative -e sip.Status-Line -e sip.RSeq -e sip.resend
"""
import importlib.util
import os

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location('make_diagnosis', os.path.join(HERE, 'make_diagnosis.py'))
md = importlib.util.module_from_spec(spec)
spec.loader.exec_module(md)
md.OUT = os.path.join(HERE, '..', 'tests', 'data', 'states')

Pcap, Call, sdp, clock, A, B = md.Pcap, md.Call, md.sdp, md.clock, md.A, md.B
SCHEDULE, CAPPED = md.SCHEDULE, md.CAPPED


def main():
    os.makedirs(md.OUT, exist_ok=True)

    # 1. Reason phrases as carriers send them: the phrase is the explanation.
    p = Pcap('reason_phrases.pcap')
    c = Call(p, 'reason-403')
    c.req(0, 'INVITE', 1, sdp(A[0], 40000))
    c.resp(0.01, 100, 'Trying', 1, 'INVITE')
    c.resp(0.05, 403, 'Wrong password or domain', 1, 'INVITE')
    c.req(0.06, 'ACK', 1, totag=True)
    c = Call(p, 'reason-480')
    c.req(1, 'INVITE', 1, sdp(A[0], 40002))
    c.resp(1.01, 100, 'Trying', 1, 'INVITE')
    c.resp(1.2, 183, 'In band info available', 1, 'INVITE', sdp(B[0], 50002))
    c.resp(4.2, 480, 'Error', 1, 'INVITE')
    c.req(4.21, 'ACK', 1, totag=True)
    c = Call(p, 'reason-none')  # a status line with no phrase at all
    c.req(5, 'INVITE', 1, sdp(A[0], 40004))
    c.resp(5.01, 100, 'Trying', 1, 'INVITE')
    c.resp(5.3, 486, '', 1, 'INVITE')
    c.req(5.31, 'ACK', 1, totag=True)
    p.close()

    # 5a. Two reliable 183s (RFC 3262): same transaction, same start line,
    # a new RSeq each; the second 183 is sent twice (one retransmission).
    p = Pcap('prack_rseq.pcap')
    c = Call(p, 'prack-rseq')
    rel = ('Require: 100rel',)
    c.req(0, 'INVITE', 1, sdp(A[0], 40000), extra=('Supported: 100rel',))
    c.resp(0.01, 100, 'Trying', 1, 'INVITE')
    c.resp(0.2, 183, 'Session Progress', 1, 'INVITE', sdp(B[0], 50000), extra=rel + ('RSeq: 1',))
    c.req(0.21, 'PRACK', 2, extra=('RAck: 1 1 INVITE',), totag=True)
    c.resp(0.22, 200, 'OK', 2, 'PRACK')
    c.resp(1.0, 183, 'Session Progress', 1, 'INVITE', sdp(B[0], 50010), extra=rel + ('RSeq: 2',))
    c.resp(1.5, 183, 'Session Progress', 1, 'INVITE', sdp(B[0], 50010), extra=rel + ('RSeq: 2',))
    c.req(1.51, 'PRACK', 3, extra=('RAck: 2 1 INVITE',), totag=True)
    c.resp(1.52, 200, 'OK', 3, 'PRACK')
    c.resp(3.0, 200, 'OK', 1, 'INVITE', sdp(B[0], 50010))
    c.req(3.01, 'ACK', 1, totag=True)
    c.bye(6.0)
    p.close()

    # 5b. INVITE, eleven CANCELs that nothing answers (Timer E, capped at
    # T2), then 408 to the INVITE: the caller cancelled.
    p = Pcap('cancel_408.pcap')
    c = Call(p, 'cancel-408')
    c.req(0, 'INVITE', 1, sdp(A[0], 40000))
    c.resp(0.01, 100, 'Trying', 1, 'INVITE')
    c.resp(0.2, 180, 'Ringing', 1, 'INVITE')
    c.branches[(1, 'CANCEL')] = c.branches[(1, 'INVITE')]  # a CANCEL shares its INVITE's branch
    for dt in CAPPED:
        c.req(2.0 + dt, 'CANCEL', 1)
    c.resp(34.0, 408, 'Request Timeout', 1, 'INVITE')
    c.req(34.01, 'ACK', 1, totag=True)
    p.close()

    # 5c. Dialogs picked up in the middle, and the capture going on for 40 s.
    p = Pcap('mid_dialog.pcap')
    c = Call(p, 'mid-update')  # only an UPDATE and its 200 OK
    c.req(0, 'UPDATE', 5, sdp(A[0], 40000), totag=True)
    c.resp(0.05, 200, 'OK', 5, 'UPDATE', sdp(B[0], 50000))
    c = Call(p, 'mid-bye-200')  # a lone 200 OK to a BYE
    c.resp(1.0, 200, 'OK', 7, 'BYE')
    c = Call(p, 'mid-reinvite-491')  # a re-INVITE refused: the call stays up
    c.req(2.0, 'INVITE', 3, sdp(A[0], 40002), totag=True)
    c.resp(2.05, 491, 'Request Pending', 3, 'INVITE')
    c.req(2.06, 'ACK', 3, totag=True)
    clock(p, 42.0)
    p.close()

    # 5d. The capture ends 33 s after the last 183/PRACK of a call nobody
    # answered yet: no timer says it failed. Beside it, an INVITE no
    # response ever answered (Timer B fires at 32 s).
    p = Pcap('capture_ends_after_183.pcap')
    c = Call(p, 'ends-after-183')
    c.req(0, 'INVITE', 1, sdp(A[0], 40000), extra=('Supported: 100rel',))
    c.resp(0.01, 100, 'Trying', 1, 'INVITE')
    c.resp(0.3, 183, 'Session Progress', 1, 'INVITE', sdp(B[0], 50000), extra=('Require: 100rel', 'RSeq: 1'))
    c.req(0.31, 'PRACK', 2, extra=('RAck: 1 1 INVITE',), totag=True)
    c.resp(0.32, 200, 'OK', 2, 'PRACK')
    c = Call(p, 'ends-timer-b', callee=('192.0.2.3', 5060))
    for dt in SCHEDULE:
        c.req(0.5 + dt, 'INVITE', 1, sdp(A[0], 40002))
    clock(p, 33.3)
    p.close()

    # 4. One duration: a call answered, never hung up in the capture, the
    # capture going on 26 s after its last message; PDD of 47.6 ms.
    p = Pcap('durations.pcap')
    c = Call(p, 'dur-in-call')
    c.req(0, 'INVITE', 1, sdp(A[0], 40000))
    c.resp(0.01, 100, 'Trying', 1, 'INVITE')
    c.resp(0.0476, 180, 'Ringing', 1, 'INVITE')
    c.resp(2.0, 200, 'OK', 1, 'INVITE', sdp(B[0], 50000))
    c.req(2.01, 'ACK', 1, totag=True)
    c.req(8.524, 'INFO', 2, totag=True)
    clock(p, 34.9)
    p.close()


if __name__ == '__main__':
    main()
