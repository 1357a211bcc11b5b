#!/usr/bin/env python3
"""Writes vectors/sessions/*.json: the muxado session vectors.

Each vector is a script for one implementation under test: frames its peer sends, calls its
application makes, and the frames and results SPEC.md requires of it. The expectations are
written by hand from SPEC.md (sections 5 to 8, 10 and 11), not derived from any
implementation. Run it after editing; `--check` fails if a committed file differs.

    python3 vectors/gen/generate_sessions.py          # rewrite the files
    python3 vectors/gen/generate_sessions.py --check  # fail if a file differs

The format is described in vectors/README.md and vectors/session-vectors.schema.json.
"""

import json
import pathlib
import sys

from frames import CODES, encode, header, u32

OUT = pathlib.Path(__file__).resolve().parent.parent / "sessions"

(NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR, STREAM_CLOSED, STREAM_REFUSED,
 STREAM_CANCELLED, STREAM_RESET, FRAME_SIZE_ERROR, ACCEPT_QUEUE_FULL, ENHANCE_YOUR_CALM) = range(11)
FIN_FLAG, SYN_FLAG = 0x1, 0x2
MAX_WINDOW = 0x7FFFFFFF          # [FLOW-8] the largest send window
W = 262144                       # [FLOW-2] the default window
MIB = 1 << 20                    # [LIMIT-4] the default debug-data limit
HEARTBEAT = bytes.fromhex("ffffffff")  # [TYPED-4]

# Flags: choices SPEC.md leaves to the implementation that a vector pins (see README).
FLAGS = {"ResetLinger", "ReadTimeout"}


# ---- frames, as a script writes them ----------------------------------------------------------

def hx(b):
    return b.hex()


def DATA(sid, payload=b"", flags=0, fill=None):
    f = {"type": "DATA", "stream_id": sid, "flags": flags}
    if fill:
        f["payload_fill"] = {"byte": fill[0], "count": fill[1]}
    else:
        f["payload"] = hx(payload)
    return f


def SYN(sid, payload=b"", fin=False):
    return DATA(sid, payload, SYN_FLAG | (FIN_FLAG if fin else 0))


def FIN(sid, payload=b""):
    return DATA(sid, payload, FIN_FLAG)


def RST(sid, code, flags=0):
    return {"type": "RST", "stream_id": sid, "flags": flags, "error_code": code}


def WNDINC(sid, inc, flags=0):
    return {"type": "WNDINC", "stream_id": sid, "flags": flags, "increment": inc}


def GOAWAY(last, code, debug=b"", fill=None, any_debug=False, stream_id=0):
    f = {"type": "GOAWAY", "stream_id": stream_id, "flags": 0, "last_stream_id": last,
         "error_code": code}
    if any_debug:
        f["debug_any"] = True
    elif fill:
        f["debug_fill"] = {"byte": fill[0], "count": fill[1]}
    else:
        f["debug"] = hx(debug)
    return f


def ERROR_GOAWAY(last, code):
    """The GOAWAY an implementation sends on a connection error: its text is not normative."""
    return GOAWAY(last, code, any_debug=True)


def UNKNOWN(type_code, sid, payload=b"", flags=0, fill=None):
    f = {"type": "UNKNOWN", "type_code": type_code, "stream_id": sid, "flags": flags}
    if fill:
        f["payload_fill"] = {"byte": fill[0], "count": fill[1]}
    else:
        f["payload"] = hx(payload)
    return f


# ---- bytes, for recv_hex (malformed frames, split reads) --------------------------------------

def wire(*frames):
    """The bytes of script frames, by the same rules as the runners."""
    return b"".join(encode(f) for f in frames)


# ---- steps ------------------------------------------------------------------------------------

def recv(*frames):
    return {"recv": list(frames)}


def recv_hex(b):
    return {"recv_hex": hx(b)}


def recv_split(b, *cuts):
    """`b` delivered in several reads, cut at the given offsets."""
    bounds = [0, *cuts, len(b)]
    return [recv_hex(b[a:z]) for a, z in zip(bounds, bounds[1:])]


EOF = {"recv_eof": True}


def advance(ms):
    return {"advance_ms": ms}


def open_(sid=None, error=None):
    return {"open": {"expect": {"error": error} if error else {"stream_id": sid}}}


def accept(sid=None, error=None):
    """`accept`: stream `sid`, no stream (`None`), or `error` (the session ended, [SESSION-4])."""
    if error is not None:
        return {"accept": {"expect": {"error": error}}}
    return {"accept": {"expect": {"stream_id": sid} if sid is not None else {"none": True}}}


def accept_typed(sid=None, stream_type=None, error=None):
    """`accept_typed`: stream `sid` of `stream_type`, no stream (`None`), or `error`."""
    if error is not None:
        expect = {"error": error}
    elif sid is None:
        expect = {"none": True}
    else:
        expect = {"stream_id": sid, "stream_type": stream_type}
    return {"accept_typed": {"expect": expect}}


def open_typed(stream_type, sid=None, error=None):
    expect = {"error": error} if error else {"stream_id": sid}
    return {"open_typed": {"stream_type": stream_type, "expect": expect}}


def echo(sid, n=4):
    """The peer echoes the last `n` bytes the implementation sent on stream `sid`."""
    return {"echo": {"stream_id": sid, "bytes": n}}


def recv_delayed(ms, *frames):
    """Frames the peer sends `ms` after the next call was asked ([AGENT-3]'s `after`)."""
    return {"recv_delayed": {"ms": ms, "frames": list(frames)}}


def pinned(flag, *steps):
    """Steps whose checks pin a choice SPEC.md leaves open (a SHOULD or MAY, named by `flag`):
    SHOULD-level checks, which count only with --strict."""
    assert flag in FLAGS, flag
    return [dict(step, pins=flag) for step in steps]


def write(sid, data, written=None, error=None, fill=None):
    step = {"stream_id": sid}
    if fill:
        step["data_fill"] = {"byte": fill[0], "count": fill[1]}
    else:
        step["data"] = hx(data)
    if error:
        step["expect"] = {"error": error}
    else:
        step["expect"] = {"written": len(data) if written is None else written}
    return {"write": step}


def read(sid, data=None, max_=1024, eof=False, blocked=False, error=None):
    if error is not None:
        expect = {"error": error}
    elif eof:
        expect = {"eof": True}
    elif blocked:
        expect = {"blocked": True}
    else:
        expect = {"data": hx(data)}
    return {"read": {"stream_id": sid, "max": max_, "expect": expect}}


def close_write(sid, error=None):
    step = {"stream_id": sid}
    if error:
        step["expect"] = {"error": error}
    return {"close_write": step}


def close_stream(sid):
    return {"close_stream": {"stream_id": sid}}


def reset(sid, code, error=None):
    step = {"stream_id": sid, "error_code": code}
    if error:
        step["expect"] = {"error": error}
    return {"reset": step}


def go_away(code, debug=b"", error=None):
    step = {"error_code": code, "debug": hx(debug)}
    if error:
        step["expect"] = {"error": error}
    return {"go_away": step}


CLOSE = {"close": {}}


def sent(*frames):
    """Exactly these frames, judged per stream (bytes, SYN, FIN, RST codes) and not by framing.
    A WNDINC written here says where the reference credits; the vector leaves it out, since
    credit is judged by what [FLOW-6] and [FLOW-7] bound, whatever its schedule."""
    return {"expect_sent": [f for f in frames if f["type"] != "WNDINC"]}


NOTHING_SENT = sent()


def flood(frame, count, step=2):
    """`count` copies of `frame`, the stream id growing by `step`, while the peer reads nothing."""
    return {"flood": {"frame": frame, "count": count, "stream_id_step": step}}


def heartbeat(interval_ms, tolerance_ms):
    """The application starts the implementation's own heartbeat requester."""
    return {"heartbeat": {"interval_ms": interval_ms, "tolerance_ms": tolerance_ms}}


def DATA_LIKE(sid, pattern, flags=0):
    """A DATA frame expected with `..` for each byte of any value (a heartbeat's nonce)."""
    return {"type": "DATA", "stream_id": sid, "flags": flags, "payload_pattern": pattern}


def sent_one_of(*alternatives):
    """Exactly the frames of one alternative, each `(choice, [frames])`, `(choice, [frames],
    [steps])` (the steps that follow when the implementation took it) or `(choice, [frames],
    [steps], flag)` (an alternative SPEC.md allows but a SHOULD advises against: taking it
    fails a SHOULD-level check). SPEC.md allows each."""
    out = []
    for alt in alternatives:
        c, f = alt[0], alt[1]
        a = {"choice": c, "frames": [x for x in f if x["type"] != "WNDINC"]}
        if len(alt) > 2 and alt[2]:
            a["then"] = list(alt[2])
        if len(alt) > 3:
            assert alt[3] in FLAGS, alt[3]
            a["pins"] = alt[3]
        out.append(a)
    return {"expect_sent_one_of": out}
MISSING = object()


def session(ended=None, local_error=None, remote=MISSING):
    e = {}
    if ended is not None:
        e["ended"] = ended
    if local_error is not None:
        e["local_error"] = local_error
    if remote is not MISSING:
        e["remote"] = remote
    return {"expect_session": e}


def remote(code=None, last=None, debug=None, fill=None):
    r = {}
    if code is not None:
        r["error_code"] = code
    if last is not None:
        r["last_stream_id"] = last
    if debug is not None:
        r["debug"] = hx(debug)
    if fill:
        r["debug_fill"] = {"byte": fill[0], "count": fill[1]}
    return r


ALIVE = session(ended=False)


def ended(code, remote_=MISSING):
    """The session ended with `code` (a name, or a number of a named code)."""
    return session(ended=True, local_error=code if isinstance(code, str) else CODES[code],
                   remote=remote_)


class BugAt:
    """Marks the step at which muxado-reference is known to fail a vector (see `bug`)."""

    def __init__(self, step):
        self.step = step


def pins_of(steps):
    """The flags pinned by `steps`, by their alternatives and by those alternatives' `then`
    steps."""
    out = set()
    for s in steps:
        if "pins" in s:
            out.add(s["pins"])
        for alt in s.get("expect_sent_one_of", []):
            if "pins" in alt:
                out.add(alt["pins"])
            out |= pins_of(alt.get("then", []))
    return out


