#!/usr/bin/env python3
"""Writes vectors/frames/*.json: the muxado frame vectors.

The expectations below are written by hand from SPEC.md, with a byte encoder of their own
(independent of the Rust codec they check). Run it after editing; `ci/test` checks that the
committed files are what this script writes.

    python3 vectors/gen/generate.py          # rewrite the files
    python3 vectors/gen/generate.py --check  # fail if a file differs
"""

import json
import pathlib
import sys

from frames import CODES, header, u32

OUT = pathlib.Path(__file__).resolve().parent.parent / "frames"

RST, DATA, WNDINC, GOAWAY = 0, 1, 2, 3
FIN, SYN = 0x1, 0x2
NAMES = {RST: "RST", DATA: "DATA", WNDINC: "WNDINC", GOAWAY: "GOAWAY"}
ALL_GO = ["2016", "v2.0.1", "v2.0.2"]
OLD_GO = ["2016", "v2.0.1"]
MASK = 0x7FFFFFFF
MAX_LEN = 0xFFFFFF
MIB = 1 << 20


# ---- bytes -------------------------------------------------------------------------------

def hx(b):
    return b.hex()


# ---- expected frames (decoded view: reserved bits masked) ---------------------------------

def f_rst(sid, code, flags=0):
    return {"type": "RST", "stream_id": sid, "flags": flags, "length": 4, "error_code": code}


def f_data(sid, payload=b"", flags=0, fill=None):
    frame = {"type": "DATA", "stream_id": sid, "flags": flags}
    if fill:
        frame["length"] = fill[1]
        frame["payload_fill"] = {"byte": fill[0], "count": fill[1]}
    else:
        frame["length"] = len(payload)
        frame["payload"] = hx(payload)
    return frame


def f_wndinc(sid, inc, flags=0):
    return {"type": "WNDINC", "stream_id": sid, "flags": flags, "length": 4, "increment": inc}


def f_goaway(last, code, debug=b"", flags=0, fill=None):
    frame = {"type": "GOAWAY", "stream_id": 0, "flags": flags, "last_stream_id": last,
             "error_code": code}
    if fill:
        frame["length"] = 8 + fill[1]
        frame["debug_fill"] = {"byte": fill[0], "count": fill[1]}
    else:
        frame["length"] = 8 + len(debug)
        frame["debug"] = hx(debug)
    return frame


def f_unknown(ftype, sid, payload=b"", flags=0):
    return {"type": "UNKNOWN", "type_code": ftype, "stream_id": sid, "flags": flags,
            "length": len(payload), "payload": hx(payload)}


# ---- wire builders matching the frames above --------------------------------------------

def w_rst(word, code, flags=0):
    return header(4, RST, flags, word) + u32(code)


def w_data(word, payload=b"", flags=0):
    return header(len(payload), DATA, flags, word) + payload


def w_wndinc(word, inc_word, flags=0):
    return header(4, WNDINC, flags, word) + u32(inc_word)


def w_goaway(last_word, code, debug=b"", flags=0, word=0):
    return header(8 + len(debug), GOAWAY, flags, word) + u32(last_word) + u32(code) + debug


def w_unknown(ftype, word, payload=b"", flags=0):
    return header(len(payload), ftype, flags, word) + payload


# ---- vector helpers -----------------------------------------------------------------------

def vec(id, desc, reqs, wire, result="valid", frames=(), flags=None, error=None,
        incomplete=None, encoded=None, go=None, fill=None):
    v = {"id": id, "description": desc, "requirements": list(reqs), "hex": hx(wire)}
    if fill:
        v["fill"] = {"byte": fill[0], "count": fill[1]}
    v["result"] = result
    if flags:
        v["flags"] = list(flags)
    v["frames"] = list(frames)
    if incomplete is not None:
        v["incomplete"] = {"needed": incomplete}
    if error:
        v["error"] = {"requirement": error[0], "code": error[1]}
    if encoded is not None:
        v["encoded"] = hx(encoded)
    if go:
        v["go"] = go
    return v


def go(versions, note, frames=(), error=None, incomplete=False):
    d = {"versions": versions, "note": note, "frames": list(frames)}
    if error:
        d["error"] = {"class": error}
    if incomplete:
        d["incomplete"] = {"needed": 1}
    return d


def invalid(id, desc, reqs, wire, requirement, code, frames=(), go_=None):
    return vec(id, desc, reqs, wire, "invalid", frames, error=(requirement, code), go=go_)


