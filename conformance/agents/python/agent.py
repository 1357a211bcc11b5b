#!/usr/bin/env python3
"""Conformance agent (SPEC.md appendix A) for the Python muxado implementation in muxado.py.

Environment [AGENT-1]: MUXADO_ROLE, MUXADO_ADDR, MUXADO_CONTROL, MUXADO_TESTCASE, MUXADO_CONFIG.
It dials the transport, starts the session, dials the control connection [AGENT-2], then answers
one JSON line per command line [AGENT-3] [AGENT-4], after the session has processed `after`
transport bytes, and after its frames are written [AGENT-5]. It exits when the control
connection closes, and with status 127 for a configuration it cannot apply.
"""

import json
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import muxado as mx  # noqa: E402

UNSUPPORTED_EXIT = 127


class Unsupported(Exception):
    pass


def _addr(value):
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


def make_config(raw):
    """MUXADO_CONFIG -> muxado.Config; Unsupported for a setting we cannot apply."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise Unsupported("MUXADO_CONFIG is not an object")
    kw = {}

    def intval(key, lo, hi):
        v = raw.get(key)
        if v is None:
            return None
        if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
            raise Unsupported("%s=%r out of range" % (key, v))
        return v

    if os.environ.get("MUXADO_PY_MAX_DATA_FRAME"):  # diagnosis knob; the default is 3 bytes
        kw["max_data_frame"] = int(os.environ["MUXADO_PY_MAX_DATA_FRAME"])
    v = intval("max_window_size", 4, mx.MAX_WINDOW)
    if v is not None:
        kw["window_size"] = v
    v = intval("accept_backlog", 0, 1 << 30)
    if v is not None:
        kw["accept_backlog"] = v
    v = intval("max_streams", 0, 1 << 31)
    if v is not None:
        kw["max_streams"] = v
    v = intval("max_goaway_debug", 0, 1 << 31)
    if v is not None:
        kw["max_goaway_debug"] = v
    v = intval("read_timeout_ms", 1, 1 << 40)
    if v is not None:
        kw["read_timeout"] = v / 1000.0
    for key in ("typed_streams", "heartbeat"):
        v = raw.get(key)
        if v is None or v is False:
            continue
        if v is not True:
            raise Unsupported("%s=%r" % (key, v))
        kw[key] = True
    known = {"max_window_size", "accept_backlog", "max_streams", "max_goaway_debug",
             "read_timeout_ms", "typed_streams", "heartbeat"}
    for key, v in raw.items():
        if key not in known and v is not None and v is not False:
            raise Unsupported("unknown setting %s" % key)
    return mx.Config(**kw)


class Agent:
    def __init__(self, session):
        self.s = session
        self.streams = {}

    def stream(self, args):
        sid = args.get("stream_id")
        st = self.streams.get(sid)
        if st is None:
            raise mx.MuxadoError(mx.STREAM_CLOSED, "no stream %r known to the application" % sid)
        return st

    def handle(self, cmd):
        after = cmd.get("after") or 0
        names = [k for k in cmd if k != "after"]
        if len(names) != 1:
            return {"unsupported": "expected one command key, got %r" % names}
        name = names[0]
        args = cmd[name] or {}
        self.s.wait_input(after)  # [AGENT-3] `after`
        fn = getattr(self, "c_" + name, None)
        if fn is None:
            return {"unsupported": "unknown command %s" % name}
        try:
            answer = {"ok": fn(args)}
        except mx.MuxadoError as e:
            answer = {"error": {"code": e.code, "message": e.message}}
        except (Unsupported, ValueError) as e:
            answer = {"unsupported": str(e)}
        self.s.flush(1.0)  # [AGENT-5]
        return answer

    def c_open(self, args):
        st = self.s.open()
        self.streams[st.id] = st
        return {"stream_id": st.id}

    def c_open_typed(self, args):
        st = self.s.open_typed(int(args["stream_type"]))
        self.streams[st.id] = st
        return {"stream_id": st.id}

    def c_accept(self, args):
        st = self.s.accept_nowait()
        if st is None:
            return {"none": True}
        self.streams[st.id] = st
        return {"stream_id": st.id}

    def c_accept_typed(self, args):
        if not self.s.cfg.typed_streams:
            raise Unsupported("accept_typed on a session without typed streams")
        st = self.s.accept_nowait()
        if st is None:
            return {"none": True}
        self.streams[st.id] = st
        return {"stream_id": st.id, "stream_type": st.stream_type}

    def c_write(self, args):
        st = self.stream(args)
        data = bytes.fromhex(args.get("data", ""))
        return {"written": st.write_nowait(data)}

    def c_read(self, args):
        st = self.stream(args)
        m = int(args.get("max", 65536))
        r = st.read_nowait(m)
        if r is None:
            return {"blocked": True}
        if r == b"" and m > 0:
            return {"eof": True}
        return {"data": r.hex()}

    def c_close_write(self, args):
        self.stream(args).close_write()
        return {}

    def c_close_stream(self, args):
        self.stream(args).close()
        return {}

    def c_reset(self, args):
        self.stream(args).reset(int(args.get("error_code", 0)))
        return {}

    def c_go_away(self, args):
        self.s.go_away(int(args.get("error_code", 0)), bytes.fromhex(args.get("debug") or ""))
        return {}

    def c_close(self, args):
        self.s.close()
        return {}

    def c_session(self, args):
        e = self.s.ended
        r = self.s.remote
        return {
            "ended": None if e is None else {"code": e.code, "message": e.message},
            "remote": None if r is None else {"error_code": r[0], "last_stream_id": r[1],
                                              "debug": r[2].hex()},
        }

    def c_heartbeat(self, args):
        if self.s.ended is not None:
            raise mx.MuxadoError(self.s.ended.code, self.s.ended.message)
        interval = int(args.get("interval_ms", 10000)) / 1000.0
        tolerance = int(args.get("tolerance_ms", 15000)) / 1000.0
        self.s.heartbeat(interval, tolerance)
        return {}


def main():
    role = os.environ.get("MUXADO_ROLE", "client")
    try:
        if role not in ("client", "server"):
            raise Unsupported("role %r" % role)
        raw = os.environ.get("MUXADO_CONFIG") or "{}"
        config = make_config(json.loads(raw))
    except (Unsupported, ValueError) as e:
        sys.stderr.write("python agent: unsupported: %s\n" % e)
        sys.exit(UNSUPPORTED_EXIT)

    transport = socket.create_connection(_addr(os.environ["MUXADO_ADDR"]))
    transport.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    session = mx.Session(transport, role == "client", config)
    control = socket.create_connection(_addr(os.environ["MUXADO_CONTROL"]))
    control.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rfile = control.makefile("rb")
    agent = Agent(session)
    # debugging aid: MUXADO_PY_LOG=DIR logs each case's commands and answers to DIR/CASE.log
    log = None
    if os.environ.get("MUXADO_PY_LOG"):
        log = open(os.path.join(os.environ["MUXADO_PY_LOG"],
                                os.environ.get("MUXADO_TESTCASE", "case") + ".log"), "w")
        log.write("role=%s config=%s\n" % (role, os.environ.get("MUXADO_CONFIG")))
    try:
        for line in rfile:
            line = line.strip()
            if not line:
                continue
            try:
                cmd = json.loads(line)
                answer = agent.handle(cmd) if isinstance(cmd, dict) else {"unsupported": "not an object"}
            except Exception as e:  # a broken command must not kill the agent
                answer = {"unsupported": "agent failure: %r" % e}
            if log:
                log.write("%s\n  -> %s\n" % (line.decode(errors="replace"), json.dumps(answer)))
                log.flush()
            control.sendall((json.dumps(answer) + "\n").encode())
    except OSError:
        pass
    sys.stdout.flush()
    os._exit(0)  # [AGENT-2] exit once the control connection is closed


if __name__ == "__main__":
    main()