def vec(id, desc, reqs, role, steps, config=None, bug=None):
    """A vector. `steps` may hold lists of steps (flattened) and one BugAt(step) when `bug`,
    the note on a known muxado-reference bug, is given."""
    flat, bug_step = [], None
    for s in steps:
        if isinstance(s, BugAt):
            bug_step = len(flat) + 1
            s = s.step
        flat.extend(s if isinstance(s, list) else [s])
    assert (bug is None) == (bug_step is None), id
    v = {"id": id, "description": desc, "requirements": list(reqs), "role": role}
    if config:
        v["config"] = config
    flags = pins_of(flat)
    if flags:
        v["flags"] = sorted(flags)
    if bug:
        v["reference_bug"] = {"step": bug_step, "note": bug}
    v["steps"] = flat
    return v


def client(id, desc, reqs, steps, **kw):
    return vec(id, desc, reqs, "client", steps, **kw)


def server(id, desc, reqs, steps, **kw):
    return vec(id, desc, reqs, "server", steps, **kw)


# ---- streams.json: stream ids and the stream lifecycle (SPEC 5, 6) ----------------------------

def stream_vectors():
    v = [
        client("session-client-stream-ids",
               "A client opens streams 3, 5, 7 in that order (never stream 1); opening sends nothing.",
               ["ID-1", "ID-2", "ID-4", "STREAM-1", "INTEROP-9"],
               [open_(3), open_(5), open_(7), NOTHING_SENT, ALIVE]),
        server("session-server-stream-ids",
               "A server opens streams 2, 4, 6 in that order; opening sends nothing.",
               ["ID-1", "ID-2", "ID-4", "STREAM-1"],
               [open_(2), open_(4), open_(6), NOTHING_SENT]),
        client("session-first-write-carries-syn",
               "The first write on a new stream sends DATA+SYN with its bytes; the next write sends DATA without SYN.",
               ["STREAM-1", "STREAM-2", "STREAM-3"],
               [open_(3), NOTHING_SENT, write(3, b"hello"), sent(SYN(3, b"hello")),
                write(3, b"world"), sent(DATA(3, b"world"))]),
        client("session-close-write-unwritten-sends-syn-then-fin",
               "Half-closing a stream never written to sends SYN and FIN with no bytes: on one frame or two ([DATA-3]); two, as the reference sends, keep a Go acceptor able to reply ([INTEROP-8]).",
               ["STREAM-2", "DATA-2", "INTEROP-8"],
               [open_(3), close_write(3), sent(SYN(3), FIN(3))]),
        client("session-close-unwritten-stream-sends-nothing",
               "Closing a stream never written to sends nothing, or SYN with FIN as Go does ([STREAM-2] allows both); its id is not reused.",
               ["STREAM-2", "ID-4"],
               [open_(3), close_stream(3),
                sent_one_of(("silent", []), ("syn-fin", [SYN(3, fin=True)])),
                open_(5), write(5, b"x"), sent(SYN(5, b"x"))]),
        client("session-ids-not-reused-after-close",
               "After stream 3 is written and closed, the next stream opened is 5, not 3.",
               ["ID-4", "STREAM-9"],
               [open_(3), write(3, b"a"), close_stream(3), sent(SYN(3, b"a"), FIN(3)),
                open_(5), write(5, b"b"), sent(SYN(5, b"b"))]),
        server("session-accept-syn-with-data",
               "A SYN carrying 'hello' is accepted; its bytes are the stream's first bytes, and reading them credits them.",
               ["STREAM-4", "DATA-4", "FLOW-6"],
               [recv(SYN(3, b"hello")), NOTHING_SENT, accept(3), accept(None),
                read(3, b"hello"), sent(WNDINC(3, 5)), read(3, blocked=True)]),
        server("session-accept-empty-syn",
               "A zero-length SYN opens a stream with nothing to read yet.",
               ["STREAM-4", "DATA-2", "STREAM-1"],
               [recv(SYN(3)), accept(3), read(3, blocked=True), NOTHING_SENT]),
        server("session-accept-order-follows-syns",
               "Three SYNs in one read are accepted in the order they arrived.",
               ["STREAM-4"],
               [recv(SYN(3, b"a"), SYN(5, b"b"), SYN(7, b"c")), accept(3), accept(5), accept(7),
                accept(None), read(5, b"b"), sent(WNDINC(5, 1))]),
        server("session-accept-stream-1",
               "A server accepts a SYN for stream 1: the id alone is no reason to refuse it.",
               ["ID-3"],
               [recv(SYN(1, b"x")), accept(1), read(1, b"x"), sent(WNDINC(1, 1)), ALIVE]),
        server("session-syn-ids-out-of-order",
               "SYNs for 5 then 3 (a concurrent opener's order) are both accepted, in arrival order.",
               ["ID-8", "STREAM-4"],
               [recv(SYN(5, b"a")), recv(SYN(3, b"b")), NOTHING_SENT, accept(5), accept(3),
                read(3, b"b"), sent(WNDINC(3, 1)), ALIVE]),
        server("session-syn-reused-closed-id",
               "A SYN for the id of a stream that closed normally and was forgotten opens a new stream.",
               ["ID-8", "STREAM-9"],
               [recv(SYN(3), FIN(3)), accept(3), close_stream(3), sent(FIN(3)),
                recv(SYN(3, b"again")), NOTHING_SENT, accept(3), read(3, b"again"),
                sent(WNDINC(3, 5)), ALIVE]),
        server("session-syn-reused-id-after-both-fins",
               "Once both FINs of stream 3 were exchanged the stream is over and forgotten ([STREAM-10]), even though the application has not closed it: a new SYN for id 3 opens a new stream, or is refused with RST STREAM_REFUSED since the application still holds the old one ([ID-7]); it is not a SYN for an open or half-closed stream (PROTOCOL_ERROR).",
               ["STREAM-10", "ID-8", "ID-7", "STREAM-13"],
               [recv(SYN(3, b"q"), FIN(3)), accept(3), read(3, b"q"), read(3, eof=True),
                close_write(3), sent(FIN(3)), recv(SYN(3, b"again")),
                sent_one_of(("new-stream", [], [accept(3), read(3, b"again"), ALIVE]),
                            ("refused", [RST(3, STREAM_REFUSED)], [accept(None), ALIVE]))]),
        client("session-client-accepts-even-stream",
               "A client accepts the server's stream 2.",
               ["ID-1", "STREAM-4"],
               [recv(SYN(2, b"srv")), accept(2), read(2, b"srv"), sent(WNDINC(2, 3))]),
        server("session-syn-fin-acceptor-may-write",
               "A SYN+FIN with a request ends only the opener's half: the acceptor reads the request, then EOF, and still writes its reply and FIN.",
               ["DATA-3", "STREAM-6", "INTEROP-8"],
               [recv(SYN(3, b"req", fin=True)), accept(3), read(3, b"req"), read(3, eof=True),
                NOTHING_SENT, write(3, b"resp"), close_write(3),
                sent(DATA(3, b"resp"), FIN(3))]),
        client("session-half-close-local-still-receives",
               "After sending FIN the client still receives and credits data, and cannot write.",
               ["STREAM-12", "FLOW-6", "STREAM-6"],
               [open_(3), write(3, b"ping"), close_write(3), sent(SYN(3, b"ping"), FIN(3)),
                recv(DATA(3, b"pong")), read(3, b"pong"), sent(WNDINC(3, 4)),
                write(3, b"x", error="STREAM_CLOSED"), NOTHING_SENT]),
        server("session-half-close-remote-still-sends",
               "After the peer's FIN the acceptor reads to EOF and still sends data.",
               ["STREAM-6"],
               [recv(SYN(3, b"q")), recv(FIN(3)), accept(3), read(3, b"q"), read(3, eof=True),
                write(3, b"answer"), sent(DATA(3, b"answer"))]),
        client("session-fin-with-data-then-eof",
               "A DATA frame with FIN and bytes: the bytes are delivered, then EOF.",
               ["STREAM-6"],
               [open_(3), write(3, b"a"), sent(SYN(3, b"a")), recv(FIN(3, b"bye")),
                read(3, b"bye"), read(3, eof=True), read(3, eof=True)]),
        client("session-both-fins-stream-forgotten",
               "Once both FINs are exchanged and the stream closed, later DATA on it draws RST STREAM_CLOSED ([STREAM-8]: its receive half has ended, forgotten or not).",
               ["STREAM-8", "STREAM-9"],
               [open_(3), write(3, b"a"), close_write(3), recv(FIN(3, b"b")), read(3, b"b"),
                read(3, eof=True), close_stream(3), sent(SYN(3, b"a"), FIN(3)),
                recv(DATA(3, b"late")), sent(RST(3, STREAM_CLOSED)), ALIVE]),
        server("session-data-after-fin-rst-stream-closed",
               "DATA with bytes after the peer's FIN is a stream error: RST STREAM_CLOSED, the bytes are not delivered, and the stream is closed.",
               ["STREAM-8", "STREAM-6"],
               [recv(SYN(3, b"a"), FIN(3, b"b")), accept(3), read(3, b"ab"), read(3, eof=True),
                recv(DATA(3, b"c")), sent(RST(3, STREAM_CLOSED)),
                write(3, b"x", error="STREAM_CLOSED"), NOTHING_SENT, ALIVE]),
        server("session-repeated-fin-ignored",
               "A second zero-length FIN (Go repeats FIN on Close after CloseWrite) is ignored.",
               ["STREAM-7", "INTEROP-10"],
               [recv(SYN(3), FIN(3)), recv(FIN(3)), recv(FIN(3)), NOTHING_SENT, accept(3),
                read(3, eof=True), ALIVE]),
        server("session-empty-data-without-fin-after-fin",
               "A zero-length DATA frame without FIN after the peer's FIN is not the ignored case: RST STREAM_CLOSED.",
               ["STREAM-8", "STREAM-7"],
               [recv(SYN(3), FIN(3)), recv(DATA(3)), sent(RST(3, STREAM_CLOSED))]),
        server("session-data-on-unknown-streams",
               "DATA on never-opened streams of either parity draws RST STREAM_CLOSED for each; nothing is accepted.",
               ["STREAM-8"],
               [recv(DATA(3, b"x"), DATA(4, b"yy")),
                sent(RST(3, STREAM_CLOSED), RST(4, STREAM_CLOSED)), accept(None), ALIVE]),
        client("session-empty-data-without-fin-on-unknown-stream",
               "A zero-length DATA frame without FIN on an unknown stream draws RST STREAM_CLOSED.",
               ["STREAM-8"],
               [recv(DATA(9)), sent(RST(9, STREAM_CLOSED))]),
        client("session-rst-on-unknown-stream-ignored",
               "RST for a stream never opened is ignored.",
               ["RST-5"],
               [recv(RST(9, STREAM_RESET), RST(4, 0xDEADBEEF)), NOTHING_SENT, ALIVE]),
        client("session-wndinc-on-unknown-stream-ignored",
               "WNDINC for a stream never opened is ignored.",
               ["WNDINC-5"],
               [recv(WNDINC(9, 100), WNDINC(2, 1)), NOTHING_SENT, ALIVE]),
        client("session-empty-fin-on-unknown-stream-ignored",
               "A zero-length DATA+FIN on an unknown stream is ignored.",
               ["STREAM-7"],
               [recv(FIN(9), FIN(4)), NOTHING_SENT, ALIVE]),
        server("session-close-stream-then-late-data",
               "Closing an accepted stream credits the 5 bytes it discards unread, sends FIN and forgets it: later DATA draws RST STREAM_CLOSED, a later empty FIN is ignored.",
               ["STREAM-9", "STREAM-8", "STREAM-7"],
               [recv(SYN(3, b"hello")), accept(3), close_stream(3), sent(WNDINC(3, 5), FIN(3)),
                recv(DATA(3, b"late")), sent(RST(3, STREAM_CLOSED)),
                advance(6000), recv(FIN(3)), NOTHING_SENT, ALIVE]),
        client("session-close-after-fin-sends-no-second-fin",
               "Closing a stream that already sent FIN sends nothing more.",
               ["STREAM-9", "STREAM-12"],
               [open_(3), write(3, b"a"), close_write(3), close_stream(3),
                sent(SYN(3, b"a"), FIN(3))]),
        client("session-rst-received-fails-stream",
               "RST from the peer ends both halves: reads, writes and half-close fail with its code and the RST is not answered; closing the stream afterwards sends nothing, or the zero-length FIN [STREAM-12] allows after a received RST (Go's, [INTEROP-10]); a later Go-style empty FIN from the peer is ignored.",
               ["RST-4", "STREAM-12", "INTEROP-10", "STREAM-7"],
               [open_(3), write(3, b"a"), sent(SYN(3, b"a")), recv(RST(3, STREAM_RESET)),
                read(3, error="STREAM_RESET"), write(3, b"b", error="STREAM_RESET"),
                NOTHING_SENT, close_write(3, error="STREAM_RESET"), close_stream(3),
                recv(FIN(3)), sent_one_of(("silent", []), ("empty-fin", [FIN(3)])), ALIVE]),
        server("session-rst-received-unknown-code",
               "An RST with the unassigned code 0xdeadbeef is reported to the application unchanged.",
               ["RST-3", "ERR-1", "RST-4"],
               [recv(SYN(3)), recv(RST(3, 0xDEADBEEF)), accept(3),
                read(3, error=0xDEADBEEF), write(3, b"x", error=0xDEADBEEF), NOTHING_SENT]),
        client("session-rst-twice-second-ignored",
               "A second RST for a stream already reset by the peer is ignored; the first code stays.",
               ["RST-5", "RST-4"],
               [open_(3), write(3, b"a"), sent(SYN(3, b"a")),
                recv(RST(3, STREAM_CANCELLED), RST(3, STREAM_RESET)),
                write(3, b"b", error="STREAM_CANCELLED"), NOTHING_SENT]),
        client("session-rst-after-own-rst-ignored",
               "An RST from the peer on a stream the receiver reset itself (here with STREAM_CLOSED, for DATA after the peer's FIN) is ignored: the stream's error stays STREAM_CLOSED (Go takes the later code, [INTEROP-29]).",
               ["RST-5", "STREAM-8", "INTEROP-29"],
               [open_(3), write(3, b"a"), sent(SYN(3, b"a")),
                recv(FIN(3, b"b"), DATA(3, b"c")), sent(RST(3, STREAM_CLOSED)),
                write(3, b"d", error="STREAM_CLOSED"),
                recv(RST(3, 0xDEAD)), write(3, b"e", error="STREAM_CLOSED"), NOTHING_SENT, ALIVE]),
        client("session-reset-by-application",
               "The application resets an announced stream: RST with its code; later calls fail with that code and nothing more is sent.",
               ["STREAM-11", "STREAM-12"],
               [open_(3), write(3, b"a"), reset(3, STREAM_CANCELLED),
                sent(SYN(3, b"a"), RST(3, STREAM_CANCELLED)),
                write(3, b"b", error="STREAM_CANCELLED"), read(3, error="STREAM_CANCELLED"),
                close_stream(3), NOTHING_SENT]),
        client("session-reset-unannounced-stream-sends-nothing",
               "Resetting a stream never written to sends nothing (the peer does not know it), or the RST, alone or after an empty SYN frame ([STREAM-2], [STREAM-11]); later calls fail with the RST's code.",
               ["STREAM-2", "STREAM-11"],
               [open_(3), reset(3, STREAM_RESET),
                sent_one_of(("silent", []), ("rst", [RST(3, STREAM_RESET)]),
                            ("syn-rst", [SYN(3), RST(3, STREAM_RESET)])),
                write(3, b"x", error="STREAM_RESET")]),
        server("session-reset-late-frames-within-linger-ignored",
               "Frames the peer sent before seeing our RST, arriving within 5 s of it, SHOULD be ignored; answering the DATA among them with RST STREAM_CLOSED (once, or again after 3 s) is allowed ([STREAM-8]), nothing else is.",
               ["STREAM-11", "STREAM-8"],
               [recv(SYN(3, b"a")), accept(3), reset(3, STREAM_CANCELLED),
                sent(RST(3, STREAM_CANCELLED)), advance(1000),
                recv(DATA(3, b"late"), WNDINC(3, 5), FIN(3), RST(3, STREAM_CANCELLED)),
                advance(3000), recv(DATA(3, b"later")),
                sent_one_of(("ignored", []),
                            ("answered", [RST(3, STREAM_CLOSED)], [], "ResetLinger"),
                            ("answered-each", [RST(3, STREAM_CLOSED), RST(3, STREAM_CLOSED)], [],
                             "ResetLinger")),
                ALIVE]),
        server("session-reset-late-data-after-linger",
               "DATA on a stream we reset, arriving more than 5 s after the RST, draws RST STREAM_CLOSED.",
               ["STREAM-8", "STREAM-11"],
               [recv(SYN(3)), accept(3), reset(3, STREAM_CANCELLED),
                sent(RST(3, STREAM_CANCELLED)), advance(6000), recv(DATA(3, b"late")),
                sent(RST(3, STREAM_CLOSED)), read(3, error="STREAM_CANCELLED")]),
        server("session-reset-linger-counts-from-the-rst",
               "The 5 s during which late frames are ignored start when the RST is sent, even after a long idle time: DATA 1 s after an RST sent at 10 s is ignored.",
               ["STREAM-11"],
               [recv(SYN(3, b"a")), accept(3), advance(10000), reset(3, STREAM_CANCELLED),
                sent(RST(3, STREAM_CANCELLED)), advance(1000), recv(DATA(3, b"late")),
                sent_one_of(("ignored", []),
                            ("answered", [RST(3, STREAM_CLOSED)], [], "ResetLinger"))]),
        server("session-stream-states-independent",
               "One stream's FIN, RST and close leave the other streams of the session untouched.",
               ["STREAM-6", "RST-4", "FLOW-1"],
               [recv(SYN(3, b"a"), SYN(5, b"b"), SYN(7, b"c")), accept(3), accept(5), accept(7),
                recv(FIN(3), RST(5, STREAM_CANCELLED)), close_stream(7), sent(WNDINC(7, 1), FIN(7)),
                read(3, b"a"), read(3, eof=True), write(3, b"x"), write(5, b"y", error="STREAM_CANCELLED"),
                sent(DATA(3, b"x"))]),
    ]
    return v