def with_id(frame, sid):
    """The frame as Go reports it: the raw stream-id word, reserved bit kept (INTEROP-7)."""
    out = dict(frame)
    out["stream_id"] = sid
    return out


# ---- the vectors --------------------------------------------------------------------------

def rst_vectors():
    v = []
    for code, name in enumerate(CODES):
        slug = name.lower().replace("_", "-")
        v.append(vec(f"rst-code-{slug}", f"RST on stream 5 carrying {name} ({code:#x}).",
                     ["RST-1", "RST-3", "ERR-1"], w_rst(5, code), frames=[f_rst(5, code)]))
    for code, slug in [(0xFF, "unknown-0xff"), (0x10, "unassigned-0x10"),
                       (0xFFFFFFFF, "max-0xffffffff"), (0x80000000, "high-bit-0x80000000")]:
        v.append(vec(f"rst-code-{slug}", f"RST carrying error code {code:#x}: any 32-bit code is accepted and kept.",
                     ["RST-3", "ERR-1"], w_rst(7, code), frames=[f_rst(7, code)]))
    v += [
        vec("rst-stream-1", "RST on stream 1, the lowest non-zero id.", ["RST-2"],
            w_rst(1, 4), frames=[f_rst(1, 4)]),
        vec("rst-stream-2", "RST on stream 2, the first server stream.", ["RST-2", "ID-1"],
            w_rst(2, 4), frames=[f_rst(2, 4)]),
        vec("rst-stream-max", "RST on stream 2^31-1, the largest id.", ["RST-2", "FRAME-4"],
            w_rst(MASK, 7), frames=[f_rst(MASK, 7)]),
        vec("rst-reserved-bit-stream-5",
            "RST whose stream-id word has the reserved bit set: the bit is ignored, the frame is for stream 5.",
            ["FRAME-5", "RST-2"], w_rst(0x80000005, 6), flags=["ReservedBitSet"],
            frames=[f_rst(5, 6)], encoded=w_rst(5, 6),
            go=[go(ALL_GO, "INTEROP-7", [with_id(f_rst(5, 6), 0x80000005)])]),
        vec("rst-flags-all-set", "RST with all four flag bits set: RST defines no flags, they are ignored.",
            ["FRAME-9"], w_rst(3, 0, flags=0xF), flags=["UnknownFlags"],
            frames=[f_rst(3, 0, flags=0xF)], encoded=w_rst(3, 0)),
        invalid("rst-stream-zero", "RST on stream 0.", ["RST-2", "FRAME-8"],
                w_rst(0, 1), "RST-2", "PROTOCOL_ERROR"),
        invalid("rst-stream-zero-header-only",
                "RST header on stream 0, body absent: the header alone is a violation.",
                ["RST-2", "FRAME-6"], header(4, RST, 0, 0), "RST-2", "PROTOCOL_ERROR",
                go_=[go(ALL_GO, "INTEROP-11", incomplete=True)]),
        invalid("rst-reserved-bit-stream-zero",
                "RST whose stream-id word is only the reserved bit: after masking it is stream 0.",
                ["RST-2", "FRAME-5"], w_rst(0x80000000, 1), "RST-2", "PROTOCOL_ERROR",
                go_=[go(ALL_GO, "INTEROP-7", [with_id(f_rst(0, 1), 0x80000000)])]),
        invalid("rst-length-0", "RST with length 0 and no body.", ["RST-1", "FRAME-6"],
                header(0, RST, 0, 3), "RST-1", "FRAME_SIZE_ERROR"),
        invalid("rst-length-3", "RST with length 3.", ["RST-1"],
                header(3, RST, 0, 3) + b"\x00\x00\x04", "RST-1", "FRAME_SIZE_ERROR"),
        invalid("rst-length-5", "RST with length 5 and a 5-byte body.", ["RST-1"],
                header(5, RST, 0, 3) + b"\x00\x00\x00\x04\x00", "RST-1", "FRAME_SIZE_ERROR"),
        invalid("rst-length-8", "RST with length 8, the size of a GOAWAY body.", ["RST-1"],
                header(8, RST, 0, 3) + bytes(8), "RST-1", "FRAME_SIZE_ERROR"),
        invalid("rst-length-max-header-only",
                "RST declaring 2^24-1 body bytes, none sent: the length alone is a violation.",
                ["RST-1", "FRAME-6"], header(MAX_LEN, RST, 0, 3), "RST-1", "FRAME_SIZE_ERROR"),
        invalid("rst-length-5-stream-zero",
                "RST with both a wrong length and stream 0: the length is reported first.",
                ["RST-1", "FRAME-7"], header(5, RST, 0, 0) + bytes(5), "RST-1", "FRAME_SIZE_ERROR"),
        vec("rst-truncated-body", "RST header and 2 of its 4 body bytes.", ["FRAME-1", "FRAME-6"],
            w_rst(3, 4)[:10], incomplete=2),
    ]
    return v


