"""muxado: an independent Python implementation of the muxado wire protocol.

Written from SPEC.md alone (the project's specification), as a test of that document.
Standard library only. Threads and blocking sockets:

* one reader thread per session parses frames and applies them (section 3, 4, 6, 7, 8);
* one writer thread per session drains a FIFO queue of encoded frames to the transport;
* application calls take the session lock, change state and queue frames.

Deliberate choices where SPEC.md leaves freedom (see README.md):

* every DATA write is split into frames of at most ``Config.max_data_frame`` bytes (default 3),
  except a typed stream's 4-byte type, which goes whole in the SYN frame [TYPED-2];
* one WNDINC per application read, crediting what that read returned [FLOW-6], and none once the
  peer's half has ended (the peer cannot send any more);
* a GOAWAY whose debug data is longer than the limit ends the session with ENHANCE_YOUR_CALM
  (after keeping the first D bytes) rather than discarding the excess [LIMIT-4];
* a SYN beyond the stream limit is refused with ENHANCE_YOUR_CALM [LIMIT-2];
* closing or resetting a stream whose SYN never went out sends nothing [STREAM-2];
* repeated frames for a stream we reset are ignored for 5 s [STREAM-11] [STREAM-8].
"""

import collections
import os
import random
import socket
import struct
import threading
import time

# --- error codes, section 9 -------------------------------------------------------------------

NO_ERROR = 0x0
PROTOCOL_ERROR = 0x1
INTERNAL_ERROR = 0x2
FLOW_CONTROL_ERROR = 0x3
STREAM_CLOSED = 0x4
STREAM_REFUSED = 0x5
STREAM_CANCELLED = 0x6
STREAM_RESET = 0x7
FRAME_SIZE_ERROR = 0x8
ACCEPT_QUEUE_FULL = 0x9
ENHANCE_YOUR_CALM = 0xA
REMOTE_GONE_AWAY = 0xB
STREAMS_EXHAUSTED = 0xC
WRITE_TIMEOUT = 0xD
SESSION_CLOSED = 0xE
PEER_EOF = 0xF
UNKNOWN = 0xFF

ERROR_NAMES = {
    0x0: "NO_ERROR", 0x1: "PROTOCOL_ERROR", 0x2: "INTERNAL_ERROR", 0x3: "FLOW_CONTROL_ERROR",
    0x4: "STREAM_CLOSED", 0x5: "STREAM_REFUSED", 0x6: "STREAM_CANCELLED", 0x7: "STREAM_RESET",
    0x8: "FRAME_SIZE_ERROR", 0x9: "ACCEPT_QUEUE_FULL", 0xA: "ENHANCE_YOUR_CALM",
    0xB: "REMOTE_GONE_AWAY", 0xC: "STREAMS_EXHAUSTED", 0xD: "WRITE_TIMEOUT",
    0xE: "SESSION_CLOSED", 0xF: "PEER_EOF", 0xFF: "UNKNOWN",
}

# [ERR-2] codes that never go on the wire
LOCAL_ONLY_CODES = frozenset((REMOTE_GONE_AWAY, STREAMS_EXHAUSTED, WRITE_TIMEOUT, SESSION_CLOSED))

# --- frame constants, section 3 ---------------------------------------------------------------

RST, DATA, WNDINC, GOAWAY = 0x0, 0x1, 0x2, 0x3
FLAG_FIN = 0x1
FLAG_SYN = 0x2
HEADER_SIZE = 8
MAX_LENGTH = (1 << 24) - 1          # [FRAME-2]
MAX_STREAM_ID = 0x7FFFFFFF
MAX_WINDOW = (1 << 31) - 1          # [FLOW-8]
MAX_DEBUG_SENT = 1 << 20            # [LIMIT-4]
HEARTBEAT_TYPE = 0xFFFFFFFF         # [TYPED-4]
RESET_QUIET = 5.0                   # [STREAM-11] seconds during which frames after our RST are ignored

CLOSE_DEBUG = b"python muxado: session closed by its application"


class MuxadoError(Exception):
    """An error carrying a muxado error code (section 9)."""

    def __init__(self, code, message=""):
        self.code = code
        self.message = message
        super().__init__("%s (0x%x): %s" % (ERROR_NAMES.get(code, "code"), code, message))


class Header(collections.namedtuple("Header", "length type flags stream_id")):
    """A decoded 8-byte frame header."""


# --- codec ------------------------------------------------------------------------------------

def encode_frame(ftype, flags, stream_id, body=b""):
    """Encode one frame. [FRAME-1] [FRAME-2] [FRAME-4] [CONV-2]"""
    body = bytes(body)
    if len(body) > MAX_LENGTH:
        raise ValueError("frame body of %d bytes is longer than 2^24-1 [FRAME-2]" % len(body))
    if not (0 <= ftype <= 0xF and 0 <= flags <= 0xF):
        raise ValueError("type and flags are 4-bit fields")
    if not 0 <= stream_id <= MAX_STREAM_ID:
        raise ValueError("stream id is a 31-bit field; the reserved bit is sent as zero [FRAME-4]")
    return struct.pack(">II", (len(body) << 8) | (ftype << 4) | flags, stream_id) + body


