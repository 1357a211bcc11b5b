#!/usr/bin/env bash
# Records captures/go-v2.0.2.pcap: real sessions of the interop scenarios between the reference
# (`muxado-interop peer`) and Go v2.0.2 (the registry's go-v2.0.2 peer), captured on the loopback
# interface with dumpcap, each direction of roles once. Needs root (or dumpcap's capabilities),
# the built peers (`muxado-interop build`, into target/interop-bin) and tshark's dumpcap.
# Run by hand when the captures should change; check.sh only reads them.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
interop=target/debug/muxado-interop
go=target/interop-bin/go-peer-v2.0.2
out=tools/wireshark/captures/go-v2.0.2.pcap
port=45100
scenarios=(half-close goaway-from-server goaway-from-client typed fin-first-reply)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dumpcap -q -P -i lo -f "tcp portrange $port-$((port + 2 * ${#scenarios[@]}))" -w "$tmp/cap.pcap" \
  2>"$tmp/dumpcap.log" &
capture=$!
sleep 2
run() { # SERVER-CMD CLIENT-CMD SCENARIO PORT
  local server=$1 client=$2 scenario=$3 p=$4
  $server --role server --scenario "$scenario" --listen "127.0.0.1:$p" >"$tmp/server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 50); do grep -q LISTENING "$tmp/server.log" && break; sleep 0.1; done
  timeout 30 $client --role client --scenario "$scenario" --dial "127.0.0.1:$p" \
    >/dev/null 2>&1 || true
  wait "$pid" || true
}
for scenario in "${scenarios[@]}"; do
  run "$go --impl ngrok" "$interop peer" "$scenario" "$port"
  run "$interop peer" "$go --impl ngrok" "$scenario" "$((port + 1))"
  port=$((port + 2))
done
sleep 1
kill "$capture"
wait "$capture" 2>/dev/null || true
cp "$tmp/cap.pcap" "$out"
chmod 644 "$out"
echo "wrote $out ($(stat -c %s "$out") bytes)"
