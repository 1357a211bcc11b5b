//! Decoding a capture: frames split across segments, a retransmission, both directions.

use std::time::Duration;

use etherparse::PacketBuilder;
use muxado_interop::pcap::decode_pcap;
use muxado_interop::record::Dir;
use pcap_file::DataLink;
use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};

fn tcp_packet(from_client: bool, seq: u32, syn: bool, payload: &[u8]) -> Vec<u8> {
    let (src, dst, sport, dport) = if from_client {
        ([127, 0, 0, 1], [127, 0, 0, 1], 40000, 4321)
    } else {
        ([127, 0, 0, 1], [127, 0, 0, 1], 4321, 40000)
    };
    let mut builder = PacketBuilder::ethernet2([0; 6], [0; 6])
        .ipv4(src, dst, 64)
        .tcp(sport, dport, seq, 65535);
    if syn {
        builder = builder.syn();
    }
    let mut out = Vec::new();
    builder.write(&mut out, payload).unwrap();
    out
}

/// checks: [FRAME-1] [FRAME-6]
#[test]
fn reassembles_and_decodes_both_directions() {
    // Client: SYN (seq 999), then DATA+SYN "hello" on stream 3 split in two segments, the
    // second sent twice. Server: SYN (seq 4999), then a WNDINC for stream 3.
    let data = [0u8, 0, 5, 0x12, 0, 0, 0, 3, b'h', b'e', b'l', b'l', b'o'];
    let wndinc = [0u8, 0, 4, 0x20, 0, 0, 0, 3, 0, 0, 0, 5];
    let packets = [
        tcp_packet(true, 999, true, &[]),
        tcp_packet(false, 4999, true, &[]),
        tcp_packet(true, 1000, false, &data[..6]),
        tcp_packet(true, 1006, false, &data[6..]),
        tcp_packet(true, 1006, false, &data[6..]),
        tcp_packet(false, 5000, false, &wndinc),
    ];
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        ..PcapHeader::default()
    };
    let mut writer = PcapWriter::with_header(Vec::new(), header).unwrap();
    for (i, packet) in packets.iter().enumerate() {
        let time = Duration::from_millis(i as u64);
        writer
            .write_packet(&PcapPacket::new(time, packet.len() as u32, packet))
            .unwrap();
    }
    let capture = writer.into_writer();
    let frames = decode_pcap(&capture).unwrap();
    let lines: Vec<(Dir, String)> = frames
        .into_iter()
        .map(|(_, _, dir, d)| (dir, d.line))
        .collect();
    assert_eq!(
        lines,
        [
            (
                Dir::ClientToServer,
                "DATA stream_id=0x3 length=5 flags=0x2 SYN".to_string()
            ),
            (
                Dir::ServerToClient,
                "WNDINC stream_id=0x3 length=4 flags=0x0 increment=5".to_string()
            ),
        ]
    );
}