# ---- flow.json: flow control (SPEC 7) ---------------------------------------------------------

def flow_vectors():
    w8 = {"max_window_size": 8}
    w16 = {"max_window_size": 16}
    v = [
        client("session-flow-write-limited-by-window",
               "With W = 8 a client sends 8 bytes before any frame from the peer, then write takes nothing more.",
               ["FLOW-3", "FLOW-2", "STREAM-3"],
               [open_(3), write(3, b"hello"), write(3, b"world", written=3), write(3, b"!", written=0),
                sent(SYN(3, b"hello"), DATA(3, b"wor"))], config=w8),
        client("session-flow-wndinc-resumes-sender",
               "An exhausted window grows by each WNDINC received; the sender resumes by exactly that much.",
               ["FLOW-5", "FLOW-3"],
               [open_(3), write(3, b"12345678"), write(3, b"9", written=0), recv(WNDINC(3, 3)),
                write(3, b"abcdef", written=3), write(3, b"x", written=0),
                recv(WNDINC(3, 1), WNDINC(3, 1)), write(3, b"xyz", written=2),
                sent(SYN(3, b"12345678"), DATA(3, b"abc"), DATA(3, b"xy"))], config=w8),
        client("session-flow-fin-with-empty-window",
               "A zero-length FIN is sent even when the window is 0.",
               ["FLOW-3"],
               [open_(3), write(3, b"abcd"), write(3, b"e", written=0), close_write(3),
                sent(SYN(3, b"abcd"), FIN(3))], config={"max_window_size": 4}),
        client("session-flow-windows-per-stream",
               "Each stream has its own send window: exhausting stream 3 leaves stream 5's whole.",
               ["FLOW-1", "FLOW-3"],
               [open_(3), open_(5), write(3, b"abcd"), write(3, b"e", written=0), write(5, b"wxyz"),
                recv(WNDINC(5, 2)), write(3, b"e", written=0), write(5, b"12"),
                sent(SYN(3, b"abcd"), SYN(5, b"wxyz"), DATA(5, b"12"))],
               config={"max_window_size": 4}),
        server("session-flow-exact-window-fill",
               "A SYN and a DATA frame filling the window exactly (8 bytes with W = 8) are accepted.",
               ["FLOW-4", "FLOW-10", "DATA-4"],
               [recv(SYN(3, b"1234"), DATA(3, b"5678")), NOTHING_SENT, accept(3),
                read(3, b"12345678"), sent(WNDINC(3, 8))], config=w8),
        server("session-flow-overrun-by-one-byte",
               "A DATA frame taking the unread bytes to W + 1 is discarded whole, answered with RST FLOW_CONTROL_ERROR, and closes the stream; the session continues.",
               ["FLOW-4", "FLOW-10", "LIMIT-1"],
               [recv(SYN(3, b"1234"), DATA(3, b"56789")), sent(RST(3, FLOW_CONTROL_ERROR)),
                accept(3), write(3, b"x", error="FLOW_CONTROL_ERROR"), NOTHING_SENT, ALIVE,
                recv(SYN(5, b"ok")), accept(5), read(5, b"ok"), sent(WNDINC(5, 2))], config=w8),
        server("session-flow-overrun-with-fin-is-an-error",
               "An overrunning DATA frame that also carries FIN is still a stream error: discarded whole, answered with RST FLOW_CONTROL_ERROR; its FIN never takes effect, and the reader gets the error at once (the RST's code, unread bytes discarded: STREAM-11), never bytes or end-of-stream.",
               ["FLOW-4", "STREAM-6", "STREAM-11"],
               [recv(SYN(3, b"1234")), accept(3), recv(DATA(3, b"56789", flags=FIN_FLAG)),
                sent(RST(3, FLOW_CONTROL_ERROR)), read(3, error="FLOW_CONTROL_ERROR"),
                NOTHING_SENT, ALIVE], config=w8),
        server("session-flow-overrun-default-window",
               "With the default W = 262144, a full window is accepted and one more byte is an overrun.",
               ["FLOW-2", "FLOW-11", "FLOW-4", "LIMIT-1"],
               [recv(SYN(3), DATA(3, fill=("61", W))), NOTHING_SENT, recv(DATA(3, b"b")),
                sent(RST(3, FLOW_CONTROL_ERROR)), ALIVE]),
        server("session-flow-syn-over-window",
               "A SYN carrying W + 1 bytes overruns the new stream's window: RST FLOW_CONTROL_ERROR; the session continues.",
               ["FLOW-4", "DATA-4"],
               [recv(SYN(3, b"123456789")), sent(RST(3, FLOW_CONTROL_ERROR)), ALIVE], config=w8),
        server("session-flow-overrun-counts-unread-bytes",
               "The receive check is on unread bytes: after the application read 4 of 8, 4 more fit and a fifth overruns.",
               ["FLOW-4", "FLOW-6"],
               [recv(SYN(3, b"12345678")), accept(3), read(3, b"1234", max_=4),
                sent(WNDINC(3, 4)), recv(DATA(3, b"abcd")), NOTHING_SENT, recv(DATA(3, b"e")),
                sent(RST(3, FLOW_CONTROL_ERROR))], config=w8),
        server("session-flow-credit-when-buffer-empties",
               "A read that leaves the buffer empty credits every byte consumed so far, in one WNDINC.",
               ["FLOW-6", "FLOW-7"],
               [recv(SYN(3, b"hello")), accept(3), read(3, b"he", max_=2), NOTHING_SENT,
                read(3, b"llo"), sent(WNDINC(3, 5)), read(3, blocked=True), NOTHING_SENT]),
        server("session-flow-credit-at-half-window",
               "With W = 16, the reference credits once half a window was consumed even while bytes remain buffered, and again when the buffer empties.",
               ["FLOW-6", "FLOW-7"],
               [recv(SYN(3, bytes(range(16)))), accept(3), read(3, bytes(range(4)), max_=4),
                NOTHING_SENT, read(3, bytes(range(4, 8)), max_=4), sent(WNDINC(3, 8)),
                read(3, bytes(range(8, 12)), max_=4), NOTHING_SENT,
                read(3, bytes(range(12, 16)), max_=4), sent(WNDINC(3, 8))],
               config=w16),
        client("session-flow-credit-lets-peer-refill",
               "Credit sent for consumed bytes lets the peer send a full window again without overrun.",
               ["FLOW-6", "FLOW-4"],
               [open_(3), write(3, b"go"), sent(SYN(3, b"go")), recv(DATA(3, b"abcdefgh")),
                read(3, b"abcdefgh"), sent(WNDINC(3, 8)), recv(DATA(3, b"ijklmnop")),
                read(3, b"ijklmnop"), sent(WNDINC(3, 8)), ALIVE], config=w8),
        server("session-flow-empty-fin-with-full-window",
               "A zero-length FIN on a stream whose window is full is not an overrun.",
               ["FLOW-3", "FLOW-4", "STREAM-6"],
               [recv(SYN(3, b"abcd"), FIN(3)), NOTHING_SENT, accept(3), read(3, b"abcd"),
                read(3, eof=True), NOTHING_SENT],
               config={"max_window_size": 4}),
        client("session-flow-wndinc-up-to-max-window",
               "WNDINC taking the send window to exactly 2^31-1 is accepted.",
               ["FLOW-8", "FLOW-5"],
               [open_(3), write(3, b"a"), recv(WNDINC(3, MAX_WINDOW - (W - 1))),
                write(3, b"b"), sent(SYN(3, b"a"), DATA(3, b"b")), ALIVE]),
        client("session-flow-wndinc-overflow",
               "WNDINC taking the send window above 2^31-1 is a stream error: RST FLOW_CONTROL_ERROR; the session continues.",
               ["FLOW-8"],
               [open_(3), write(3, b"a"), sent(SYN(3, b"a")), recv(WNDINC(3, MAX_WINDOW)),
                sent(RST(3, FLOW_CONTROL_ERROR)), write(3, b"b", error="FLOW_CONTROL_ERROR"),
                NOTHING_SENT, ALIVE]),
        client("session-flow-wndinc-overflow-by-one",
               "After a WNDINC to exactly 2^31-1, one more byte of credit overflows the window.",
               ["FLOW-8"],
               [open_(3), write(3, b"a"), sent(SYN(3, b"a")),
                recv(WNDINC(3, MAX_WINDOW - (W - 1))), NOTHING_SENT, recv(WNDINC(3, 1)),
                sent(RST(3, FLOW_CONTROL_ERROR))]),
    ]
    return v