def data_vectors():
    hello = b"hello"
    v = []
    for flags, name in [(0, "no-flags"), (SYN, "syn"), (FIN, "fin"), (SYN | FIN, "syn-fin")]:
        label = name.upper().replace("-", "+") if flags else "no flags"
        v.append(vec(f"data-{name}-empty", f"Zero-length DATA on stream 3 with {label}.",
                     ["DATA-2", "DATA-3"], w_data(3, b"", flags), frames=[f_data(3, b"", flags)]))
        v.append(vec(f"data-{name}-payload", f"DATA on stream 3 with {label} carrying 'hello'.",
                     ["DATA-2", "DATA-3", "DATA-4"], w_data(3, hello, flags),
                     frames=[f_data(3, hello, flags)]))
    for flags in [0x4, 0x8, 0xC, 0xF]:
        v.append(vec(f"data-unknown-flags-{flags:x}",
                     f"DATA with flags {flags:#x}: bits 0x4 and 0x8 are ignored, SYN/FIN kept.",
                     ["FRAME-9", "DATA-3"], w_data(9, b"x", flags), flags=["UnknownFlags"],
                     frames=[f_data(9, b"x", flags)], encoded=w_data(9, b"x", flags & 0x3)))
    v += [
        vec("data-stream-1", "DATA+SYN on stream 1 (Go accepts it; clients must not open it).",
            ["ID-3", "DATA-1"], w_data(1, b"a", SYN), frames=[f_data(1, b"a", SYN)]),
        vec("data-stream-2", "DATA+SYN on stream 2, the first server stream.", ["ID-1", "ID-2"],
            w_data(2, b"b", SYN), frames=[f_data(2, b"b", SYN)]),
        vec("data-stream-max", "DATA on stream 2^31-1.", ["FRAME-4", "ID-5"],
            w_data(MASK, b"c"), frames=[f_data(MASK, b"c")]),
        vec("data-length-1", "DATA with a 1-byte payload.", ["DATA-2"], w_data(3, b"\x00"),
            frames=[f_data(3, b"\x00")]),
        vec("data-all-byte-values", "DATA whose payload is every byte value 0x00 to 0xff.",
            ["DATA-2"], w_data(5, bytes(range(256))), frames=[f_data(5, bytes(range(256)))]),
        vec("data-length-max", "DATA with the largest body, 2^24-1 bytes.", ["FRAME-2", "DATA-2"],
            header(MAX_LEN, DATA, 0, 3), fill=("61", MAX_LEN),
            frames=[f_data(3, fill=("61", MAX_LEN))]),
        vec("data-length-max-header-only", "DATA header declaring 2^24-1 bytes, no body yet.",
            ["FRAME-2", "FRAME-6"], header(MAX_LEN, DATA, 0, 3), incomplete=MAX_LEN),
        vec("data-truncated-body", "DATA declaring 5 bytes, 3 present.", ["FRAME-1"],
            w_data(3, hello)[:11], incomplete=2),
        vec("data-reserved-bit-stream-3",
            "DATA+SYN whose stream-id word has the reserved bit set: the frame is for stream 3.",
            ["FRAME-5"], w_data(0x80000003, hello, SYN), flags=["ReservedBitSet"],
            frames=[f_data(3, hello, SYN)], encoded=w_data(3, hello, SYN),
            go=[go(ALL_GO, "INTEROP-7", [with_id(f_data(3, hello, SYN), 0x80000003)])]),
        invalid("data-stream-zero", "Zero-length DATA on stream 0.", ["DATA-1", "FRAME-8"],
                w_data(0, b""), "DATA-1", "PROTOCOL_ERROR"),
        invalid("data-stream-zero-payload", "DATA+SYN on stream 0 with a payload.", ["DATA-1"],
                w_data(0, hello, SYN), "DATA-1", "PROTOCOL_ERROR"),
        invalid("data-stream-zero-header-only",
                "DATA header on stream 0 declaring 5 bytes, body absent: the header alone is a violation.",
                ["DATA-1", "FRAME-6"], header(5, DATA, 0, 0), "DATA-1", "PROTOCOL_ERROR"),
        invalid("data-reserved-bit-stream-zero",
                "DATA whose stream-id word is only the reserved bit: after masking it is stream 0.",
                ["DATA-1", "FRAME-5"], w_data(0x80000000, hello), "DATA-1", "PROTOCOL_ERROR",
                go_=[go(ALL_GO, "INTEROP-7", [with_id(f_data(0, hello), 0x80000000)])]),
    ]
    return v


