#!/usr/bin/env bash
# Checks tools/wireshark/muxado.lua with tshark against the project's own decoder
# (`muxado-interop decode --pcap`) on the captures under tools/wireshark/captures/, frame for
# frame (check.py says how), and that the heuristic claims nothing of other protocols.
# Usage: tools/wireshark/check.sh   (needs tshark; ci/test installs it)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
here=tools/wireshark
captures=$here/captures

cargo build --locked -q -p muxado-interop
decoder=target/debug/muxado-interop
tshark --version 2>/dev/null | sed -n 1p

# The synthetic captures are what make_captures.py writes.
python3 $here/make_captures.py --check

# Found by the heuristic alone (no port configured): real sessions between the reference and
# Go v2.0.2 (record_captures.sh) and the recorded transcripts put back on the wire.
python3 $here/check.py "$decoder" $captures/go-v2.0.2.pcap --filters
python3 $here/check.py "$decoder" $captures/transcripts.pcap --filters
# Hostile frames, decoded by the port preference (the heuristic refuses most of them).
python3 $here/check.py "$decoder" $captures/hostile.pcap --filters -o muxado.tcp_port:4322
# Two passes, as Wireshark's GUI dissects (reassembly looked up on the second pass).
python3 $here/check.py "$decoder" $captures/go-v2.0.2.pcap -2
python3 $here/check.py "$decoder" $captures/hostile.pcap -2 -o muxado.tcp_port:4322

# The heuristic is conservative: HTTP, SSH, TLS and random bytes are not muxado.
# A claimed packet shows as muxado or waits for the rest of a frame it was taken to start (TLS
# is off: its own heuristic would take the TLS records).
claimed() {
  tshark -X lua_script:$here/muxado.lua --disable-protocol tls -r "$@" \
    -T fields -e _ws.col.Protocol -e _ws.col.Info \
    2>/dev/null | grep -c -e '^muxado' -e 'reassembled PDU' || true
}
claimed=$(claimed $captures/not-muxado.pcap)
if [ "$claimed" -ne 0 ]; then
  echo "the heuristic claimed $claimed packets of not-muxado.pcap" >&2
  exit 1
fi
echo "not-muxado.pcap: no packet claimed"
# With the heuristic turned off and no port, nothing is decoded.
claimed=$(tshark -X lua_script:$here/muxado.lua -o muxado.heuristic:FALSE \
  -r $captures/go-v2.0.2.pcap -Y muxado 2>/dev/null | wc -l)
if [ "$claimed" -ne 0 ]; then
  echo "muxado.heuristic:FALSE still decoded $claimed packets" >&2
  exit 1
fi
echo "wireshark dissector: all checks passed"