# ---- goaway.json: GOAWAY and the end of a session (SPEC 8) ------------------------------------

def goaway_vectors():
    v = [
        client("session-goaway-received-open-fails",
               "After the peer's GOAWAY, opening a stream fails with REMOTE_GONE_AWAY; the session goes on.",
               ["GOAWAY-7", "GOAWAY-9", "GOAWAY-10"],
               [recv(GOAWAY(0, NO_ERROR)), open_(error="REMOTE_GONE_AWAY"), NOTHING_SENT,
                session(ended=False, remote=remote(NO_ERROR, 0, b""))]),
        client("session-goaway-received-streams-above-last-fail",
               "GOAWAY with last stream 5: stream 7, which the peer never saw, fails with REMOTE_GONE_AWAY; streams 3 and 5 continue. Closing the failed stream 7 afterwards sends nothing, or a zero-length FIN (no rule forbids it: no FIN or RST went out or came in on it, [STREAM-12]; Go's Close sends one, [INTEROP-10]).",
               ["GOAWAY-7", "GOAWAY-9", "GOAWAY-10"],
               [open_(3), open_(5), open_(7), write(3, b"a"), write(5, b"b"), write(7, b"c"),
                sent(SYN(3, b"a"), SYN(5, b"b"), SYN(7, b"c")),
                recv(GOAWAY(5, NO_ERROR, b"bye")),
                write(7, b"x", error="REMOTE_GONE_AWAY"), read(7, error="REMOTE_GONE_AWAY"),
                write(3, b"x"), write(5, b"y"), recv(DATA(3, b"r")), read(3, b"r"),
                close_stream(7),
                sent_one_of(("silent", [DATA(3, b"x"), DATA(5, b"y"), WNDINC(3, 1)]),
                            ("empty-fin", [DATA(3, b"x"), DATA(5, b"y"), WNDINC(3, 1), FIN(7)])),
                session(ended=False, remote=remote(NO_ERROR, 5, b"bye"))]),
        client("session-goaway-received-unannounced-stream-fails",
               "A stream opened but not yet written, above the last stream id, fails too: writing it sends nothing.",
               ["GOAWAY-7"],
               [open_(3), recv(GOAWAY(0, NO_ERROR)), write(3, b"x", error="REMOTE_GONE_AWAY"),
                NOTHING_SENT]),
        client("session-goaway-received-server-saw-none",
               "A server's GOAWAY with last stream 1 means it saw none of the client's streams: stream 3 fails.",
               ["GOAWAY-7", "GOAWAY-5", "ID-2"],
               [open_(3), write(3, b"a"), sent(SYN(3, b"a")), recv(GOAWAY(1, NO_ERROR)),
                write(3, b"b", error="REMOTE_GONE_AWAY"), NOTHING_SENT]),
        server("session-goaway-received-peer-streams-continue",
               "Streams the peer opened continue after its GOAWAY; only new local streams are refused.",
               ["GOAWAY-7", "GOAWAY-10"],
               [recv(SYN(3, b"a")), recv(GOAWAY(0, NO_ERROR)), accept(3), read(3, b"a"),
                write(3, b"reply"), sent(WNDINC(3, 1), DATA(3, b"reply")),
                open_(error="REMOTE_GONE_AWAY"), session(ended=False, remote=remote(NO_ERROR, 0))]),
        client("session-goaway-received-code-and-debug-kept",
               "GOAWAY with the unassigned code 0xdeadbeef and non-UTF-8 debug data: both are reported unchanged, and kept after the transport ends.",
               ["GOAWAY-9", "GOAWAY-4", "ERR-1", "SESSION-3"],
               [recv(GOAWAY(3, 0xDEADBEEF, b"\xff\xfe\x00\x80")),
                session(ended=False, remote=remote(0xDEADBEEF, 3, b"\xff\xfe\x00\x80")),
                EOF, ended("PEER_EOF", remote(0xDEADBEEF, 3, b"\xff\xfe\x00\x80")),
                NOTHING_SENT]),
        client("session-goaway-received-then-frames-processed",
               "Frames after a GOAWAY in the same read are processed: the peer drains stream 3.",
               ["GOAWAY-10", "GOAWAY-6"],
               [open_(3), write(3, b"a"), sent(SYN(3, b"a")),
                recv(GOAWAY(3, NO_ERROR, b"drain"), DATA(3, b"r"), FIN(3)), read(3, b"r"),
                read(3, eof=True), NOTHING_SENT, session(ended=False, remote=remote(NO_ERROR, 3, b"drain"))]),
        client("session-goaway-received-twice",
               "A second GOAWAY with a lower last stream id fails the streams above it as well. The first GOAWAY's code and debug data are reported; which of the two the session reports after the second is not checked ([GOAWAY-9] does not say; [INTEROP-21] takes the reason from the first).",
               ["GOAWAY-6", "GOAWAY-7", "GOAWAY-9"],
               [open_(3), open_(5), write(3, b"a"), write(5, b"b"),
                sent(SYN(3, b"a"), SYN(5, b"b")), recv(GOAWAY(5, NO_ERROR, b"first")),
                session(ended=False, remote=remote(NO_ERROR, 5, b"first")), write(5, b"c"),
                recv(GOAWAY(3, PROTOCOL_ERROR, b"again")), write(5, b"d", error="REMOTE_GONE_AWAY"),
                write(3, b"e"), sent(DATA(5, b"c"), DATA(3, b"e")), ALIVE]),
        server("session-goaway-sent-none-accepted-server",
               "A server that accepted no stream sends GOAWAY with last stream 1, then refuses every SYN with RST STREAM_REFUSED.",
               ["GOAWAY-5", "GOAWAY-8", "ID-2"],
               [go_away(NO_ERROR), sent(GOAWAY(1, NO_ERROR)),
                recv(SYN(3, b"hello"), SYN(5)),
                sent(RST(3, STREAM_REFUSED), RST(5, STREAM_REFUSED)), accept(None), ALIVE]),
        client("session-goaway-sent-none-accepted-client",
               "A client that accepted no stream sends GOAWAY with last stream 0, with its debug data.",
               ["GOAWAY-5", "ID-2", "GOAWAY-4"],
               [go_away(NO_ERROR, b"bye"), sent(GOAWAY(0, NO_ERROR, b"bye")),
                recv(SYN(2, b"x")), sent(RST(2, STREAM_REFUSED)), ALIVE]),
        server("session-goaway-sent-last-accepted",
               "After accepting streams 3 and 5, GOAWAY names 5 as the last stream.",
               ["GOAWAY-5"],
               [recv(SYN(3), SYN(5)), accept(3), accept(5), go_away(ENHANCE_YOUR_CALM, b"calm"),
                sent(GOAWAY(5, ENHANCE_YOUR_CALM, b"calm"))]),
        server("session-goaway-sent-names-highest-accepted",
               "SYNs for 7 then 5 were accepted: GOAWAY names 7, the highest; stream 3's SYN, arriving later, is refused.",
               ["GOAWAY-5", "GOAWAY-8", "ID-8", "INTEROP-12"],
               [recv(SYN(7), SYN(5)), accept(7), accept(5), go_away(NO_ERROR),
                sent(GOAWAY(7, NO_ERROR)), recv(SYN(3, b"late")), sent(RST(3, STREAM_REFUSED)),
                accept(None)]),
        server("session-goaway-sent-twice",
               "A second GOAWAY asked of the implementation names the same last stream as the first (SYNs refused in between do not raise it), or is not sent at all ([GOAWAY-6]: at most one SHOULD go out).",
               ["GOAWAY-6", "GOAWAY-5", "GOAWAY-8"],
               [recv(SYN(3)), accept(3), go_away(NO_ERROR), sent(GOAWAY(3, NO_ERROR)),
                recv(SYN(5)), sent(RST(5, STREAM_REFUSED)), go_away(ENHANCE_YOUR_CALM, b"x"),
                sent_one_of(("sent", [GOAWAY(3, ENHANCE_YOUR_CALM, b"x")]), ("declined", [])),
                ALIVE]),
        server("session-goaway-sent-refused-syn-body-consumed",
               "A refused SYN's body is consumed: the DATA frame behind it in the same read reaches stream 3, which continues in both directions.",
               ["GOAWAY-8", "GOAWAY-6", "INTEROP-6"],
               [recv(SYN(3, b"a")), accept(3), go_away(NO_ERROR), sent(GOAWAY(3, NO_ERROR)),
                recv(SYN(5, b"abcdefgh"), DATA(3, b"more")), sent(RST(5, STREAM_REFUSED)),
                read(3, b"amore"), write(3, b"ok"), sent(WNDINC(3, 5), DATA(3, b"ok")),
                accept(None), ALIVE]),
        server("session-goaway-sent-duplicate-syn-resets-open-stream",
               "After GOAWAY, a second SYN for the still-open stream 3 is refused with RST STREAM_REFUSED (GOAWAY-8 comes before ID-7), and stream 3 ends with that RST: its unread byte is discarded, reads and writes fail with STREAM_REFUSED, and nothing follows the RST on it, no WNDINC and no FIN when the application closes it. (Found by the session fuzz target.)",
               ["GOAWAY-8", "ID-7", "STREAM-11", "STREAM-12"],
               [recv(SYN(3, b"a")), accept(3), go_away(NO_ERROR), sent(GOAWAY(3, NO_ERROR)),
                recv(SYN(3, b"b")), sent(RST(3, STREAM_REFUSED)),
                read(3, error="STREAM_REFUSED"), write(3, b"x", error="STREAM_REFUSED"),
                close_stream(3), NOTHING_SENT, accept(None), ALIVE]),
        server("session-goaway-sent-wrong-parity-syn-refused",
               "After GOAWAY, a SYN of the wrong parity is refused with RST STREAM_REFUSED rather than ending the session.",
               ["ID-6", "GOAWAY-8"],
               [go_away(NO_ERROR), sent(GOAWAY(1, NO_ERROR)), recv(SYN(4, b"x")),
                sent(RST(4, STREAM_REFUSED)), ALIVE]),
        client("session-goaway-sent-own-streams-continue",
               "After sending GOAWAY, the client's own open stream continues in both directions.",
               ["GOAWAY-6", "SESSION-6"],
               [open_(3), write(3, b"a"), go_away(NO_ERROR), sent(SYN(3, b"a"), GOAWAY(0, NO_ERROR)),
                recv(DATA(3, b"r")), read(3, b"r"), write(3, b"b"),
                sent(WNDINC(3, 1), DATA(3, b"b")), ALIVE]),
        server("session-close-sends-goaway",
               "Closing the session sends GOAWAY NO_ERROR naming the last accepted stream (its debug text is free), then every stream fails, accept reports the session's error, and no later input is processed.",
               ["SESSION-1", "SESSION-2", "SESSION-5", "ERR-2"],
               [recv(SYN(3)), accept(3), CLOSE, sent(GOAWAY(3, NO_ERROR, any_debug=True)),
                ended("SESSION_CLOSED", None), write(3, b"x", error="SESSION_CLOSED"),
                read(3, error="SESSION_CLOSED"), open_(error="SESSION_CLOSED"),
                recv(SYN(5, b"x"), DATA(9, b"y")), accept(error="SESSION_CLOSED"), close_stream(3), CLOSE,
                NOTHING_SENT]),
        client("session-close-client-no-streams",
               "A client with no streams closes: GOAWAY NO_ERROR with last stream 0.",
               ["SESSION-1", "GOAWAY-5"],
               [CLOSE, sent(GOAWAY(0, NO_ERROR, any_debug=True)), ended("SESSION_CLOSED")]),
        client("session-eof-ends-session",
               "End-of-file on the transport ends the session with PEER_EOF: streams fail, and nothing is sent, not even for closing them.",
               ["SESSION-3", "SESSION-2", "SESSION-5", "ERR-2"],
               [open_(3), write(3, b"a"), sent(SYN(3, b"a")), EOF,
                ended("PEER_EOF", None), read(3, error="SESSION_CLOSED"),
                write(3, b"b", error="SESSION_CLOSED"), reset(3, STREAM_RESET, error="SESSION_CLOSED"),
                close_stream(3), CLOSE, NOTHING_SENT]),
        server("session-eof-inside-data-body",
               "End-of-file inside a DATA frame's body (2 of its 4 bytes, FIN set) ends the session with PEER_EOF; the cut frame is not taken as complete: its FIN never takes effect, so after the bytes delivered, if any (the buffered ones MAY be discarded, SESSION-2; the cut ones are there if the implementation hands bytes over as they arrive), readers get SESSION_CLOSED, never end-of-stream.",
               ["SESSION-7", "SESSION-3", "SESSION-2", "STREAM-6"],
               [recv(SYN(3, b"ab")), accept(3),
                recv_hex(wire(DATA(3, b"cdef", flags=FIN_FLAG))[:10]), EOF,
                ended("PEER_EOF"),
                {"read": {"stream_id": 3, "max": 1024, "expect": {"one_of": [
                    {"data": hx(b"abcd")}, {"data": hx(b"ab")},
                    {"error": "SESSION_CLOSED"}]}}},
                {"read": {"stream_id": 3, "max": 1024, "expect": {"one_of": [
                    {"data": hx(b"cd")}, {"error": "SESSION_CLOSED"}]}}},
                read(3, error="SESSION_CLOSED"), NOTHING_SENT]),
        client("session-eof-inside-header",
               "End-of-file after 5 bytes of a frame header ends the session with PEER_EOF, as between frames, and nothing is sent.",
               ["SESSION-7", "SESSION-3", "SESSION-5"],
               [recv_hex(wire(DATA(2, b"hi", flags=SYN_FLAG))[:5]), EOF, ended("PEER_EOF"),
                accept(error="PEER_EOF"), NOTHING_SENT]),
        client("session-goaway-received-peer-may-still-open",
               "A GOAWAY limits what its sender accepts, not what it opens: after the server's GOAWAY the client accepts and answers the server's new stream, while its own open fails with REMOTE_GONE_AWAY.",
               ["GOAWAY-11", "GOAWAY-7", "GOAWAY-10"],
               [recv(GOAWAY(0, NO_ERROR), SYN(2, b"hi")), accept(2), read(2, b"hi"),
                write(2, b"ok"), sent(DATA(2, b"ok")), open_(error="REMOTE_GONE_AWAY"), ALIVE]),
        client("session-end-keeps-streams-closed-by-fin",
               "A stream whose both FINs were exchanged before the transport ended is closed, not failed: its buffered bytes, then EOF, are still read.",
               ["SESSION-2", "STREAM-10", "STREAM-6"],
               [open_(3), write(3, b"a"), close_write(3), recv(FIN(3, b"b")),
                sent(SYN(3, b"a"), FIN(3)), EOF, read(3, b"b"), read(3, eof=True)]),
    ]
    return v