def wndinc_vectors():
    v = [
        vec("wndinc-increment-1", "WNDINC of 1 byte on stream 3.", ["WNDINC-1", "WNDINC-3"],
            w_wndinc(3, 1), frames=[f_wndinc(3, 1)]),
        vec("wndinc-increment-default-window", "WNDINC of 262144 bytes (the default window).",
            ["WNDINC-3", "FLOW-2"], w_wndinc(4, 0x40000), frames=[f_wndinc(4, 0x40000)]),
        vec("wndinc-increment-max", "WNDINC of 2^31-1 bytes, the largest increment.",
            ["WNDINC-3"], w_wndinc(3, MASK), frames=[f_wndinc(3, MASK)]),
        vec("wndinc-reserved-bit-increment",
            "WNDINC whose increment word has the reserved bit set: the increment is 1.",
            ["WNDINC-3"], w_wndinc(3, 0x80000001), flags=["ReservedBitSet"],
            frames=[f_wndinc(3, 1)], encoded=w_wndinc(3, 1)),
        vec("wndinc-reserved-bit-stream",
            "WNDINC whose stream-id word has the reserved bit set: the frame is for stream 3.",
            ["FRAME-5"], w_wndinc(0x80000003, 10), flags=["ReservedBitSet"],
            frames=[f_wndinc(3, 10)], encoded=w_wndinc(3, 10),
            go=[go(ALL_GO, "INTEROP-7", [with_id(f_wndinc(3, 10), 0x80000003)])]),
        vec("wndinc-flags-all-set", "WNDINC with all flag bits set: ignored.", ["FRAME-9"],
            w_wndinc(3, 2, flags=0xF), flags=["UnknownFlags"], frames=[f_wndinc(3, 2, flags=0xF)],
            encoded=w_wndinc(3, 2)),
        vec("wndinc-stream-max", "WNDINC on stream 2^31-1.", ["WNDINC-2"], w_wndinc(MASK, 5),
            frames=[f_wndinc(MASK, 5)]),
        vec("wndinc-truncated-body", "WNDINC header and 3 of 4 body bytes.", ["FRAME-1"],
            w_wndinc(3, 1)[:11], incomplete=1),
        invalid("wndinc-increment-zero", "WNDINC with a zero increment.", ["WNDINC-4", "FRAME-8"],
                w_wndinc(3, 0), "WNDINC-4", "PROTOCOL_ERROR"),
        invalid("wndinc-increment-only-reserved-bit",
                "WNDINC whose increment word is only the reserved bit: the increment is zero.",
                ["WNDINC-4", "WNDINC-3"], w_wndinc(3, 0x80000000), "WNDINC-4", "PROTOCOL_ERROR"),
        invalid("wndinc-stream-zero", "WNDINC on stream 0: muxado has no session window.",
                ["WNDINC-2"], w_wndinc(0, 1), "WNDINC-2", "PROTOCOL_ERROR"),
        invalid("wndinc-stream-zero-header-only",
                "WNDINC header on stream 0, body absent: the header alone is a violation.",
                ["WNDINC-2", "FRAME-6"], header(4, WNDINC, 0, 0), "WNDINC-2", "PROTOCOL_ERROR",
                go_=[go(ALL_GO, "INTEROP-11", incomplete=True)]),
        invalid("wndinc-stream-zero-increment-zero",
                "WNDINC on stream 0 with a zero increment: the stream id is reported first.",
                ["WNDINC-2", "FRAME-7"], w_wndinc(0, 0), "WNDINC-2", "PROTOCOL_ERROR"),
        invalid("wndinc-length-0", "WNDINC with length 0.", ["WNDINC-1"],
                header(0, WNDINC, 0, 3), "WNDINC-1", "FRAME_SIZE_ERROR"),
        invalid("wndinc-length-3", "WNDINC with length 3.", ["WNDINC-1"],
                header(3, WNDINC, 0, 3) + b"\x00\x00\x01", "WNDINC-1", "FRAME_SIZE_ERROR"),
        invalid("wndinc-length-8", "WNDINC with length 8.", ["WNDINC-1"],
                header(8, WNDINC, 0, 3) + u32(1) + u32(1), "WNDINC-1", "FRAME_SIZE_ERROR"),
        invalid("wndinc-length-5-stream-zero",
                "WNDINC with a wrong length on stream 0: the length is reported first.",
                ["WNDINC-1", "FRAME-7"], header(5, WNDINC, 0, 0) + bytes(5), "WNDINC-1",
                "FRAME_SIZE_ERROR"),
    ]
    return v


