//! Frame logs from packet captures: the TCP payload of each direction of each connection in a
//! pcap file, reassembled by sequence number, decoded frame by frame.

use std::collections::BTreeMap;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::DataLink;
use pcap_file::pcap::PcapReader;

use crate::record::{Decoded, Dir, FrameReader};

/// One endpoint: address and port.
type Endpoint = (std::net::IpAddr, u16);

/// The bytes one side of a connection sent, by sequence number.
#[derive(Default)]
struct Flow {
    /// Sequence number of the first payload byte (the SYN's plus one), once seen.
    start: Option<u32>,
    /// Payload segments by their sequence number, with the capture time of each (µs).
    segments: BTreeMap<u32, (u64, Vec<u8>)>,
}

/// Every frame of every muxado connection in a capture: `(time µs, connection index,
/// direction, frame)`, in time order. The side that sent the first SYN is the client.
pub fn decode_pcap(bytes: &[u8]) -> Result<Vec<(u64, usize, Dir, Decoded)>, String> {
    let mut reader = PcapReader::new(bytes).map_err(|e| format!("not a pcap file: {e}"))?;
    let link = reader.header().datalink;
    // Connection (client, server) to its two flows.
    let mut connections: Vec<((Endpoint, Endpoint), [Flow; 2])> = Vec::new();
    while let Some(packet) = reader.next_packet() {
        let packet = packet.map_err(|e| format!("bad packet: {e}"))?;
        let sliced = match link {
            DataLink::ETHERNET => SlicedPacket::from_ethernet(&packet.data),
            DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(&packet.data),
            DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => SlicedPacket::from_ip(&packet.data),
            other => return Err(format!("unsupported link type {other:?}")),
        };
        let Ok(sliced) = sliced else { continue };
        let (src_ip, dst_ip) = match &sliced.net {
            Some(NetSlice::Ipv4(ip)) => (
                ip.header().source_addr().into(),
                ip.header().destination_addr().into(),
            ),
            Some(NetSlice::Ipv6(ip)) => (
                ip.header().source_addr().into(),
                ip.header().destination_addr().into(),
            ),
            _ => continue,
        };
        let Some(TransportSlice::Tcp(tcp)) = &sliced.transport else {
            continue;
        };
        let src = (src_ip, tcp.source_port());
        let dst = (dst_ip, tcp.destination_port());
        let time = packet.timestamp.as_micros() as u64;
        let index = match connections
            .iter()
            .position(|((c, s), _)| (*c, *s) == (src, dst) || (*c, *s) == (dst, src))
        {
            Some(index) => index,
            None => {
                // The first packet seen names the client: the SYN sender when the capture
                // holds the handshake.
                let pair = if tcp.syn() && tcp.ack() {
                    (dst, src)
                } else {
                    (src, dst)
                };
                connections.push((pair, [Flow::default(), Flow::default()]));
                connections.len() - 1
            }
        };
        let ((client, _), flows) = &mut connections[index];
        let flow = &mut flows[usize::from(src != *client)];
        if tcp.syn() {
            flow.start = Some(tcp.sequence_number().wrapping_add(1));
        }
        let payload = tcp.payload();
        if !payload.is_empty() {
            flow.start.get_or_insert(tcp.sequence_number());
            // A retransmission of the same segment keeps the first copy.
            flow.segments
                .entry(tcp.sequence_number())
                .or_insert((time, payload.to_vec()));
        }
    }
    let mut out = Vec::new();
    for (index, (_, flows)) in connections.iter().enumerate() {
        for (side, flow) in flows.iter().enumerate() {
            let dir = if side == 0 {
                Dir::ClientToServer
            } else {
                Dir::ServerToClient
            };
            let Some(mut next) = flow.start else { continue };
            let mut frames = FrameReader::default();
            // In sequence order from the start (wrapping is ignored: captures of one test
            // session stay far below 4 GiB).
            for (&seq, (time, data)) in &flow.segments {
                let offset = next.wrapping_sub(seq) as usize;
                if seq > next || offset >= data.len() {
                    continue; // a gap (lost segment), or wholly already seen
                }
                for decoded in frames.push(&data[offset..]) {
                    out.push((*time, index, dir, decoded));
                }
                next = seq.wrapping_add(data.len() as u32);
            }
        }
    }
    out.sort_by_key(|(time, index, ..)| (*time, *index));
    Ok(out)
}