# ---- violations.json: connection errors (SPEC 4, 5, 8.2) --------------------------------------

def violation_vectors():
    v = []

    def conn(id, desc, reqs, role, before, bad, last, code, after=()):
        """`before` steps, then the bad input followed in the same read by a SYN and a DATA frame
        for an unknown stream that must not be processed ([FRAME-8], [SESSION-4]: the DATA would
        draw an RST STREAM_CLOSED, [STREAM-8]), then GOAWAY with `code`, the end, and nothing
        more for later input."""
        syn = SYN(5 if role == "server" else 4, b"x")
        unknown = DATA(11, b"q")
        steps = list(before) + [recv_hex(bad + wire(syn, unknown)),
                                sent(ERROR_GOAWAY(last, code)),
                                ended(code), recv(SYN(7 if role == "server" else 6)),
                                recv(DATA(9, b"z")), NOTHING_SENT, *after,
                                accept(error=CODES[code])]
        v.append(vec(id, desc, list(reqs) + ["FRAME-8", "SESSION-4", "ERR-3"], role, steps))

    conn("session-violation-rst-length",
         "RST with length 5: FRAME_SIZE_ERROR; the SYN behind it is not processed.",
         ["RST-1"], "server", [], header(5, 0, 0, 3) + bytes(5), 1, FRAME_SIZE_ERROR)
    conn("session-violation-rst-stream-zero", "RST on stream 0: PROTOCOL_ERROR.",
         ["RST-2"], "client", [], header(4, 0, 0, 0) + u32(1), 0, PROTOCOL_ERROR)
    conn("session-violation-data-stream-zero", "DATA on stream 0: PROTOCOL_ERROR.",
         ["DATA-1"], "server", [], wire(DATA(0, b"hi")), 1, PROTOCOL_ERROR)
    conn("session-violation-syn-stream-zero", "DATA+SYN on stream 0: PROTOCOL_ERROR.",
         ["DATA-1"], "server", [], wire(SYN(0, b"hi")), 1, PROTOCOL_ERROR)
    conn("session-violation-wndinc-length", "WNDINC with length 8: FRAME_SIZE_ERROR.",
         ["WNDINC-1"], "client", [], header(8, 2, 0, 3) + u32(1) + u32(1), 0, FRAME_SIZE_ERROR)
    conn("session-violation-wndinc-stream-zero",
         "WNDINC on stream 0 (muxado has no session window): PROTOCOL_ERROR.",
         ["WNDINC-2"], "client", [], wire(WNDINC(0, 1)), 0, PROTOCOL_ERROR)
    conn("session-violation-wndinc-zero-increment",
         "WNDINC with increment 0 on an open stream: PROTOCOL_ERROR, after the stream was accepted.",
         ["WNDINC-4"], "server", [recv(SYN(3, b"a")), accept(3)], wire(WNDINC(3, 0)), 3,
         PROTOCOL_ERROR)
    conn("session-violation-wndinc-increment-only-reserved-bit",
         "WNDINC whose increment word is only the reserved bit: the increment is 0, PROTOCOL_ERROR.",
         ["WNDINC-4", "WNDINC-3"], "client", [], header(4, 2, 0, 3) + u32(0x80000000), 0,
         PROTOCOL_ERROR)
    conn("session-violation-goaway-short", "GOAWAY with length 4: FRAME_SIZE_ERROR.",
         ["GOAWAY-1"], "client", [], header(4, 3, 0, 0) + bytes(4), 0, FRAME_SIZE_ERROR,
         [session(remote=None)])
    conn("session-violation-goaway-nonzero-stream",
         "GOAWAY on stream 1: PROTOCOL_ERROR, and the GOAWAY is not recorded as the peer's.",
         ["GOAWAY-2"], "server", [], header(8, 3, 0, 1) + u32(0) + u32(0), 1, PROTOCOL_ERROR,
         [session(remote=None)])
    conn("session-violation-length-reported-first",
         "RST with length 5 on stream 0: the length violation is the one reported.",
         ["FRAME-7", "RST-1"], "client", [], header(5, 0, 0, 0) + bytes(5), 0, FRAME_SIZE_ERROR)
    conn("session-violation-wrong-parity-syn-at-server",
         "A client's SYN for even stream 4: PROTOCOL_ERROR.",
         ["ID-6", "ID-1"], "server", [], wire(SYN(4, b"x")), 1, PROTOCOL_ERROR)
    conn("session-violation-wrong-parity-syn-at-client",
         "A server's SYN for odd stream 3: PROTOCOL_ERROR.",
         ["ID-6", "ID-1"], "client", [], wire(SYN(3, b"x")), 0, PROTOCOL_ERROR)
    conn("session-violation-duplicate-syn",
         "A SYN for stream 3 while it is open: PROTOCOL_ERROR; the open stream fails with the session.",
         ["ID-7", "SESSION-2"], "server", [recv(SYN(3, b"a")), accept(3)], wire(SYN(3, b"b")), 3,
         PROTOCOL_ERROR, [write(3, b"x", error="SESSION_CLOSED")])
    conn("session-violation-duplicate-syn-half-closed",
         "A SYN for stream 3 after its FIN arrived, while it is still half-closed: PROTOCOL_ERROR.",
         ["ID-7"], "server", [recv(SYN(3, b"a", fin=True)), accept(3)], wire(SYN(3)), 3,
         PROTOCOL_ERROR)
    v += [
        client("session-violation-header-alone",
               "An RST header on stream 0 whose body never comes: the connection error is sent from the 8 header bytes alone.",
               ["FRAME-6", "RST-2"],
               [recv_hex(header(4, 0, 0, 0)), sent(ERROR_GOAWAY(0, PROTOCOL_ERROR)),
                ended("PROTOCOL_ERROR")]),
        server("session-violation-length-header-alone",
               "An RST header with length 0x10000, no body: FRAME_SIZE_ERROR from the header alone.",
               ["FRAME-6", "RST-1"],
               [recv_hex(header(0x10000, 0, 0, 3)), sent(ERROR_GOAWAY(1, FRAME_SIZE_ERROR)),
                ended("FRAME_SIZE_ERROR")]),
        client("session-violation-body-check-waits-for-body",
               "A zero WNDINC increment is judged once its body arrived: nothing after the header, the error after the body.",
               ["FRAME-6", "WNDINC-4"],
               [recv_hex(header(4, 2, 0, 3)), NOTHING_SENT, ALIVE, recv_hex(u32(0)),
                sent(ERROR_GOAWAY(0, PROTOCOL_ERROR)), ended("PROTOCOL_ERROR")]),
        server("session-violation-streams-fail-silently",
               "On a connection error every open stream fails with the session, and no frame is sent for them.",
               ["SESSION-2", "SESSION-5", "FRAME-8"],
               [recv(SYN(3, b"a"), SYN(5)), accept(3), accept(5),
                recv_hex(header(0, 0, 0, 3)), sent(ERROR_GOAWAY(5, FRAME_SIZE_ERROR)),
                write(3, b"x", error="SESSION_CLOSED"), read(5, error="SESSION_CLOSED"),
                close_write(5, error="SESSION_CLOSED"), close_stream(3),
                reset(5, STREAM_RESET, error="SESSION_CLOSED"),
                CLOSE, NOTHING_SENT,
                ended("FRAME_SIZE_ERROR")]),
        server("session-violation-error-is-sticky",
               "After a connection error, later session operations report that same error: opening a stream fails with PROTOCOL_ERROR.",
               ["SESSION-4"],
               [recv(RST(0, STREAM_CLOSED)), sent(ERROR_GOAWAY(1, PROTOCOL_ERROR)),
                ended("PROTOCOL_ERROR"), open_(error="PROTOCOL_ERROR"), NOTHING_SENT]),
    ]
    return v