def go_overread(frames_wire, first_debug):
    """What Go 2016/v2.0.1 see for a GOAWAY followed by more bytes (INTEROP-1): the debug data
    swallows the next 8 bytes, and parsing resumes 8 bytes into what followed."""
    return first_debug + frames_wire[:8], frames_wire[8:]


def goaway_vectors():
    nine = b"no error"
    v = [
        vec("goaway-no-error-empty", "GOAWAY with NO_ERROR, last stream 0, no debug data.",
            ["GOAWAY-1", "GOAWAY-3", "GOAWAY-4"], w_goaway(0, 0), frames=[f_goaway(0, 0)]),
        vec("goaway-go-server-close",
            "The GOAWAY a Go server sends from Close having accepted no stream: last stream 1, 'no error'.",
            ["GOAWAY-5", "SESSION-1", "ID-2"], w_goaway(1, 0, nine),
            frames=[f_goaway(1, 0, nine)]),
        vec("goaway-protocol-error-text", "GOAWAY with PROTOCOL_ERROR and a reason.",
            ["GOAWAY-3", "GOAWAY-4"], w_goaway(7, 1, b"wrong parity"),
            frames=[f_goaway(7, 1, b"wrong parity")]),
        vec("goaway-unknown-code", "GOAWAY with the unassigned code 0xdeadbeef: kept as is.",
            ["ERR-1", "GOAWAY-3"], w_goaway(3, 0xDEADBEEF), frames=[f_goaway(3, 0xDEADBEEF)]),
        vec("goaway-peer-eof-code", "GOAWAY with PEER_EOF, which Go may send: accepted.",
            ["ERR-1", "ERR-2"], w_goaway(2, 0xF, b"read EOF from remote peer"),
            frames=[f_goaway(2, 0xF, b"read EOF from remote peer")]),
        vec("goaway-last-stream-max", "GOAWAY with last stream 2^31-1.", ["GOAWAY-3"],
            w_goaway(MASK, 0), frames=[f_goaway(MASK, 0)]),
        vec("goaway-debug-binary", "GOAWAY whose debug data is not UTF-8: accepted.",
            ["GOAWAY-4"], w_goaway(0, 2, b"\xff\xfe\x00\x80"),
            frames=[f_goaway(0, 2, b"\xff\xfe\x00\x80")]),
        vec("goaway-flags-all-set", "GOAWAY with all flag bits set: ignored.", ["FRAME-9"],
            w_goaway(0, 0, flags=0xF), flags=["UnknownFlags"], frames=[f_goaway(0, 0, flags=0xF)],
            encoded=w_goaway(0, 0)),
        vec("goaway-last-stream-reserved-bit",
            "GOAWAY whose last-stream-id word has the reserved bit set: the last stream is 3.",
            ["GOAWAY-3", "FRAME-5"], w_goaway(0x80000003, 0), flags=["ReservedBitSet"],
            frames=[f_goaway(3, 0)], encoded=w_goaway(3, 0),
            go=[go(["v2.0.2"], "INTEROP-7", [dict(f_goaway(3, 0), last_stream_id=0x80000003)]),
                go(OLD_GO, "INTEROP-1", incomplete=True)]),
        vec("goaway-stream-reserved-bit",
            "GOAWAY whose stream-id word is only the reserved bit: masked, it is stream 0 as required.",
            ["GOAWAY-2", "FRAME-5"], w_goaway(0, 0, word=0x80000000), flags=["ReservedBitSet"],
            frames=[f_goaway(0, 0)], encoded=w_goaway(0, 0),
            go=[go(ALL_GO, "INTEROP-7", error="PROTOCOL_ERROR")]),
        vec("goaway-debug-limit", "GOAWAY with 1 MiB - 8 bytes of debug data, the most a sender may send.",
            ["LIMIT-4", "GOAWAY-4"], header(MIB, GOAWAY, 0, 0) + u32(3) + u32(0),
            fill=("64", MIB - 8), frames=[f_goaway(3, 0, fill=("64", MIB - 8))]),
        vec("goaway-debug-over-limit",
            "GOAWAY with 1 MiB + 1 bytes of debug data: a receiver may discard the excess or end the session.",
            ["LIMIT-4"], header(MIB + 9, GOAWAY, 0, 0) + u32(3) + u32(0),
            fill=("64", MIB + 1), result="acceptable", flags=["DebugDataOverLimit"],
            frames=[f_goaway(3, 0, fill=("64", MIB + 1))],
            go=[go(ALL_GO, "INTEROP-2", [dict(f_goaway(3, 0, fill=("64", MIB)), length=MIB + 9)],
                   incomplete=True)]),
        vec("goaway-debug-exactly-1mib",
            "GOAWAY with exactly 1 MiB of debug data: Go's 1 MiB read limit stops 2016/v2.0.1 from reading past it.",
            ["LIMIT-4", "GOAWAY-10"], header(MIB + 8, GOAWAY, 0, 0) + u32(3) + u32(0),
            fill=("64", MIB), frames=[f_goaway(3, 0, fill=("64", MIB))]),
        vec("goaway-truncated-fixed", "GOAWAY header and 5 of its 8 fixed body bytes.",
            ["FRAME-1"], w_goaway(0, 0)[:13], incomplete=3),
        vec("goaway-truncated-debug", "GOAWAY declaring 4 debug bytes, 1 present.", ["FRAME-1"],
            w_goaway(0, 0, b"abcd")[:17], incomplete=3),
        vec("goaway-length-max-header-only", "GOAWAY header declaring 2^24-1 bytes, no body yet.",
            ["FRAME-2", "FRAME-6"], header(MAX_LEN, GOAWAY, 0, 0), incomplete=MAX_LEN),
        invalid("goaway-stream-1", "GOAWAY on stream 1.", ["GOAWAY-2"],
                w_goaway(0, 0, word=1), "GOAWAY-2", "PROTOCOL_ERROR"),
        invalid("goaway-stream-max", "GOAWAY on stream 2^31-1.", ["GOAWAY-2"],
                w_goaway(0, 0, word=MASK), "GOAWAY-2", "PROTOCOL_ERROR"),
        invalid("goaway-length-0", "GOAWAY with length 0.", ["GOAWAY-1"],
                header(0, GOAWAY, 0, 0), "GOAWAY-1", "FRAME_SIZE_ERROR"),
        invalid("goaway-length-4", "GOAWAY with length 4.", ["GOAWAY-1"],
                header(4, GOAWAY, 0, 0) + bytes(4), "GOAWAY-1", "FRAME_SIZE_ERROR"),
        invalid("goaway-length-7", "GOAWAY with length 7, one byte short.", ["GOAWAY-1"],
                header(7, GOAWAY, 0, 0) + bytes(7), "GOAWAY-1", "FRAME_SIZE_ERROR"),
        invalid("goaway-stream-1-header-only",
                "GOAWAY header on stream 1, body absent: the header alone is a violation.",
                ["GOAWAY-2", "FRAME-6"], header(8, GOAWAY, 0, 1), "GOAWAY-2", "PROTOCOL_ERROR",
                go_=[go(ALL_GO, "INTEROP-11", incomplete=True)]),
        invalid("goaway-length-7-stream-1",
                "GOAWAY with a short length on stream 1: the length is reported first.",
                ["GOAWAY-1", "FRAME-7"], header(7, GOAWAY, 0, 1) + bytes(7), "GOAWAY-1",
                "FRAME_SIZE_ERROR"),
    ]

    # INTEROP-1: a GOAWAY followed by more frames.
    def followed(id, desc, debug, rest_frames, rest_wire, go_rest, go_error=None,
                 go_incomplete=False):
        wire = w_goaway(3, 0, debug) + rest_wire
        swallowed, _ = go_overread(rest_wire, debug)
        go_frames = [dict(f_goaway(3, 0, swallowed), length=8 + len(debug))] + go_rest
        return vec(id, desc, ["GOAWAY-10", "SESSION-6", "FRAME-1"], wire,
                   frames=[f_goaway(3, 0, debug)] + rest_frames,
                   go=[go(OLD_GO, "INTEROP-1", go_frames, error=go_error,
                          incomplete=go_incomplete)])

    v += [
        followed("goaway-then-wndinc",
                 "GOAWAY with debug 'bye' followed by a WNDINC: two frames.",
                 b"bye", [f_wndinc(3, 5)], w_wndinc(3, 5), [], go_incomplete=True),
        followed("goaway-then-data-syn",
                 "GOAWAY followed by a DATA+SYN opening stream 5 with 'hello'.",
                 b"", [f_data(5, b"hello", SYN)], w_data(5, b"hello", SYN), [],
                 go_incomplete=True),
        followed("goaway-then-two-wndinc",
                 "GOAWAY followed by two WNDINC frames: Go 2016/v2.0.1 resume mid-frame and read a 0-length RST.",
                 b"", [f_wndinc(3, 5), f_wndinc(3, 6)], w_wndinc(3, 5) + w_wndinc(3, 6), [],
                 go_error="FRAME_SIZE_ERROR"),
        followed("goaway-then-data-16",
                 "GOAWAY followed by DATA on stream 3 whose 16-byte payload Go 2016/v2.0.1 parse as a DATA+SYN frame.",
                 b"x", [f_data(3, w_data(9, b"12345678", SYN))], w_data(3, w_data(9, b"12345678", SYN)),
                 [f_data(9, b"12345678", SYN)]),
    ]
    return v