def encode_rst(stream_id, code):
    return encode_frame(RST, 0, stream_id, struct.pack(">I", code & 0xFFFFFFFF))


def encode_data(stream_id, data, fin=False, syn=False):
    return encode_frame(DATA, (FLAG_FIN if fin else 0) | (FLAG_SYN if syn else 0), stream_id, data)


def encode_wndinc(stream_id, increment):
    if not 0 < increment <= MAX_WINDOW:
        raise ValueError("a WNDINC increment is 1..2^31-1 [WNDINC-3] [WNDINC-4]")
    return encode_frame(WNDINC, 0, stream_id, struct.pack(">I", increment))


def encode_goaway(last_stream_id, code, debug=b""):
    if len(debug) > MAX_DEBUG_SENT:
        raise ValueError("GOAWAY debug data is at most 1 MiB [LIMIT-4]")
    return encode_frame(GOAWAY, 0, 0, struct.pack(">II", last_stream_id & MAX_STREAM_ID,
                                                  code & 0xFFFFFFFF) + bytes(debug))


def decode_header(b):
    """Decode exactly 8 bytes. The reserved bit is masked [FRAME-5]; flags kept as sent."""
    if len(b) != HEADER_SIZE:
        raise ValueError("a header is exactly 8 bytes [FRAME-6]")
    word, sid = struct.unpack(">II", bytes(b))
    return Header(word >> 8, (word >> 4) & 0xF, word & 0xF, sid & MAX_STREAM_ID)


def header_violation(h):
    """The first violation the header alone shows, as (code, reason), or None. [FRAME-7]

    The order is: a length not allowed for the type, then a stream id not allowed for it."""
    if h.type == RST:
        if h.length != 4:
            return FRAME_SIZE_ERROR, "RST of length %d, not 4 [RST-1]" % h.length
        if h.stream_id == 0:
            return PROTOCOL_ERROR, "RST on stream 0 [RST-2]"
    elif h.type == DATA:
        if h.stream_id == 0:
            return PROTOCOL_ERROR, "DATA on stream 0 [DATA-1]"
    elif h.type == WNDINC:
        if h.length != 4:
            return FRAME_SIZE_ERROR, "WNDINC of length %d, not 4 [WNDINC-1]" % h.length
        if h.stream_id == 0:
            return PROTOCOL_ERROR, "WNDINC on stream 0 [WNDINC-2]"
    elif h.type == GOAWAY:
        if h.length < 8:
            return FRAME_SIZE_ERROR, "GOAWAY of length %d, under 8 [GOAWAY-1]" % h.length
        if h.stream_id != 0:
            return PROTOCOL_ERROR, "GOAWAY on stream %d, not 0 [GOAWAY-2]" % h.stream_id
    return None


def decode_frames(buf):
    """Split a byte string into (Header, body) pairs; for tests and tools. Raises on a partial frame."""
    out, pos = [], 0
    while pos < len(buf):
        if len(buf) - pos < HEADER_SIZE:
            raise ValueError("partial header")
        h = decode_header(buf[pos:pos + HEADER_SIZE])
        pos += HEADER_SIZE
        if len(buf) - pos < h.length:
            raise ValueError("partial body")
        out.append((h, bytes(buf[pos:pos + h.length])))
        pos += h.length
    return out


# --- configuration ----------------------------------------------------------------------------

class Config:
    """Session settings; every limit of section 11 is here."""

    def __init__(self, window_size=262144, accept_backlog=128, max_streams=512,
                 max_goaway_debug=1 << 20, read_timeout=30.0, max_data_frame=3,
                 max_provoked_frames=64, typed_streams=False, heartbeat=False,
                 heartbeat_type=HEARTBEAT_TYPE, goaway_grace=0.25):
        if not 4 <= window_size <= MAX_WINDOW:
            raise ValueError("window size must be 4..2^31-1")
        if max_data_frame < 1:
            raise ValueError("max_data_frame must be at least 1")
        self.window_size = window_size            # W [FLOW-2] [LIMIT-1]
        self.accept_backlog = accept_backlog      # B [LIMIT-3]
        self.max_streams = max_streams            # [LIMIT-2]
        self.max_goaway_debug = max_goaway_debug  # D [LIMIT-4]
        self.read_timeout = read_timeout          # seconds or None [LIMIT-8]
        self.max_data_frame = min(max_data_frame, MAX_LENGTH)
        self.max_provoked_frames = max_provoked_frames  # [LIMIT-6]
        self.typed_streams = typed_streams or heartbeat  # [TYPED-1]
        self.heartbeat = heartbeat                # responder on [HEARTBEAT-2]
        self.heartbeat_type = heartbeat_type
        self.goaway_grace = goaway_grace          # time given to the last GOAWAY [SESSION-1]