# ---- limits.json: resource limits (SPEC 11) ---------------------------------------------------

# [STREAM-14] a SYN that finds the backlog full may wait this long for the application before
# it is refused: the reference's default patience. Scripts let it pass before they expect the
# refusal (an implementation that refuses at once has sent it already) and before their next
# call, so that the call finds the SYN judged whatever the implementation chose.
PATIENCE = advance(100)


def limit_vectors():
    b1 = {"accept_backlog": 1}
    v = [
        server("session-limit-accept-backlog-full",
               "With a backlog of 1, a second SYN waiting to be accepted is refused with RST ACCEPT_QUEUE_FULL (at once, or once the application let the patience pass) and its body discarded; the DATA behind it is processed in order; once the backlog drains, new SYNs are accepted.",
               ["STREAM-5", "STREAM-14", "LIMIT-3", "LIMIT-5"],
               [recv(SYN(3, b"a")), recv(SYN(5, b"bbbb"), DATA(3, b"c")), PATIENCE,
                sent(RST(5, ACCEPT_QUEUE_FULL)), accept(3), read(3, b"ac"),
                sent(WNDINC(3, 2)), recv(SYN(7, b"d")), NOTHING_SENT, accept(7), accept(None),
                ALIVE], config=b1),
        server("session-limit-accept-backlog-refused-stream-forgotten",
               "A stream refused for a full backlog is forgotten: DATA for it later draws RST STREAM_CLOSED.",
               ["STREAM-5", "STREAM-8"],
               [recv(SYN(3)), recv(SYN(5, b"b")), PATIENCE, sent(RST(5, ACCEPT_QUEUE_FULL)),
                advance(6000), recv(DATA(5, b"late")), sent(RST(5, STREAM_CLOSED)), recv(FIN(5)),
                NOTHING_SENT, accept(3), accept(None)], config=b1),
        server("session-limit-accept-backlog-refused-id-forgotten",
               "The id of a stream refused for a full backlog is forgotten: once the backlog drained, a new SYN for it opens a stream.",
               ["STREAM-5", "ID-8"],
               [recv(SYN(3)), recv(SYN(5, b"b")), PATIENCE, sent(RST(5, ACCEPT_QUEUE_FULL)),
                accept(3), recv(SYN(5, b"c")), NOTHING_SENT, accept(5), read(5, b"c"),
                sent(WNDINC(5, 1)), ALIVE], config=b1),
        server("session-limit-max-streams",
               "With a bound of 1 peer stream, a second concurrent SYN is refused with RST STREAM_REFUSED and its body discarded; once the first stream is done, a new one is accepted.",
               ["LIMIT-2", "LIMIT-5", "STREAM-10"],
               [recv(SYN(3, b"a")), accept(3), recv(SYN(5, b"bb"), DATA(3, b"c"), FIN(3)),
                sent_one_of(("refused", [RST(5, STREAM_REFUSED)]),
                            ("enhance-your-calm", [RST(5, ENHANCE_YOUR_CALM)])),
                read(3, b"ac"), read(3, eof=True), close_stream(3),
                sent(FIN(3)), recv(SYN(7, b"d")), NOTHING_SENT, accept(7), ALIVE],
               config={"max_streams": 1}),
        server("session-limit-max-streams-refuses-beyond-bound",
               "With a bound of 1 open peer stream, a second SYN is refused with RST STREAM_REFUSED or ENHANCE_YOUR_CALM, and the first stream goes on.",
               ["LIMIT-2"],
               [recv(SYN(3, b"a")), accept(3), recv(SYN(5, b"bb")),
                sent_one_of(("refused", [RST(5, STREAM_REFUSED)]),
                            ("enhance-your-calm", [RST(5, ENHANCE_YOUR_CALM)])),
                accept(None), write(3, b"ok"), sent(DATA(3, b"ok")), ALIVE],
               config={"max_streams": 1}),
        server("session-limit-max-streams-counts-peer-streams-only",
               "The stream bound counts streams the peer opened: a local stream does not make the first peer SYN exceed a bound of 1.",
               ["LIMIT-2"],
               [open_(2), write(2, b"x"), sent(SYN(2, b"x")), recv(SYN(3, b"a")),
                NOTHING_SENT, accept(3)],
               config={"max_streams": 1}),
        client("session-limit-goaway-debug-truncated",
               "With a debug limit of 4 bytes, a GOAWAY's 10 debug bytes are cut to 4 and the rest skipped, so the SYN behind it parses; or the session ends with ENHANCE_YOUR_CALM ([LIMIT-4] allows both).",
               ["LIMIT-4", "LIMIT-5", "GOAWAY-9", "FRAME-10"],
               [recv(GOAWAY(0, NO_ERROR, b"0123456789"), SYN(2, b"next")),
                sent_one_of(("discarded", [], [
                    session(ended=False, remote=remote(NO_ERROR, 0, b"0123")), accept(2),
                    read(2, b"next"), NOTHING_SENT]),
                    ("enhance-your-calm", [GOAWAY(0, ENHANCE_YOUR_CALM, any_debug=True)],
                     [ended("ENHANCE_YOUR_CALM")]))],
               config={"max_goaway_debug": 4}),
        client("session-limit-goaway-debug-over-1mib",
               "With the default limit, a GOAWAY with 1 MiB + 16 debug bytes keeps 1 MiB and skips the rest, so the SYN behind it parses; or the session ends with ENHANCE_YOUR_CALM ([LIMIT-4] allows both).",
               ["LIMIT-4", "LIMIT-5", "INTEROP-2"],
               [recv(GOAWAY(0, NO_ERROR, fill=("64", MIB + 16)), SYN(2, b"next")),
                sent_one_of(("discarded", [], [
                    session(ended=False, remote=remote(NO_ERROR, 0, fill=("64", MIB))),
                    accept(2), NOTHING_SENT]),
                    ("enhance-your-calm", [GOAWAY(0, ENHANCE_YOUR_CALM, any_debug=True)],
                     [ended("ENHANCE_YOUR_CALM")]))]),
        server("session-limit-provoked-frames-bounded",
               "The peer sends DATA frames for 1,000,000 unknown streams (5, 7, 9, ...) and reads nothing. Each draws RST STREAM_CLOSED; the implementation must stop reading once its queue of answers is full, not queue them all. The session then goes on.",
               ["LIMIT-6", "STREAM-8"],
               [flood(DATA(5), 1_000_000), recv(SYN(3, b"ok")), accept(3), read(3, b"ok"),
                ALIVE]),
        server("session-limit-read-timeout-stalled-frame",
               "With a read timeout of 1 s, a frame header that stops after 5 bytes ends the session with GOAWAY ENHANCE_YOUR_CALM once 1 s passed without a byte; bytes that arrive in time restart the clock.",
               ["LIMIT-8", "FRAME-8"],
               [recv(SYN(3, b"a")), accept(3), recv_hex(wire(DATA(3, b"bc"))[:5]), advance(600),
                pinned("ReadTimeout", NOTHING_SENT), recv_hex(wire(DATA(3, b"bc"))[5:7]),
                advance(600), pinned("ReadTimeout", NOTHING_SENT), advance(600),
                pinned("ReadTimeout", sent(GOAWAY(3, ENHANCE_YOUR_CALM, any_debug=True)),
                       ended("ENHANCE_YOUR_CALM"))],
               config={"read_timeout_ms": 1000}),
        client("session-limit-unknown-stream-large-data-consumed",
               "A 100000-byte DATA frame for an unknown stream is consumed and answered with one RST STREAM_CLOSED; the next frame parses.",
               ["LIMIT-5", "STREAM-8", "FRAME-10"],
               [recv(DATA(9, fill=("7a", 100000)), SYN(2, b"ok")), sent(RST(9, STREAM_CLOSED)),
                accept(2)]),
        client("session-limit-unknown-type-large-body-skipped",
               "A 100000-byte frame of unknown type 0xc is skipped whole; the next frame parses.",
               ["LIMIT-5", "FRAME-11", "FRAME-10"],
               [recv(UNKNOWN(0xC, 2, fill=("00", 100000)), SYN(2, b"ok")), NOTHING_SENT,
                accept(2)]),
    ]
    return v