def unknown_vectors():
    v = []
    for t in range(4, 16):
        payload = bytes([t]) * (t - 3)
        sid, flags = (t * 2 + 1), t % 16
        v.append(vec(f"unknown-type-{t}", f"A frame of unknown type {t:#x} with a {t - 3}-byte body: skipped.",
                     ["FRAME-11", "FRAME-3"], w_unknown(t, sid, payload, flags),
                     frames=[f_unknown(t, sid, payload, flags)]))
    v += [
        vec("unknown-stream-zero", "Unknown type 0x7 on stream 0: no stream rule applies.",
            ["FRAME-11"], w_unknown(7, 0, b"zz"), frames=[f_unknown(7, 0, b"zz")]),
        vec("unknown-length-0", "Unknown type 0xf with an empty body.", ["FRAME-11"],
            w_unknown(15, 1), frames=[f_unknown(15, 1)]),
        vec("unknown-reserved-bit", "Unknown type 0x9 whose stream-id word has the reserved bit set.",
            ["FRAME-11", "FRAME-5"], w_unknown(9, 0xFFFFFFFF, b"q"), flags=["ReservedBitSet"],
            frames=[f_unknown(9, MASK, b"q")],
            go=[go(ALL_GO, "INTEROP-7", [with_id(f_unknown(9, MASK, b"q"), 0xFFFFFFFF)])]),
        vec("unknown-then-data", "An unknown frame, then DATA: the receiver skips exactly the unknown body.",
            ["FRAME-11", "FRAME-1"], w_unknown(4, 3, b"skip me") + w_data(3, b"keep"),
            frames=[f_unknown(4, 3, b"skip me"), f_data(3, b"keep")]),
        vec("unknown-length-max-header-only", "Unknown type 0xa declaring 2^24-1 bytes, none present.",
            ["FRAME-10", "FRAME-6"], header(MAX_LEN, 10, 0, 3), incomplete=MAX_LEN),
        vec("unknown-truncated-body", "Unknown type 0x5 declaring 4 bytes, 2 present.", ["FRAME-11"],
            w_unknown(5, 3, b"abcd")[:10], incomplete=2),
    ]
    return v