# --- streams ----------------------------------------------------------------------------------

class Stream:
    """One bidirectional stream. All state is guarded by the session's lock."""

    def __init__(self, session, stream_id, local):
        self._s = session
        self.id = stream_id
        self.local = local                  # we are the opener
        self.stream_type = None
        self.syn_sent = not local           # an acceptor never sends SYN [STREAM-2]
        self.fin_sent = False
        self.fin_recv = False
        self.sent = 0                       # DATA bytes sent
        self.buf = bytearray()              # unread bytes [FLOW-4]
        self.send_window = session.cfg.window_size  # [FLOW-2] [FLOW-3]
        self.error = None                   # MuxadoError once the stream failed
        self.forgotten = False              # the id is no longer known to the session

    # -- reading

    def read_nowait(self, max_bytes):
        """Bytes available now (up to max_bytes); b"" at end-of-stream; None when nothing is
        available yet. Raises MuxadoError when the stream failed."""
        s = self._s
        with s._cond:
            if self.buf and max_bytes > 0:
                data = bytes(self.buf[:max_bytes])
                del self.buf[:len(data)]
                s._credit(self, len(data))  # [FLOW-6] one WNDINC per read
                return data
            if self.error is not None:
                raise self.error
            if self.fin_recv:
                return b""
            if max_bytes <= 0:
                return b""
            return None

    def read(self, max_bytes=65536, timeout=None):
        """Block until some bytes, end-of-stream (b"") or an error; None on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        s = self._s
        with s._cond:
            while True:
                r = self.read_nowait(max_bytes)
                if r is not None:
                    return r
                if deadline is None:
                    s._cond.wait(0.5)
                else:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    s._cond.wait(min(left, 0.5))

    def read_exact(self, n, timeout=None):
        """Read n bytes (fewer at end-of-stream or timeout)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        out = bytearray()
        while len(out) < n:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            r = self.read(n - len(out), left)
            if not r:
                break
            out += r
        return bytes(out)

    # -- writing

    def _check_writable(self):
        if self.error is not None:
            raise self.error
        if self.fin_sent:
            raise MuxadoError(STREAM_CLOSED, "stream %d: write after half-close" % self.id)

    def write_nowait(self, data):
        """Queue what the send window takes now; return that many bytes. [FLOW-3]"""
        s = self._s
        with s._cond:
            self._check_writable()
            n = min(len(data), self.send_window)
            if n > 0:
                s._send_data(self, bytes(data[:n]))
            return n

    def write(self, data, timeout=None):
        """Write all of data, waiting for window credit. [FLOW-3] [FLOW-5]"""
        deadline = None if timeout is None else time.monotonic() + timeout
        data = memoryview(bytes(data))
        s = self._s
        with s._cond:
            while True:
                n = self.write_nowait(data)
                data = data[n:]
                if not data:
                    return
                if deadline is not None and time.monotonic() >= deadline:
                    raise MuxadoError(WRITE_TIMEOUT, "stream %d: write deadline" % self.id)
                s._cond.wait(0.5)

    def close_write(self):
        """Half-close: DATA with FIN (SYN too when nothing was sent yet). [STREAM-6]
        A second call sends nothing."""
        s = self._s
        with s._cond:
            if self.error is not None:
                raise self.error
            if self.fin_sent:
                return
            s._send_data(self, b"", fin=True)
            if self.fin_recv:
                s._forget(self)  # [STREAM-10]

    def close(self):
        """Close both directions (Go's Close). [STREAM-9]"""
        s = self._s
        with s._cond:
            if self.error is not None:
                if self.error.code == SESSION_CLOSED:
                    raise self.error
                return
            if self.forgotten:       # both FINs exchanged already
                return
            if not self.fin_recv and self.buf:
                s._credit(self, len(self.buf))  # SHOULD credit what we discard [STREAM-9]
            if not self.fin_sent and self.syn_sent:
                # an opener that never sent its SYN sends nothing at all [STREAM-2]
                s._send_data(self, b"", fin=True)
            self.buf.clear()
            self.error = MuxadoError(STREAM_CLOSED, "stream %d closed locally" % self.id)
            s._forget(self)
            s._cond.notify_all()

    def reset(self, code):
        """Reset with RST and the given code. [STREAM-11]"""
        s = self._s
        if code in LOCAL_ONLY_CODES:
            raise ValueError("code 0x%x is local-only [ERR-2]" % code)
        with s._cond:
            if self.error is not None:
                if self.error.code == SESSION_CLOSED:
                    raise self.error  # [SESSION-4]
                return                # already closed by RST or locally: no frame [RST-4]
            if self.forgotten:
                return                # both FINs exchanged: nothing to reset
            if self.syn_sent:
                s._send_rst(self.id, code, provoked=False)
            self.buf.clear()
            self.error = MuxadoError(code, "stream %d reset locally" % self.id)
            s._forget(self)
            s._cond.notify_all()

    def __repr__(self):
        return "<Stream %d>" % self.id