# ---- framing.json: transport input (SPEC 3, 4) ------------------------------------------------

def framing_vectors():
    syn_hi = wire(SYN(3, b"hi"))
    seq = wire(SYN(3, b"hey"), WNDINC(3, 1), FIN(3), GOAWAY(0, NO_ERROR, b"ok"))
    v = [
        server("session-agent-waits-for-after",
               "The suite asks for accept before the SYN reaches the transport (150 ms later): the agent must wait until its session has taken in the bytes the command's `after` counts, so accept finds the stream.",
               ["AGENT-3", "STREAM-4"],
               [recv_delayed(150, SYN(3, b"late")), accept(3), read(3, b"late"),
                recv_delayed(150, DATA(3, b"more", flags=FIN_FLAG)), read(3, b"more"),
                read(3, eof=True)]),
        server("session-framing-header-split",
               "A frame header split across two reads (5 + 3 bytes, then the body) is reassembled.",
               ["FRAME-1", "FRAME-6"],
               [recv_hex(syn_hi[:5]), accept(None), recv_hex(syn_hi[5:8]), recv_hex(syn_hi[8:]),
                accept(3), read(3, b"hi"), sent(WNDINC(3, 2))]),
        server("session-framing-data-body-split",
               "A DATA body split across reads is delivered whole once it has all arrived.",
               ["FRAME-1"],
               [recv(SYN(3)), accept(3),
                *recv_split(wire(DATA(3, b"abcdef")), 8, 11), read(3, b"abcdef"),
                sent(WNDINC(3, 6))]),
        server("session-framing-byte-at-a-time",
               "SYN, WNDINC, FIN and GOAWAY delivered one byte per read act exactly as in one read.",
               ["FRAME-1", "FRAME-6"],
               [*recv_split(seq, *range(1, len(seq))), accept(3), read(3, b"hey"),
                read(3, eof=True), NOTHING_SENT,
                session(ended=False, remote=remote(NO_ERROR, 0, b"ok"))]),
        server("session-framing-several-frames-one-read",
               "Four frames of two streams in one read: each is processed in order.",
               ["FRAME-1", "STREAM-4"],
               [recv_hex(wire(SYN(3, b"a"), SYN(5, b"b"), FIN(3, b"c"), RST(5, STREAM_RESET))),
                accept(3), accept(5), read(3, b"ac"), read(3, eof=True),
                write(5, b"x", error="STREAM_RESET"), NOTHING_SENT]),
        server("session-framing-goaway-split",
               "A GOAWAY is acted on only once its fixed body has arrived.",
               ["FRAME-1", "GOAWAY-3"],
               [recv_hex(wire(GOAWAY(0, STREAM_CLOSED, b"xy"))[:12]), session(remote=None),
                recv_hex(wire(GOAWAY(0, STREAM_CLOSED, b"xy"))[12:]),
                session(ended=False, remote=remote(STREAM_CLOSED, 0, b"xy"))]),
        server("session-framing-unknown-types-skipped",
               "Frames of unknown types between DATA frames, on a stream or stream 0, with any flags, are skipped without reply (and never sent back).",
               ["FRAME-11", "FRAME-9", "FRAME-12"],
               [recv(SYN(3, b"a"), UNKNOWN(5, 3, b"zzzz", flags=0xF), UNKNOWN(0xF, 0),
                     UNKNOWN(4, 0x7FFFFFFF, b"q", flags=0x2), DATA(3, b"b")),
                NOTHING_SENT, accept(3), accept(None), read(3, b"ab"), sent(WNDINC(3, 2))]),
        server("session-framing-unknown-type-split",
               "An unknown frame whose body arrives over three reads is skipped exactly; the SYN after it parses.",
               ["FRAME-11", "FRAME-10"],
               [*recv_split(wire(UNKNOWN(9, 1, b"0123456789"), SYN(3)), 4, 12, 15),
                NOTHING_SENT, accept(3)]),
        server("session-framing-reserved-bit-stream-id",
               "A SYN whose stream-id word has the reserved bit set opens stream 3; frames sent back carry the bit clear.",
               ["FRAME-5", "FRAME-4"],
               [recv_hex(header(2, 1, SYN_FLAG, 0x80000003) + b"hi"), accept(3), read(3, b"hi"),
                sent(WNDINC(3, 2)),
                recv_hex(header(0, 1, FIN_FLAG, 0x80000003)), read(3, eof=True), NOTHING_SENT]),
        client("session-framing-reserved-bit-increment",
               "A WNDINC whose increment word has the reserved bit set credits the low 31 bits only.",
               ["WNDINC-3", "FLOW-5"],
               [open_(3), write(3, b"abcd"), recv_hex(header(4, 2, 0, 3) + u32(0x80000002)),
                write(3, b"xyz", written=2), sent(SYN(3, b"abcd"), DATA(3, b"xy"))],
               config={"max_window_size": 4}),
        client("session-framing-goaway-reserved-bits",
               "A GOAWAY whose stream-id and last-stream-id words have the reserved bit set is a GOAWAY on stream 0 with last stream 3.",
               ["FRAME-5", "GOAWAY-3", "GOAWAY-2"],
               [open_(3), open_(5), write(3, b"a"), write(5, b"b"),
                sent(SYN(3, b"a"), SYN(5, b"b")),
                recv_hex(header(8, 3, 0, 0x80000000) + u32(0x80000003) + u32(NO_ERROR)),
                write(5, b"c", error="REMOTE_GONE_AWAY"), write(3, b"d"), sent(DATA(3, b"d")),
                session(ended=False, remote=remote(NO_ERROR, 3, b""))]),
        server("session-framing-undefined-flags-ignored",
               "Undefined flag bits are ignored: DATA with SYN|0x4|0x8 opens a stream, and RST with all flags set resets it.",
               ["FRAME-9"],
               [recv(DATA(3, b"a", flags=0xE)), accept(3), read(3, b"a"), sent(WNDINC(3, 1)),
                recv(RST(3, STREAM_CANCELLED, flags=0xF), WNDINC(3, 5, flags=0xF)),
                write(3, b"x", error="STREAM_CANCELLED"), NOTHING_SENT, ALIVE]),
        client("session-framing-zero-length-data-frames",
               "Zero-length DATA frames without flags carry nothing and change nothing.",
               ["DATA-2"],
               [open_(3), write(3, b"a"), sent(SYN(3, b"a")),
                recv(DATA(3), DATA(3), DATA(3, b"z"), DATA(3)), read(3, b"z"),
                sent(WNDINC(3, 1)), read(3, blocked=True)]),
    ]
    return v