def header_vectors():
    syn = w_data(3, b"hi", SYN)
    v = [vec("empty-input", "No bytes at all: no frame, nothing missing.", ["FRAME-1"], b"")]
    for n in [1, 2, 3, 4, 7]:
        v.append(vec(f"header-truncated-{n}", f"The first {n} bytes of a frame header.",
                     ["FRAME-6", "FRAME-1"], syn[:n], incomplete=8 - n))
    v.append(vec("header-only-data-syn", "A complete DATA+SYN header whose 2-byte body is missing.",
                 ["FRAME-6"], syn[:8], incomplete=2))
    return v


def stream_vectors():
    client_open = (w_data(3, b"GET /", SYN) + w_wndinc(3, 5) + w_data(3, b"", FIN)
                   + w_data(3, b"200 OK", 0) + w_data(3, b"", FIN))
    every_type = (w_rst(3, 4) + w_data(5, b"d", SYN) + w_wndinc(5, 1) + w_unknown(12, 5, b"u")
                  + w_goaway(5, 0, b"done"))
    zero_len = w_data(3, b"", SYN) * 1 + w_data(3, b"") * 50 + w_data(3, b"", FIN)
    typed = w_data(3, u32(0xFFFFFFFF) + u32(0x1234567), SYN)
    v = [
        vec("stream-request-response",
            "A stream's life on one transport: SYN with data, WNDINC, FIN, reply data, reply FIN.",
            ["STREAM-1", "STREAM-6", "FLOW-6", "FRAME-1"], client_open,
            frames=[f_data(3, b"GET /", SYN), f_wndinc(3, 5), f_data(3, b"", FIN),
                    f_data(3, b"200 OK"), f_data(3, b"", FIN)]),
        vec("stream-every-type", "One frame of each type back to back, unknown type included.",
            ["FRAME-1", "FRAME-11"], every_type,
            frames=[f_rst(3, 4), f_data(5, b"d", SYN), f_wndinc(5, 1), f_unknown(12, 5, b"u"),
                    f_goaway(5, 0, b"done")]),
        vec("stream-many-empty-data", "52 zero-length DATA frames: SYN, 50 without flags, FIN.",
            ["DATA-2", "FRAME-1"], zero_len,
            frames=[f_data(3, b"", SYN)] + [f_data(3, b"")] * 50 + [f_data(3, b"", FIN)]),
        vec("stream-heartbeat-syn",
            "The first frame of a heartbeat stream: SYN with the type 0xffffffff and a 4-byte beat, in one frame.",
            ["TYPED-1", "TYPED-2", "HEARTBEAT-1"], typed,
            frames=[f_data(3, u32(0xFFFFFFFF) + u32(0x1234567), SYN)]),
        vec("stream-then-truncated", "A whole RST, then 4 bytes of the next header.",
            ["FRAME-1", "FRAME-6"], w_rst(3, 4) + w_rst(5, 4)[:4], frames=[f_rst(3, 4)],
            incomplete=4),
        invalid("stream-then-rst-stream-zero", "DATA then an RST on stream 0: the DATA is decoded, then the error.",
                ["RST-2", "FRAME-8"], w_data(3, b"ok", SYN) + w_rst(0, 1), "RST-2", "PROTOCOL_ERROR",
                frames=[f_data(3, b"ok", SYN)]),
        invalid("stream-then-wndinc-zero", "Two valid WNDINC frames, then one with a zero increment.",
                ["WNDINC-4", "FRAME-8"], w_wndinc(3, 1) + w_wndinc(5, 2) + w_wndinc(7, 0), "WNDINC-4",
                "PROTOCOL_ERROR", frames=[f_wndinc(3, 1), f_wndinc(5, 2)]),
        invalid("stream-error-stops-decoding",
                "A GOAWAY of length 4 followed by valid frames: nothing after the bad header is decoded.",
                ["FRAME-8", "GOAWAY-1", "SESSION-4"], header(4, GOAWAY, 0, 0) + bytes(4) + w_wndinc(3, 1),
                "GOAWAY-1", "FRAME_SIZE_ERROR"),
    ]
    return v


