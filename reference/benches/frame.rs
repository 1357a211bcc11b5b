//! Frame codec micro-benchmarks: a header-only frame and a 16 KiB DATA frame, each decoded and
//! encoded. Decoding a DATA frame borrows its payload, so its cost must not grow with the size.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use muxado_reference::frame::{Data, Frame, StreamId, WndInc, decode_frame};

fn frames(c: &mut Criterion) {
    let payload = vec![0x5A; 16 * 1024];
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
    ];
    for (name, frame) in cases {
        let mut wire = Vec::new();
        frame.encode(&mut wire).expect("valid frame");
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
