"""The bytes of muxado frames (SPEC section 3), for every Python generator: the header, and
the frame objects of the vector files (`type`, `stream_id`, `flags` and the fields of the
type) encoded. Like the Rust runners' encoder (`muxado_vectors::session_run::encode`) it
writes any field values, including those a conforming encoder refuses: vectors need
malformed frames."""

TYPES = {"RST": 0, "DATA": 1, "WNDINC": 2, "GOAWAY": 3}
# SPEC section 9, by value.
CODES = [
    "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "STREAM_CLOSED",
    "STREAM_REFUSED", "STREAM_CANCELLED", "STREAM_RESET", "FRAME_SIZE_ERROR",
    "ACCEPT_QUEUE_FULL", "ENHANCE_YOUR_CALM", "REMOTE_GONE_AWAY", "STREAMS_EXHAUSTED",
    "WRITE_TIMEOUT", "SESSION_CLOSED", "PEER_EOF",
]


def header(length, ftype, flags, word):
    """The 8 header bytes; `word` is the raw stream-id word, reserved bit included."""
    return length.to_bytes(3, "big") + bytes([ftype << 4 | flags]) + word.to_bytes(4, "big")


def u32(v):
    return v.to_bytes(4, "big")


def code(value):
    """An error code given by value or by its SPEC name."""
    return CODES.index(value) if isinstance(value, str) else value


def filled(obj, key):
    """The bytes of field `key` of a vector object: its hex, or its `<key>_fill`."""
    if key in obj:
        return bytes.fromhex(obj[key].replace(" ", ""))
    fill = obj.get(key + "_fill")
    if fill:
        return bytes.fromhex(fill["byte"]) * fill["count"]
    return b""


def encode(frame):
    """The bytes of a frame object of a vector file; a missing field counts as 0 (or empty)."""
    kind = frame["type"]
    if kind == "RST":
        body = u32(code(frame["error_code"]))
    elif kind == "WNDINC":
        body = u32(frame["increment"])
    elif kind == "GOAWAY":
        body = u32(frame.get("last_stream_id", 0)) + u32(code(frame["error_code"]))
        body += filled(frame, "debug")
    else:
        body = filled(frame, "payload")
    ftype = TYPES.get(kind, frame.get("type_code", 4))
    return header(len(body), ftype, frame.get("flags", 0), frame.get("stream_id", 0)) + body