FILES = {
    "rst.json": ("RST frames (type 0x0)", rst_vectors),
    "data.json": ("DATA frames (type 0x1)", data_vectors),
    "wndinc.json": ("WNDINC frames (type 0x2)", wndinc_vectors),
    "goaway.json": ("GOAWAY frames (type 0x3)", goaway_vectors),
    "unknown.json": ("Frames of unknown types (0x4 to 0xf)", unknown_vectors),
    "header.json": ("Frame headers: empty and truncated input", header_vectors),
    "streams.json": ("Byte streams holding several frames", stream_vectors),
}


def goaway_last_deviation(v):
    """Adds the INTEROP-1 deviation to a vector whose input ends with a whole GOAWAY: Go 2016
    and v2.0.1 read 8 bytes past it and report the input as incomplete."""
    frames = v["frames"]
    # Go reads at most 1 MiB of debug data, so from 1 MiB on there is no over-read.
    ends_with_goaway = (v["result"] != "invalid" and "incomplete" not in v and frames
                        and frames[-1]["type"] == "GOAWAY" and frames[-1]["length"] - 8 < MIB)
    covered = any(set(OLD_GO) & set(d["versions"]) for d in v.get("go", []))
    if ends_with_goaway and not covered:
        v.setdefault("go", []).append(go(OLD_GO, "INTEROP-1", frames[:-1], incomplete=True))
    return v


def render(title, vectors):
    doc = {"schema": "muxado-frame-vectors", "schema_version": 1, "title": title,
           "vectors": vectors}
    return json.dumps(doc, indent=2) + "\n"


def main():
    check = "--check" in sys.argv[1:]
    OUT.mkdir(parents=True, exist_ok=True)
    ids, stale = set(), []
    for name, (title, make) in FILES.items():
        vectors = [goaway_last_deviation(v) for v in make()]
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
    if stale:
        print(f"vectors/frames out of date (run vectors/gen/generate.py): {', '.join(stale)}")
        sys.exit(1)
    print(f"{len(ids)} frame vectors in {len(FILES)} files")


if __name__ == "__main__":
    main()