# ---- extensions.json: typed streams and heartbeat on the wire (SPEC 10) ----------------------

def extension_vectors():
    beat1, beat2 = u32(0x12345678), u32(0x0BADF00D)
    typed = {"typed_streams": True}
    hb = {"heartbeat": True}
    v = [
        client("session-typed-stream-type-in-syn",
               "A typed stream's opener sends the 4-byte type at once, whole in the SYN frame; the application's bytes follow.",
               ["TYPED-1", "TYPED-2"],
               [open_typed(7, 3), write(3, b"hello"), sent(SYN(3, u32(7) + b"hello"))]),
        server("session-typed-stream-acceptor-reads-type",
               "The acceptor reads the 4-byte type and hands the stream over with it; the data follows, and its reply carries no prefix.",
               ["TYPED-1", "TYPED-3"],
               [recv(SYN(3, u32(7) + b"data")), accept_typed(3, 7), read(3, b"data"),
                write(3, b"resp"), sent(DATA(3, b"resp"))], config=typed),
        server("session-typed-stream-type-across-frames",
               "A type split over two DATA frames (which INTEROP-3 warns Go misreads) is still 4 bytes once both arrived: the acceptor waits for them.",
               ["TYPED-3", "INTEROP-3"],
               [recv(SYN(3, b"\x00\x00")), accept_typed(None), recv(DATA(3, b"\x00\x07rest")),
                accept_typed(3, 7), read(3, b"rest"), NOTHING_SENT], config=typed),
        server("session-typed-stream-ends-before-type",
               "A typed stream that ends (FIN) after 2 of its 4 type bytes is closed (FIN back, or RST) and never handed to the application.",
               ["TYPED-3"],
               [recv(SYN(3, b"\x00\x00", fin=True)), accept_typed(None),
                sent_one_of(("closed", [FIN(3)]), ("reset", [RST(3, STREAM_CANCELLED)])),
                accept_typed(None), ALIVE], config=typed),
        client("session-heartbeat-requester-wrong-echo-stops",
               "The implementation's own heartbeat requester (interval 300 ms) opens its stream of type 0xffffffff and beats 300 ms later (the type goes out at once or with the beat: [STREAM-2] lets the first frame wait, [TYPED-2] only wants the type whole in it). The peer echoes 0xffffffff, which no requester sends (beats are below 2^31): the requester stops, so no further beat comes in the next two intervals; it may close its stream, as Go and the reference do.",
               ["HEARTBEAT-4", "HEARTBEAT-1", "TYPED-4"],
               [heartbeat(300, 300), advance(350),
                sent(DATA_LIKE(3, "ffffffff........", SYN_FLAG)), recv(DATA(3, HEARTBEAT)),
                advance(700),
                sent_one_of(("closed", [FIN(3)]), ("silent", []))], config=hb),
        client("session-heartbeat-requester",
               "The implementation's own heartbeat requester (interval 1 s) opens a stream of type 0xffffffff (its type sent at once or with the first beat, [STREAM-2], [TYPED-2]), beats after an interval, takes the peer's echo and beats again one interval later (a requester that took the echo as wrong would stop).",
               ["HEARTBEAT-1", "TYPED-4", "TYPED-2"],
               [heartbeat(1000, 1000), advance(1100),
                sent(DATA_LIKE(3, "ffffffff........", SYN_FLAG)), echo(3), advance(1000),
                sent(DATA_LIKE(3, "........")), echo(3), ALIVE], config=hb),
        server("session-heartbeat-responder-echo",
               "The implementation's heartbeat responder echoes each 4-byte beat unchanged, on its own, and never hands the heartbeat stream to the application.",
               ["HEARTBEAT-2", "TYPED-4"],
               [recv(SYN(3, HEARTBEAT + beat1)), sent(DATA(3, beat1)), advance(100),
                recv(DATA(3, beat2)), sent(DATA(3, beat2)), accept_typed(None), ALIVE],
               config=hb),
        server("session-heartbeat-two-beats-one-frame",
               "Two beats arriving in one DATA frame are both echoed, in order; a beat split over two frames is echoed unchanged once both parts arrived (whether its first byte is echoed before the rest arrives is not judged: [HEARTBEAT-2] fixes the bytes, not their framing).",
               ["HEARTBEAT-2"],
               [recv(SYN(3, HEARTBEAT)), NOTHING_SENT, recv(DATA(3, beat1 + beat2)),
                sent(DATA(3, beat1 + beat2)), recv(DATA(3, beat1[:1])),
                recv(DATA(3, beat1[1:])), sent(DATA(3, beat1)), accept_typed(None)], config=hb),
        server("session-heartbeat-other-typed-streams-delivered",
               "On a session running the heartbeat, a typed stream of another type is handed to the application with its type, while the heartbeat stream is answered and kept from it.",
               ["HEARTBEAT-2", "TYPED-3", "TYPED-4"],
               [recv(SYN(3, HEARTBEAT + beat1), SYN(5, u32(9) + b"app")), sent(DATA(3, beat1)),
                accept_typed(5, 9), read(5, b"app"), accept_typed(None)], config=hb),
    ]
    return v


FILES = {
    "streams.json": ("Stream ids and the stream lifecycle (SPEC 5, 6)", stream_vectors),
    "flow.json": ("Flow control (SPEC 7)", flow_vectors),
    "goaway.json": ("GOAWAY and the end of a session (SPEC 8)", goaway_vectors),
    "violations.json": ("Connection errors: frame, id and session rules (SPEC 4, 5, 8.2)",
                        violation_vectors),
    "limits.json": ("Resource limits (SPEC 11)", limit_vectors),
    "framing.json": ("Transport input: split reads, unknown types, reserved bits (SPEC 3, 4)",
                     framing_vectors),
    "extensions.json": ("Typed streams and heartbeat on the wire (SPEC 10)", extension_vectors),
}


def render(title, vectors):
    doc = {"schema": "muxado-session-vectors", "schema_version": 1, "title": title,
           "vectors": vectors}
    return json.dumps(doc, indent=2) + "\n"


def main():
    check = "--check" in sys.argv[1:]
    OUT.mkdir(parents=True, exist_ok=True)
    ids, stale = set(), []
    for name, (title, make) in FILES.items():
        vectors = make()
        for v in vectors:
            assert v["id"] not in ids, f"duplicate vector id {v['id']}"
            ids.add(v["id"])
        text = render(title, vectors)
        path = OUT / name
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
    if check:
        extra = sorted(p.name for p in OUT.glob("*.json") if p.name not in FILES)
        stale += extra
    if stale:
        print("vectors/sessions out of date (run vectors/gen/generate_sessions.py): "
              + ", ".join(stale))
        sys.exit(1)
    print(f"{len(ids)} session vectors in {len(FILES)} files")


if __name__ == "__main__":
    main()
