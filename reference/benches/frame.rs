//! Frame codec micro-benchmarks: a header-only frame and DATA frames of 16 KiB and 1 MiB, each
//! decoded and encoded. Decoding a DATA frame borrows its payload, so its cost must not grow
//! with the size: the 1 MiB decode costs what the 16 KiB one does, and before measuring, each
//! DATA case checks that the decoded payload lies inside the input buffer (no copy was made).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use muxado_reference::frame::{Data, Frame, StreamId, WndInc, decode_frame};

fn frames(c: &mut Criterion) {
    let payload = vec![0x5A; 16 * 1024];
    let large = vec![0xA5; 1 << 20];
    let cases = [
        (
            "wndinc",
            Frame::WndInc(WndInc {
                stream_id: StreamId::new(3),
                increment: 16 * 1024,
            }),
        ),
        (
            "data_16k",
            Frame::Data(Data {
                stream_id: StreamId::new(3),
                fin: false,
                syn: false,
                payload: &payload,
            }),
        ),
        (
            "data_1m",
            Frame::Data(Data {
                stream_id: StreamId::new(3),
                fin: false,
                syn: false,
                payload: &large,
            }),
        ),
    ];
    for (name, frame) in cases {
        let mut wire = Vec::new();
        frame.encode(&mut wire).expect("valid frame");
        if let (Frame::Data(data), _) = decode_frame(&wire).expect("decodes") {
            let input = wire.as_ptr_range();
            let body = data.payload.as_ptr_range();
            assert!(
                input.start <= body.start && body.end <= input.end,
                "{name}: the decoded payload must borrow the input, not copy it"
            );
        }
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_function("decode", |b| {
            b.iter(|| {
                let (frame, used) = decode_frame(black_box(&wire)).expect("decodes");
                black_box((frame, used))
            })
        });
        let mut out = Vec::with_capacity(wire.len());
        group.bench_function("encode", |b| {
            b.iter(|| {
                out.clear();
                black_box(&frame).encode(&mut out).expect("encodes");
                black_box(out.len())
            })
        });
        group.finish();
    }
}

criterion_group!(benches, frames);
criterion_main!(benches);
