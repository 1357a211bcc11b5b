"""Tests of muxado.py: the codec on bytes, and sessions over socket.socketpair().

Run: python3 -m unittest conformance/agents/python/test_muxado.py  (or python3 test_muxado.py)
Each test names the SPEC.md requirements it checks, `checks: [ID]`.
"""

import os
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import muxado as mx  # noqa: E402


class Peer:
    """The raw other end of a session: writes and reads frames as bytes."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def send(self, *frames):
        self.sock.sendall(b"".join(frames))

    def frame(self, timeout=2.0):
        """The next frame (Header, body), or None when none comes in time or at EOF."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 8:
                h = mx.decode_header(self.buf[:8])
                if len(self.buf) >= 8 + h.length:
                    body = self.buf[8:8 + h.length]
                    self.buf = self.buf[8 + h.length:]
                    return h, body
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                return None
            except OSError:
                return None
            if not d:
                return None
            self.buf += d

    def frames(self, timeout=0.2):
        out = []
        while True:
            f = self.frame(timeout)
            if f is None:
                return out
            out.append(f)

    def eof(self, timeout=2.0):
        """True when the session closed the transport (after any frames still pending)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                d = self.sock.recv(65536)
            except socket.timeout:
                return False
            except OSError:
                return True
            if not d:
                return True
            self.buf += d
        return False


def data_of(frames, sid):
    return b"".join(body for h, body in frames if h.type == mx.DATA and h.stream_id == sid)


class CodecTest(unittest.TestCase):
    def test_header_layout(self):
        """checks: [FRAME-1] [FRAME-3] [FRAME-4] [CONV-2] [CONV-3]"""
        b = mx.encode_data(3, b"hi", fin=True, syn=True)
        self.assertEqual(b, bytes.fromhex("000002130000000368 69".replace(" ", "")))
        self.assertEqual(mx.encode_rst(5, 0x0A), bytes.fromhex("00000400000000050000000a"))
        self.assertEqual(mx.encode_wndinc(7, 0x10), bytes.fromhex("000004200000000700000010"))
        self.assertEqual(mx.encode_goaway(3, 1, b"x"),
                         bytes.fromhex("0000093000000000000000030000000178"))

    def test_reserved_bit_masked(self):
        """checks: [FRAME-5] [WNDINC-3]"""
        h = mx.decode_header(bytes.fromhex("0000041080000003"))
        self.assertEqual(h, mx.Header(4, mx.DATA, 0, 3))
        with self.assertRaises(ValueError):
            mx.encode_frame(mx.DATA, 0, 0x80000000)

    def test_length_limit(self):
        """checks: [FRAME-2]"""
        with self.assertRaises(ValueError):
            mx.encode_frame(mx.DATA, 0, 3, bytes(mx.MAX_LENGTH + 1))
        self.assertEqual(len(mx.encode_frame(mx.DATA, 0, 3, bytes(mx.MAX_LENGTH))), mx.MAX_LENGTH + 8)

    def test_violation_order(self):
        """checks: [FRAME-7] [RST-1] [RST-2] [WNDINC-1] [WNDINC-2] [GOAWAY-1] [GOAWAY-2] [DATA-1]"""
        hv = mx.header_violation
        self.assertEqual(hv(mx.Header(5, mx.RST, 0, 0))[0], mx.FRAME_SIZE_ERROR)
        self.assertEqual(hv(mx.Header(4, mx.RST, 0, 0))[0], mx.PROTOCOL_ERROR)
        self.assertEqual(hv(mx.Header(3, mx.WNDINC, 0, 0))[0], mx.FRAME_SIZE_ERROR)
        self.assertEqual(hv(mx.Header(4, mx.WNDINC, 0, 0))[0], mx.PROTOCOL_ERROR)
        self.assertEqual(hv(mx.Header(7, mx.GOAWAY, 0, 3))[0], mx.FRAME_SIZE_ERROR)
        self.assertEqual(hv(mx.Header(8, mx.GOAWAY, 0, 3))[0], mx.PROTOCOL_ERROR)
        self.assertEqual(hv(mx.Header(0, mx.DATA, 3, 0))[0], mx.PROTOCOL_ERROR)
        self.assertIsNone(hv(mx.Header(99, 0x9, 0xF, 0)))
        self.assertIsNone(hv(mx.Header(0, mx.DATA, 0xF, 1)))


class SessionTest(unittest.TestCase):
    """One session (the IUT) against a raw peer."""

    client = False

    def make(self, client=None, **cfg):
        a, b = socket.socketpair()
        client = self.client if client is None else client
        self.s = mx.Session(a, client, mx.Config(**cfg))
        self.p = Peer(b)
        self.addCleanup(self._cleanup)
        return self.s, self.p

    def _cleanup(self):
        self.s.close()
        self.s.flush(1.0)
        self.p.sock.close()

    def settle(self):
        """Wait until the session applied everything the peer sent so far."""
        time.sleep(0.05)
        self.s.flush(1.0)

    def test_open_sends_nothing_then_syn_on_first_small_frames(self):
        """checks: [STREAM-1] [STREAM-2] [ID-2] [FLOW-3] [DATA-3]"""
        s, p = self.make(client=True)
        st = s.open()
        self.assertEqual(st.id, 3)
        self.assertEqual(s.open().id, 5)
        self.assertEqual(p.frames(0.1), [])
        self.assertEqual(st.write_nowait(b"hello"), 5)
        st.close_write()
        fr = p.frames()
        self.assertEqual([(h.flags, body) for h, body in fr],
                         [(mx.FLAG_SYN, b"hel"), (0, b"lo"), (mx.FLAG_FIN, b"")])

    def test_write_limited_by_window_and_resumed_by_wndinc(self):
        """checks: [FLOW-2] [FLOW-3] [FLOW-5] [STREAM-3]"""
        s, p = self.make(client=True, window_size=10)
        st = s.open()
        self.assertEqual(st.write_nowait(b"0123456789abc"), 10)
        self.assertEqual(st.write_nowait(b"x"), 0)
        self.assertEqual(data_of(p.frames(), 3), b"0123456789")
        p.send(mx.encode_wndinc(3, 2))
        self.settle()
        self.assertEqual(st.write_nowait(b"xyz"), 2)
        self.assertEqual(data_of(p.frames(), 3), b"xy")

    def test_one_wndinc_per_read(self):
        """checks: [FLOW-6] [FLOW-7] [STREAM-4]"""
        s, p = self.make()
        p.send(mx.encode_data(3, b"abcdefgh", syn=True))
        self.settle()
        st = s.accept_nowait()
        self.assertEqual(st.id, 3)
        self.assertEqual(st.read_nowait(3), b"abc")
        self.assertEqual(st.read_nowait(100), b"defgh")
        self.assertIsNone(st.read_nowait(100))
        fr = p.frames()
        self.assertEqual([(h.type, struct.unpack(">I", b)[0]) for h, b in fr],
                         [(mx.WNDINC, 3), (mx.WNDINC, 5)])

    def test_fin_then_eof_and_no_credit_after_fin(self):
        """checks: [STREAM-6] [FLOW-6] [STREAM-10]"""
        s, p = self.make()
        p.send(mx.encode_data(3, b"ab", syn=True, fin=True))
        self.settle()
        st = s.accept_nowait()
        self.assertEqual(st.read_nowait(10), b"ab")
        self.assertEqual(st.read_nowait(10), b"")
        st.write_nowait(b"r")
        st.close_write()
        self.assertEqual([(h.type, h.flags, b) for h, b in p.frames()],
                         [(mx.DATA, 0, b"r"), (mx.DATA, mx.FLAG_FIN, b"")])
        self.assertNotIn(3, s._streams)

    def test_overrun_is_flow_control_error(self):
        """checks: [FLOW-4] [FLOW-10] [LIMIT-1]"""
        s, p = self.make(window_size=8)
        p.send(mx.encode_data(3, b"12345", syn=True), mx.encode_data(3, b"6789"))
        self.settle()
        st = s.accept_nowait()
        fr = p.frames()
        self.assertEqual([(h.type, h.stream_id, b) for h, b in fr],
                         [(mx.RST, 3, struct.pack(">I", mx.FLOW_CONTROL_ERROR))])
        with self.assertRaises(mx.MuxadoError) as e:
            st.read_nowait(10)
        self.assertEqual(e.exception.code, mx.FLOW_CONTROL_ERROR)
        self.assertIsNone(s.ended)

    def test_unknown_stream_data(self):
        """checks: [STREAM-7] [STREAM-8] [STREAM-11] [RST-5] [WNDINC-5]"""
        s, p = self.make()
        p.send(mx.encode_data(9, b"", fin=True), mx.encode_rst(11, 1), mx.encode_wndinc(13, 5))
        self.assertEqual(p.frames(), [])
        p.send(mx.encode_data(9, b"zz"), mx.encode_data(9, b"zz"))
        fr = p.frames()
        # the second frame falls in the 5 s after our RST: not answered again
        self.assertEqual([(h.type, h.stream_id, b) for h, b in fr],
                         [(mx.RST, 9, struct.pack(">I", mx.STREAM_CLOSED))])

    def test_rst_closes_stream_with_its_code(self):
        """checks: [RST-3] [RST-4]"""
        s, p = self.make()
        p.send(mx.encode_data(3, b"ab", syn=True), mx.encode_rst(3, 0xDEADBEEF))
        self.settle()
        st = s.accept_nowait()
        with self.assertRaises(mx.MuxadoError) as e:
            st.write_nowait(b"x")
        self.assertEqual(e.exception.code, 0xDEADBEEF)
        self.assertEqual(p.frames(), [])

    def test_unknown_frame_type_skipped(self):
        """checks: [FRAME-11] [FRAME-9] [FRAME-10]"""
        s, p = self.make()
        p.send(mx.encode_frame(0x7, 0xF, 0, bytes(100000)), mx.encode_data(3, b"a", syn=True))
        self.settle()
        self.assertEqual(s.accept_nowait().read_nowait(5), b"a")
        self.assertEqual([h.type for h, b in p.frames()], [mx.WNDINC])

    def test_violation_sends_goaway_and_closes(self):
        """checks: [RST-2] [FRAME-8] [SESSION-4] [SESSION-2]"""
        s, p = self.make()
        p.send(mx.encode_data(3, b"a", syn=True))
        self.settle()
        st = s.accept_nowait()
        p.send(mx.encode_rst(0, 0), mx.encode_data(5, b"a", syn=True))
        fr = p.frames()
        self.assertEqual(len(fr), 1)
        h, body = fr[0]
        self.assertEqual(h.type, mx.GOAWAY)
        self.assertEqual(struct.unpack(">II", body[:8]), (3, mx.PROTOCOL_ERROR))
        self.assertTrue(p.eof())
        self.assertEqual(s.ended.code, mx.PROTOCOL_ERROR)
        with self.assertRaises(mx.MuxadoError) as e:
            s.open()
        self.assertEqual(e.exception.code, mx.PROTOCOL_ERROR)
        with self.assertRaises(mx.MuxadoError) as e:
            st.read_nowait(1)
        self.assertEqual(e.exception.code, mx.SESSION_CLOSED)

    def test_header_violation_before_body(self):
        """checks: [FRAME-6] [WNDINC-1]"""
        s, p = self.make()
        p.send(bytes.fromhex("0000052000000003"))  # WNDINC of length 5, body never sent
        h, body = p.frame()
        self.assertEqual(struct.unpack(">II", body[:8])[1], mx.FRAME_SIZE_ERROR)

    def test_zero_increment(self):
        """checks: [WNDINC-4]"""
        s, p = self.make()
        p.send(bytes.fromhex("000004200000000380000000"))
        h, body = p.frame()
        self.assertEqual(struct.unpack(">II", body[:8])[1], mx.PROTOCOL_ERROR)

    def test_window_overflow(self):
        """checks: [FLOW-8]"""
        s, p = self.make(client=True)
        st = s.open()
        st.write_nowait(b"a")
        p.frames()
        p.send(mx.encode_wndinc(3, mx.MAX_WINDOW))
        fr = p.frames()
        self.assertEqual([(h.type, b) for h, b in fr], [(mx.RST, struct.pack(">I", mx.FLOW_CONTROL_ERROR))])

    def test_wrong_parity_syn(self):
        """checks: [ID-6] [ID-3]"""
        s, p = self.make()
        p.send(mx.encode_data(1, b"", syn=True))  # stream 1 is fine [ID-3]
        self.settle()
        self.assertEqual(s.accept_nowait().id, 1)
        p.send(mx.encode_data(4, b"", syn=True))
        h, body = p.frame()
        self.assertEqual((h.type, struct.unpack(">II", body[:8])), (mx.GOAWAY, (1, mx.PROTOCOL_ERROR)))

    def test_duplicate_syn(self):
        """checks: [ID-7] [ID-8]"""
        s, p = self.make()
        p.send(mx.encode_data(7, b"", syn=True), mx.encode_data(5, b"", syn=True))
        self.settle()
        self.assertEqual([s.accept_nowait().id, s.accept_nowait().id], [7, 5])
        p.send(mx.encode_data(5, b"", syn=True))
        h, body = p.frame()
        self.assertEqual(struct.unpack(">II", body[:8]), (7, mx.PROTOCOL_ERROR))

    def test_accept_backlog_full(self):
        """checks: [STREAM-5] [LIMIT-3]"""
        s, p = self.make(accept_backlog=1)
        p.send(mx.encode_data(3, b"", syn=True), mx.encode_data(5, b"xyz", syn=True),
               mx.encode_data(5, b"q"))
        fr = p.frames()
        self.assertEqual([(h.type, h.stream_id, b) for h, b in fr],
                         [(mx.RST, 5, struct.pack(">I", mx.ACCEPT_QUEUE_FULL)),
                          (mx.RST, 5, struct.pack(">I", mx.STREAM_CLOSED))])

    def test_stream_limit(self):
        """checks: [LIMIT-2]"""
        s, p = self.make(max_streams=1)
        p.send(mx.encode_data(3, b"", syn=True), mx.encode_data(5, b"", syn=True))
        fr = p.frames()
        self.assertEqual([(h.type, h.stream_id, b) for h, b in fr],
                         [(mx.RST, 5, struct.pack(">I", mx.ENHANCE_YOUR_CALM))])

    def test_goaway_sent_refuses_syn(self):
        """checks: [GOAWAY-5] [GOAWAY-6] [GOAWAY-8]"""
        s, p = self.make()
        s.go_away(mx.NO_ERROR, b"bye")
        h, body = p.frame()
        self.assertEqual(struct.unpack(">II", body[:8]) + (body[8:],), (1, 0, b"bye"))
        p.send(mx.encode_data(3, b"abc", syn=True))
        fr = p.frames()
        self.assertEqual([(h.type, h.stream_id, b) for h, b in fr],
                         [(mx.RST, 3, struct.pack(">I", mx.STREAM_REFUSED))])
        self.assertIsNone(s.accept_nowait())
        self.assertFalse(s.go_away(mx.NO_ERROR))  # at most one GOAWAY [GOAWAY-6]

    def test_goaway_received(self):
        """checks: [GOAWAY-7] [GOAWAY-9] [GOAWAY-10] [ERR-1]"""
        s, p = self.make(client=True)
        a, b = s.open(), s.open()
        a.write_nowait(b"x")
        b.write_nowait(b"y")
        p.frames()
        p.send(mx.encode_goaway(3, 0x1234, b"\xff\xfe"), mx.encode_data(2, b"hi", syn=True))
        self.settle()
        self.assertEqual(s.remote, (0x1234, 3, b"\xff\xfe"))
        self.assertEqual(a.write_nowait(b"z"), 1)
        with self.assertRaises(mx.MuxadoError) as e:
            b.write_nowait(b"z")
        self.assertEqual(e.exception.code, mx.REMOTE_GONE_AWAY)
        with self.assertRaises(mx.MuxadoError) as e:
            s.open()
        self.assertEqual(e.exception.code, mx.REMOTE_GONE_AWAY)
        self.assertEqual(s.accept_nowait().id, 2)

    def test_goaway_debug_over_limit(self):
        """checks: [LIMIT-4] [GOAWAY-9]"""
        s, p = self.make(max_goaway_debug=4)
        p.send(mx.encode_goaway(0, 0, b"abcdefgh"))
        h, body = p.frame()
        self.assertEqual(struct.unpack(">II", body[:8])[1], mx.ENHANCE_YOUR_CALM)
        self.assertEqual(s.remote, (0, 0, b"abcd"))

    def test_close_sends_goaway(self):
        """checks: [SESSION-1] [SESSION-5] [ERR-2]"""
        s, p = self.make(client=True)
        s.close()
        h, body = p.frame()
        self.assertEqual(struct.unpack(">II", body[:8]), (0, mx.NO_ERROR))
        self.assertTrue(p.eof())
        self.assertEqual(s.ended.code, mx.SESSION_CLOSED)

    def test_eof(self):
        """checks: [SESSION-3] [SESSION-2] [SESSION-5]"""
        s, p = self.make()
        p.send(mx.encode_data(3, b"ab", syn=True), mx.encode_data(5, b"cd", syn=True, fin=True))
        self.settle()
        a, b = s.accept_nowait(), s.accept_nowait()
        p.sock.shutdown(socket.SHUT_WR)
        self.assertTrue(p.eof())
        self.assertEqual(p.buf, b"")
        self.assertEqual(s.ended.code, mx.PEER_EOF)
        with self.assertRaises(mx.MuxadoError):
            a.read_nowait(5)
        self.assertEqual(b.read_nowait(5), b"cd")  # half-closed by the peer: bytes, then error
        with self.assertRaises(mx.MuxadoError) as e:
            b.read_nowait(5)
        self.assertEqual(e.exception.code, mx.SESSION_CLOSED)

    def test_read_timeout(self):
        """checks: [LIMIT-8]"""
        s, p = self.make(read_timeout=0.2)
        p.send(b"\x00\x00")
        h, body = p.frame(2.0)
        self.assertEqual(struct.unpack(">II", body[:8])[1], mx.ENHANCE_YOUR_CALM)

    def test_close_credits_unread(self):
        """checks: [STREAM-9]"""
        s, p = self.make()
        p.send(mx.encode_data(3, b"abcd", syn=True))
        self.settle()
        st = s.accept_nowait()
        st.close()
        fr = p.frames()
        self.assertEqual([(h.type, h.flags, b) for h, b in fr],
                         [(mx.WNDINC, 0, struct.pack(">I", 4)), (mx.DATA, mx.FLAG_FIN, b"")])
        p.send(mx.encode_data(3, b"late"))
        self.assertEqual([(h.type, b) for h, b in p.frames()],
                         [(mx.RST, struct.pack(">I", mx.STREAM_CLOSED))])

    def test_typed_type_whole_and_split_on_receipt(self):
        """checks: [TYPED-1] [TYPED-2] [TYPED-3]"""
        s, p = self.make(client=True, typed_streams=True)
        st = s.open_typed(7)
        st.write_nowait(b"hello")
        fr = p.frames()
        self.assertEqual([(h.flags, b) for h, b in fr],
                         [(mx.FLAG_SYN, b"\x00\x00\x00\x07"), (0, b"hel"), (0, b"lo")])
        p.send(mx.encode_data(2, b"\x00\x00", syn=True))
        self.settle()
        self.assertIsNone(s.accept_nowait())
        p.send(mx.encode_data(2, b"\x00\x09rest"))
        self.settle()
        a = s.accept_nowait()
        self.assertEqual((a.id, a.stream_type, a.read_nowait(10)), (2, 9, b"rest"))
        # ended before its type: closed (FIN back), never delivered
        p.frames()
        p.send(mx.encode_data(4, b"\x00", syn=True, fin=True))
        self.settle()
        self.assertIsNone(s.accept_nowait())
        self.assertEqual([(h.stream_id, h.flags) for h, b in p.frames()], [(4, mx.FLAG_FIN)])

    def test_heartbeat_responder(self):
        """checks: [HEARTBEAT-2] [TYPED-4]"""
        s, p = self.make(heartbeat=True)
        p.send(mx.encode_data(3, b"\xff\xff\xff\xff\x12\x34\x56\x78", syn=True))
        fr = p.frames(0.3)
        self.assertEqual(data_of(fr, 3), b"\x12\x34\x56\x78")
        self.assertIsNone(s.accept_nowait())


class PairTest(unittest.TestCase):
    """Two of these sessions talking to each other."""

    def pair(self, **cfg):
        a, b = socket.socketpair()
        c = mx.Session(a, True, mx.Config(**cfg))
        d = mx.Session(b, False, mx.Config(**cfg))
        self.addCleanup(c.close)
        self.addCleanup(d.close)
        return c, d

    def test_bulk_both_ways_small_window(self):
        """checks: [FLOW-3] [FLOW-5] [FLOW-6] [STREAM-4] [STREAM-10]"""
        c, d = self.pair(window_size=1000, max_data_frame=100)
        payload = os.urandom(50000)
        st = c.open()
        import threading
        t = threading.Thread(target=lambda: (st.write(payload), st.close_write()))
        t.start()
        st.write_nowait(b"")
        acc = d.accept(timeout=5)
        got = bytearray()
        while True:
            r = acc.read(700, timeout=5)
            if not r:
                break
            got += r
        t.join(5)
        self.assertEqual(bytes(got), payload)
        acc.write(payload[:900])  # within the window: nobody reads yet
        acc.close_write()
        self.assertEqual(st.read_exact(5000, timeout=5), payload[:900])

    def test_heartbeat_round_trip(self):
        """checks: [HEARTBEAT-1] [HEARTBEAT-2] [HEARTBEAT-3]"""
        c, d = self.pair(heartbeat=True)
        hb = c.heartbeat(0.05, 1.0)
        deadline = time.monotonic() + 3
        while len(hb.results) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertGreaterEqual(len(hb.results), 2)
        self.assertTrue(all(not failed for _, failed in hb.results))
        self.assertIsNone(d.accept_nowait())


if __name__ == "__main__":
    unittest.main()