class _Item:
    __slots__ = ("data", "provoked", "stream")

    def __init__(self, data, provoked=False, stream=None):
        self.data = data
        self.provoked = provoked
        self.stream = stream


class _EOF(Exception):
    pass


class _Stop(Exception):
    pass


class _ReadTimeout(Exception):
    pass


# --- session ----------------------------------------------------------------------------------

class Session:
    """One endpoint of a muxado session over a connected socket."""

    POLL = 0.05  # socket timeout used to poll both threads

    def __init__(self, sock, client, config=None):
        self.cfg = config or Config()
        self.client = bool(client)
        self._sock = sock
        sock.settimeout(self.POLL)
        self._cond = threading.Condition(threading.RLock())
        self._streams = {}                    # known ids [STREAM-10]
        self._peer_open = 0                   # peer-opened known streams [LIMIT-2]
        self._accept_q = collections.deque()  # ready for the application [STREAM-4]
        self._pending_type = {}               # typed streams waiting for their type [TYPED-3]
        self._next_id = 3 if self.client else 2   # [ID-2]
        self._last_accepted = None            # highest accepted peer id [GOAWAY-5]
        self._goaway_sent = False
        self._remote = None                   # (code, last_stream_id, debug) [GOAWAY-9]
        self._ended = None                    # MuxadoError, sticky [SESSION-4]
        self._input_ended = False
        self._recent_rst = collections.OrderedDict()                 # id -> monotonic time we sent RST [STREAM-11]
        self._queue = collections.deque()     # frames to write, FIFO
        self._provoked = 0                    # provoked frames queued [LIMIT-6]
        self._inflight = False
        self._final = None                    # deadline of the last write once ended
        self._closed = False                  # transport closed
        self._inbuf = bytearray()
        self.bytes_in = 0                     # transport bytes received (the agent's `after`)
        self._idle = False                    # the reader waits for input, all else applied
        self.heartbeats = []
        self._reader_t = threading.Thread(target=self._reader, name="muxado-reader", daemon=True)
        self._writer_t = threading.Thread(target=self._writer, name="muxado-writer", daemon=True)
        self._reader_t.start()
        self._writer_t.start()

    # -- public API ------------------------------------------------------------------------

    @property
    def ended(self):
        """None while the session runs, else its MuxadoError (code and message)."""
        return self._ended

    @property
    def remote(self):
        """None, or (error_code, last_stream_id, debug) from the peer's GOAWAY. [GOAWAY-9]"""
        return self._remote

    def open(self):
        """Open a stream; sends nothing yet [STREAM-1]."""
        with self._cond:
            if self._ended is not None:
                raise MuxadoError(self._ended.code, self._ended.message)  # [SESSION-4]
            if self._remote is not None:
                raise MuxadoError(REMOTE_GONE_AWAY, "the peer sent GOAWAY [GOAWAY-7]")
            if self._next_id > MAX_STREAM_ID:
                raise MuxadoError(STREAMS_EXHAUSTED, "no stream id left [ID-5]")
            st = Stream(self, self._next_id, local=True)
            self._next_id += 2  # [ID-4]
            self._streams[st.id] = st
            return st

    def open_typed(self, stream_type):
        """Open a stream and send its 4-byte type whole in the SYN frame [TYPED-1] [TYPED-2]."""
        with self._cond:
            st = self.open()
            st.stream_type = stream_type
            self._send_data(st, struct.pack(">I", stream_type & 0xFFFFFFFF), whole_first=True)
            return st

    def accept_nowait(self):
        """The next stream the peer opened, or None. On a typed session: the next whose type
        has arrived (its type is in stream.stream_type)."""
        with self._cond:
            if self._ended is not None:
                raise MuxadoError(self._ended.code, self._ended.message)  # [SESSION-4]
            if self._accept_q:
                st = self._accept_q.popleft()
                if st.stream_type is not None:
                    # the application takes the type now: credit its 4 bytes [FLOW-6] [FLOW-7]
                    self._credit(st, 4)
                return st
            return None

    def accept(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while True:
                st = self.accept_nowait()
                if st is not None:
                    return st
                left = 0.5 if deadline is None else deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(min(left, 0.5))

    def go_away(self, code=NO_ERROR, debug=b""):
        """Send GOAWAY and keep the session [GOAWAY-6]. A second call sends nothing (SHOULD
        send at most one). Returns True when a frame was queued."""
        if code in LOCAL_ONLY_CODES:
            raise ValueError("code 0x%x is local-only [ERR-2]" % code)
        if len(debug) > MAX_DEBUG_SENT:
            raise ValueError("debug data over 1 MiB [LIMIT-4]")
        with self._cond:
            if self._ended is not None:
                raise MuxadoError(self._ended.code, self._ended.message)  # [SESSION-4]
            if self._goaway_sent:
                return False
            self._goaway_sent = True
            self._enqueue(encode_goaway(self._last_stream_id(), code, debug))
            return True

    def close(self):
        """End the session: GOAWAY NO_ERROR, then close the transport [SESSION-1]."""
        self._end(SESSION_CLOSED, "session closed by the application", NO_ERROR, CLOSE_DEBUG)

    def flush(self, timeout=1.0):
        """Wait until every queued frame is written (or the transport closed)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while (self._queue or self._inflight or (self._final is not None and not self._closed)):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def wait_input(self, nbytes, timeout=None):
        """Wait until the session processed nbytes from the transport, or its input ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while (not (self.bytes_in >= nbytes and self._idle)
                   and not self._input_ended and self._ended is None):
                left = 0.5 if deadline is None else deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.5))
        return True

    def heartbeat(self, interval=10.0, tolerance=15.0, callback=None):
        """Start a heartbeat requester (section 10.2); it opens its stream now."""
        hb = Heartbeat(self, interval, tolerance, callback, self.cfg.heartbeat_type)
        self.heartbeats.append(hb)
        return hb

    # -- frames out ------------------------------------------------------------------------

    def _enqueue(self, data, provoked=False, stream=None, wait=False):
        """Queue encoded frames (lock held). A reader-provoked frame waits while the bounded
        queue of provoked frames is full: backpressure on our own input [LIMIT-6]."""
        if self._ended is not None:
            return False
        if provoked and wait:
            while self._provoked >= self.cfg.max_provoked_frames and self._ended is None:
                self._cond.wait(0.1)
            if self._ended is not None:
                return False
        self._queue.append(_Item(data, provoked, stream))
        if provoked:
            self._provoked += 1
        self._cond.notify_all()
        return True

    def _send_data(self, st, data, fin=False, whole_first=False):
        """Queue DATA frames for data (lock held): SYN on the stream's first frame only
        [STREAM-2], at most max_data_frame bytes per frame [FLOW-3], FIN on the last."""
        size = self.cfg.max_data_frame
        frames, pos, n = [], 0, len(data)
        first = size
        if whole_first:
            first = n
        elif self.cfg.typed_streams and st.local and st.sent < 4:
            first = max(size, 4 - st.sent)  # the type stays whole on a typed session [TYPED-2]
        while True:
            take = first if pos == 0 else size
            chunk = data[pos:pos + take]
            pos += len(chunk)
            last = pos >= n
            flags = 0
            if not st.syn_sent:
                flags |= FLAG_SYN
                st.syn_sent = True
            if last and fin:
                flags |= FLAG_FIN
                st.fin_sent = True
            frames.append(encode_frame(DATA, flags, st.id, chunk))
            if last:
                break
        st.send_window -= n
        st.sent += n
        self._enqueue(b"".join(frames), stream=st)

    def _send_rst(self, sid, code, provoked=True, remember=True):
        if remember:
            now = time.monotonic()
            recent = self._recent_rst   # ordered: the oldest first
            recent[sid] = now
            recent.move_to_end(sid)
            while recent:
                oldest, t = next(iter(recent.items()))
                if now - t < RESET_QUIET and len(recent) <= 65536:
                    break
                recent.popitem(last=False)  # forgetting early only means answering again
        self._enqueue(encode_rst(sid, code), provoked=provoked, wait=provoked)

    def _recently_reset(self, sid):
        t = self._recent_rst.get(sid)
        return t is not None and time.monotonic() - t < RESET_QUIET

    def _credit(self, st, n):
        """WNDINC for n consumed bytes while the receive half is open [FLOW-6] [FLOW-7]."""
        if n > 0 and not st.fin_recv and not st.forgotten and st.error is None:
            self._enqueue(encode_wndinc(st.id, n), provoked=True)

    def _forget(self, st):
        if not st.forgotten:
            st.forgotten = True
            if self._streams.get(st.id) is st:
                del self._streams[st.id]
                if not st.local:
                    self._peer_open -= 1
            self._pending_type.pop(st.id, None)

    def _last_stream_id(self):
        if self._last_accepted is not None:
            return self._last_accepted
        return 0 if self.client else 1  # [GOAWAY-5]

    def _writer(self):
        """Write queued frames in order, many per system call."""
        try:
            while True:
                with self._cond:
                    while not self._queue and self._final is None:
                        self._cond.wait(0.5)
                    if not self._queue:
                        break
                    batch, size, provoked = [], 0, 0
                    while self._queue and size < 262144:
                        item = self._queue.popleft()
                        provoked += item.provoked
                        st = item.stream
                        if st is not None and st.error is not None and st.error.code == REMOTE_GONE_AWAY:
                            continue  # the peer never saw it [GOAWAY-7]
                        batch.append(item.data)
                        size += len(item.data)
                    self._inflight = True
                try:
                    self._sendall(b"".join(batch))
                finally:
                    with self._cond:
                        self._inflight = False
                        self._provoked -= provoked
                        self._cond.notify_all()
        except OSError as e:
            self._end(UNKNOWN, "transport write failed: %s" % e, None)
        except _Stop:
            pass
        finally:
            self._close_transport()

    def _sendall(self, data):
        view = memoryview(data)
        while view:
            if self._final is not None and time.monotonic() > self._final:
                raise _Stop()
            try:
                n = self._sock.send(view)
            except socket.timeout:
                continue
            view = view[n:]

    def _close_transport(self):
        with self._cond:
            if self._closed:
                return
            self._closed = True
            self._queue.clear()
            self._cond.notify_all()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        try:
            self._sock.close()
        except OSError:
            pass

    # -- ending ----------------------------------------------------------------------------

    def _end(self, code, message, goaway_code=None, debug=b""):
        """End the session once [SESSION-4]: fail every stream [SESSION-2], queue the last
        GOAWAY if any, and let the writer close the transport [SESSION-5]."""
        with self._cond:
            if self._ended is not None:
                return False
            self._ended = MuxadoError(code, message)
            for st in list(self._streams.values()):
                if st.error is None:
                    if not st.fin_recv:
                        st.buf.clear()
                    st.error = MuxadoError(SESSION_CLOSED, "session ended: %s" % message)
                st.forgotten = True
            self._streams.clear()
            self._pending_type.clear()
            self._peer_open = 0
            if goaway_code is None:
                self._queue.clear()
            else:
                self._queue.append(_Item(encode_goaway(self._last_stream_id(), goaway_code,
                                                       debug[:MAX_DEBUG_SENT])))
            self._final = time.monotonic() + self.cfg.goaway_grace
            self._cond.notify_all()
        return True

    def _violation(self, code, reason):
        """A connection error [FRAME-8]: GOAWAY with the code, close, read nothing more."""
        self._end(code, reason, code, reason.encode())
        raise _Stop()

    # -- frames in -------------------------------------------------------------------------

    def _count(self, n):
        self._cond.notify_all()

    def _fill(self, need, in_frame):
        """Read until `need` bytes are buffered. [LIMIT-8]: time out only inside a frame."""
        last = time.monotonic()
        while len(self._inbuf) < need:
            if self._ended is not None:
                raise _Stop()
            with self._cond:
                if not self._idle:
                    # everything received so far has been acted on: `after` may now proceed
                    self._idle = True
                    self._cond.notify_all()
            try:
                chunk = self._sock.recv(65536)
            except socket.timeout:
                rt = self.cfg.read_timeout
                if rt and (in_frame or self._inbuf) and time.monotonic() - last >= rt:
                    raise _ReadTimeout()
                continue
            if not chunk:
                raise _EOF()
            with self._cond:
                self._idle = False
                self.bytes_in += len(chunk)
            self._inbuf += chunk
            last = time.monotonic()

    def _take(self, n):
        self._fill(n, True)
        b = bytes(self._inbuf[:n])
        del self._inbuf[:n]
        return b

    def _chunks(self, n):
        """Yield a body of n bytes as it arrives, in bounded pieces [LIMIT-5] [FRAME-10]."""
        while n > 0:
            if not self._inbuf:
                self._fill(1, True)
            k = min(n, len(self._inbuf))
            b = bytes(self._inbuf[:k])
            del self._inbuf[:k]
            n -= k
            yield b

    def _discard(self, n):
        for b in self._chunks(n):
            with self._cond:
                self._count(len(b))

    def _reader(self):
        try:
            while self._ended is None:
                self._fill(HEADER_SIZE, False)
                hdr = self._take(HEADER_SIZE)
                self._frame(decode_header(hdr))
        except _EOF:
            with self._cond:
                self._input_ended = True
            self._end(PEER_EOF, "the transport reached end-of-file")  # [SESSION-3]
        except _ReadTimeout:
            self._end(ENHANCE_YOUR_CALM, "read timeout inside a frame [LIMIT-8]",
                      ENHANCE_YOUR_CALM, b"read timeout")
        except _Stop:
            pass
        except OSError as e:
            with self._cond:
                self._input_ended = True
            self._end(UNKNOWN, "transport read failed: %s" % e)
        except Exception as e:  # never crash on input; report it as our own failure
            self._end(INTERNAL_ERROR, "internal error: %r" % e, INTERNAL_ERROR, b"internal error")
        finally:
            with self._cond:
                self._input_ended = True
                self._cond.notify_all()

    def _frame(self, h):
        bad = header_violation(h)  # [FRAME-6] [FRAME-7]: from the header alone
        if bad is not None:
            with self._cond:
                self._violation(*bad)
        if h.type == RST:
            self._on_rst(h)
        elif h.type == DATA:
            self._on_data(h)
        elif h.type == WNDINC:
            self._on_wndinc(h)
        elif h.type == GOAWAY:
            self._on_goaway(h)
        else:
            with self._cond:     # unknown type: skip exactly Length bytes [FRAME-11]
                self._count(HEADER_SIZE)
            self._discard(h.length)

    def _on_rst(self, h):
        with self._cond:
            self._count(HEADER_SIZE)
        body = self._take(4)
        (code,) = struct.unpack(">I", body)
        with self._cond:
            st = self._streams.get(h.stream_id)
            if st is not None:  # unknown ids are ignored [RST-5]
                st.buf.clear()  # [RST-4]: unread data MAY be discarded; we do
                st.error = MuxadoError(code, "stream %d reset by the peer" % st.id)  # [RST-3]
                self._forget(st)
            self._count(4)

    def _on_wndinc(self, h):
        with self._cond:
            self._count(HEADER_SIZE)
        (word,) = struct.unpack(">I", self._take(4))
        inc = word & MAX_WINDOW  # [WNDINC-3]
        with self._cond:
            if inc == 0:
                self._violation(PROTOCOL_ERROR, "WNDINC with increment 0 [WNDINC-4]")
            st = self._streams.get(h.stream_id)
            if st is not None and st.error is None:  # unknown: ignore [WNDINC-5]
                if st.send_window + inc > MAX_WINDOW:  # [FLOW-8]
                    st.buf.clear()
                    st.error = MuxadoError(FLOW_CONTROL_ERROR, "send window above 2^31-1 [FLOW-8]")
                    self._forget(st)
                    self._send_rst(st.id, FLOW_CONTROL_ERROR)
                else:
                    st.send_window += inc  # [FLOW-5]
            self._count(4)

    def _on_goaway(self, h):
        with self._cond:
            self._count(HEADER_SIZE)
        fixed = self._take(8)
        with self._cond:
            self._count(8)
        last, code = struct.unpack(">II", fixed)
        last &= MAX_STREAM_ID  # [GOAWAY-3]
        keep = min(h.length - 8, self.cfg.max_goaway_debug)
        debug = bytearray()
        for b in self._chunks(keep):
            debug += b
            with self._cond:
                self._count(len(b))
        with self._cond:
            if self._remote is None or last <= self._remote[1]:
                last_eff = last
            else:
                last_eff = self._remote[1]  # a later GOAWAY cannot re-open streams
            self._remote = (code, last_eff, bytes(debug))  # [GOAWAY-9]
            for st in list(self._streams.values()):
                if st.local and st.id > last_eff and st.error is None:  # [GOAWAY-7]
                    st.buf.clear()
                    st.error = MuxadoError(REMOTE_GONE_AWAY, "stream %d not seen by the peer" % st.id)
                    self._forget(st)
            self._cond.notify_all()
            if h.length - 8 > self.cfg.max_goaway_debug:
                # [LIMIT-4]: we choose to end the session rather than skip the excess
                self._violation(ENHANCE_YOUR_CALM, "GOAWAY debug data over %d bytes [LIMIT-4]"
                                % self.cfg.max_goaway_debug)
        # [GOAWAY-10]: keep reading

    def _on_syn(self, h):
        """Decide on a SYN (lock held): returns (stream, None) or (None, rst_code)."""
        sid = h.stream_id
        if self._goaway_sent:  # [GOAWAY-8], before [ID-6]/[ID-7]
            old = self._streams.get(sid)
            if old is not None:
                # the RST names a stream that is open here: sending it closes ours too
                old.buf.clear()
                old.error = MuxadoError(STREAM_REFUSED, "stream %d refused after GOAWAY" % sid)
                self._forget(old)
            return None, STREAM_REFUSED
        if sid % 2 != (0 if self.client else 1):
            self._violation(PROTOCOL_ERROR, "SYN for stream %d of the wrong parity [ID-6]" % sid)
        if sid in self._streams:
            self._violation(PROTOCOL_ERROR, "SYN for open stream %d [ID-7]" % sid)
        if self._peer_open >= self.cfg.max_streams:
            return None, ENHANCE_YOUR_CALM  # [LIMIT-2]
        if len(self._accept_q) + len(self._pending_type) >= self.cfg.accept_backlog:
            return None, ACCEPT_QUEUE_FULL  # [STREAM-5] [LIMIT-3]
        if h.length > self.cfg.window_size:
            return None, FLOW_CONTROL_ERROR  # [FLOW-4] on the opening frame
        st = Stream(self, sid, local=False)
        self._streams[sid] = st
        self._peer_open += 1
        if self._last_accepted is None or sid > self._last_accepted:
            self._last_accepted = sid
        if self.cfg.typed_streams:
            self._pending_type[sid] = st
        else:
            self._accept_q.append(st)  # [STREAM-4] in SYN order
        return st, None

    def _on_data(self, h):
        fin = bool(h.flags & FLAG_FIN)
        syn = bool(h.flags & FLAG_SYN)
        sid, n = h.stream_id, h.length
        with self._cond:
            rst = None
            ignore = False
            if syn:
                known = sid in self._streams
                st, rst = self._on_syn(h)
                remember = known  # a refused new stream: later frames draw STREAM_CLOSED [STREAM-5]
            else:
                remember = True
                st = self._streams.get(sid)
                if st is None or st.fin_recv:
                    if n == 0 and fin:
                        ignore = True                     # [STREAM-7]
                    elif self._recently_reset(sid):
                        ignore = True                     # [STREAM-11] [STREAM-8] MAY omit
                    else:
                        rst = STREAM_CLOSED               # [STREAM-8]
                        if st is not None:                # sending RST closes it
                            st.buf.clear()
                            st.error = MuxadoError(STREAM_CLOSED, "peer sent DATA after FIN [STREAM-8]")
                            self._forget(st)
                    st = None
                elif len(st.buf) + n > self.cfg.window_size:  # [FLOW-4] [FLOW-10]
                    rst = FLOW_CONTROL_ERROR
                    st.buf.clear()
                    st.error = MuxadoError(FLOW_CONTROL_ERROR, "peer overran the window [FLOW-4]")
                    self._forget(st)
                    st = None
            if rst is not None:
                self._send_rst(sid, rst, provoked=True, remember=remember)
            self._count(HEADER_SIZE)
        if st is None or ignore:
            self._discard(n)
            return
        for b in self._chunks(n):
            with self._cond:
                if not st.forgotten and st.error is None:
                    st.buf += b  # [STREAM-4] [STREAM-6] delivered as it arrives
                    self._check_type(st)
                self._count(len(b))
        with self._cond:
            if fin and not st.forgotten and st.error is None:
                st.fin_recv = True  # [STREAM-6]
                if st.id in self._pending_type:
                    # ended before its type: close, do not deliver [TYPED-3]
                    st.buf.clear()
                    st.error = MuxadoError(STREAM_CLOSED, "typed stream ended before its type")
                    if not st.fin_sent:
                        self._send_data(st, b"", fin=True)
                    self._forget(st)
                elif st.fin_sent:
                    self._forget(st)  # [STREAM-10]
            self._cond.notify_all()

    def _check_type(self, st):
        """Take a typed stream's 4-byte type once it arrived [TYPED-3] (lock held)."""
        if st.id not in self._pending_type or len(st.buf) < 4:
            return
        del self._pending_type[st.id]
        (st.stream_type,) = struct.unpack(">I", bytes(st.buf[:4]))
        del st.buf[:4]
        if self.cfg.heartbeat and st.stream_type == self.cfg.heartbeat_type:
            self._credit(st, 4)  # the responder consumed the type [FLOW-6]
            threading.Thread(target=_heartbeat_responder, args=(st,), daemon=True).start()
        else:
            self._accept_q.append(st)


