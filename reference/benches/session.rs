//! Session machine micro-benchmarks: the sans-IO session fed bursts of DATA and WNDINC
//! frames the way the driver feeds it (transport bytes in, encoded frames out), without any
//! I/O, so that the cost of the protocol logic itself is visible apart from sockets and tasks.
//!
//! - `receive_data`: one window (256 KiB) of DATA for one stream, in 16 KiB or 1 KiB frames,
//!   given whole or in 64 KiB transport reads (frames then straddle reads, as on a socket);
//!   the application reads it all back, and the WNDINC frames that earns are taken out.
//! - `receive_wndinc`: a burst of 64 WNDINC frames for one stream.
//! - `send_data`: one window written by the application (split into DATA frames), the frames
//!   taken out, and the peer's WNDINC credit fed back in: a sender's steady state.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use muxado_reference::frame::{Data, Frame, StreamId, WndInc};
use muxado_reference::session::{Config, Machine, Read, Role};

const WINDOW: usize = 256 * 1024;

fn encode(frames: &[Frame<'_>]) -> Vec<u8> {
    let mut wire = Vec::new();
    for frame in frames {
        frame.encode(&mut wire).expect("valid frame");
    }
    wire
}

fn data(id: u32, syn: bool, payload: &[u8]) -> Frame<'_> {
    Frame::Data(Data {
        stream_id: StreamId::new(id),
        fin: false,
        syn,
        payload,
    })
}

/// A server session that has accepted the client's first stream (id 3).
fn server_with_stream() -> (Machine, StreamId) {
    let mut server = Machine::new(Role::Server, Config::default());
    server.handle_input(&encode(&[data(3, true, b"")]), Duration::ZERO);
    let id = server.accept().expect("stream 3 arrived");
    (server, id)
}

fn receive_data(c: &mut Criterion) {
    let mut group = c.benchmark_group("receive_data");
    group.throughput(Throughput::Bytes(WINDOW as u64));
    for frame_size in [16 * 1024, 1024] {
        let payload = vec![0x5A; frame_size];
        let frames: Vec<Frame<'_>> = (0..WINDOW / frame_size)
            .map(|_| data(3, false, &payload))
            .collect();
        let burst = encode(&frames);
        for (how, read_size) in [("whole", burst.len()), ("64KiB_reads", 64 * 1024)] {
            let name = format!("{}KiB_frames/{how}", frame_size / 1024);
            let (mut server, id) = server_with_stream();
            let mut app = vec![0u8; 64 * 1024];
            let mut out = Vec::new();
            group.bench_function(name, |b| {
                b.iter(|| {
                    for part in black_box(&burst).chunks(read_size) {
                        server.handle_input(part, Duration::ZERO);
                    }
                    let mut got = 0;
                    while let Ok(Read::Data(n)) = server.read(id, &mut app) {
                        got += n;
                    }
                    assert_eq!(got, WINDOW, "the whole window arrived");
                    while server.poll_event().is_some() {}
                    out.clear();
                    server.poll_transmit(&mut out);
                    black_box(out.len())
                })
            });
        }
    }
    group.finish();
}

/// A client session with one open stream whose SYN has been sent.
fn client_with_stream() -> (Machine, StreamId) {
    let mut client = Machine::new(Role::Client, Config::default());
    let id = client.open().expect("opens");
    client.write(id, b"x").expect("writes");
    let mut out = Vec::new();
    client.poll_transmit(&mut out);
    (client, id)
}

fn receive_wndinc(c: &mut Criterion) {
    const FRAMES: usize = 64;
    let frames: Vec<Frame<'_>> = (0..FRAMES)
        .map(|_| {
            Frame::WndInc(WndInc {
                stream_id: StreamId::new(3),
                increment: 4096,
            })
        })
        .collect();
    let burst = encode(&frames);
    let mut group = c.benchmark_group("receive_wndinc");
    group.throughput(Throughput::Elements(FRAMES as u64));
    // A fresh session per burst, so that the credit never nears the window's maximum.
    group.bench_function("64_frames", |b| {
        b.iter_batched_ref(
            client_with_stream,
            |(client, id)| {
                client.handle_input(black_box(&burst), Duration::ZERO);
                while client.poll_event().is_some() {}
                black_box(client.send_window(*id))
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn send_data(c: &mut Criterion) {
    let credit = encode(&[Frame::WndInc(WndInc {
        stream_id: StreamId::new(3),
        increment: WINDOW as u32,
    })]);
    let mut group = c.benchmark_group("send_data");
    group.throughput(Throughput::Bytes(WINDOW as u64));
    let (mut client, id) = client_with_stream();
    // Top the window up to exactly one window after the SYN's byte.
    client.handle_input(
        &encode(&[Frame::WndInc(WndInc {
            stream_id: id,
            increment: 1,
        })]),
        Duration::ZERO,
    );
    let chunk = vec![0x5A; 64 * 1024];
    let mut out = Vec::new();
    group.bench_function("64KiB_writes", |b| {
        b.iter(|| {
            let mut sent = 0;
            while sent < WINDOW {
                sent += client.write(id, black_box(&chunk)).expect("window open");
            }
            out.clear();
            client.poll_transmit(&mut out);
            client.handle_input(&credit, Duration::ZERO);
            while client.poll_event().is_some() {}
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, receive_data, receive_wndinc, send_data);
criterion_main!(benches);