# --- heartbeat, section 10.2 ------------------------------------------------------------------

def _heartbeat_responder(st):
    """Echo every 4 bytes read, unchanged, never delivering the stream [HEARTBEAT-2]."""
    try:
        while True:
            b = st.read_exact(4)
            if len(b) < 4:
                break
            st.write(b)
        st.close_write()
    except MuxadoError:
        pass


class Heartbeat:
    """The requester [HEARTBEAT-1]: one beat per interval on one typed stream; callback
    (latency_seconds, failed) on each echo and on each failure [HEARTBEAT-3]."""

    def __init__(self, session, interval, tolerance, callback, stream_type=HEARTBEAT_TYPE):
        self.interval = interval
        self.tolerance = tolerance
        self.callback = callback or (lambda latency, failed: None)
        self.stream = session.open_typed(stream_type)
        self.results = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()

    def _report(self, latency, failed):
        self.results.append((latency, failed))
        try:
            self.callback(latency, failed)
        except Exception:
            pass

    def _run(self):
        last_echo = time.monotonic()
        try:
            while not self._stop.wait(self.interval):
                value = struct.pack(">I", random.getrandbits(31))
                sent = time.monotonic()
                self.stream.write(value)
                got = b""
                while len(got) < 4 and not self._stop.is_set():
                    left = last_echo + self.interval + self.tolerance - time.monotonic()
                    if left <= 0:
                        self._report(0, True)      # [HEARTBEAT-3]
                        last_echo = time.monotonic()
                        continue
                    r = self.stream.read(4 - len(got), timeout=min(left, 0.5))
                    if r == b"":
                        return                     # the responder closed the stream
                    if r:
                        got += r
                if len(got) < 4:
                    return
                if got != value:
                    return                         # [HEARTBEAT-4] stop silently
                last_echo = time.monotonic()
                self._report(last_echo - sent, False)
        except MuxadoError:
            return
