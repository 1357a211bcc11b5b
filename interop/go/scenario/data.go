package scenario

import (
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"net"
	"time"
)

// patternByte is byte i of pattern(seed, n): (i * 31 + seed * 7) mod 251.
func patternByte(seed, i uint64) byte {
	return byte((i*31 + seed*7) % 251)
}

// pattern returns bytes off .. off+n-1 of the pattern with the given seed.
func pattern(seed uint64, off, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = patternByte(seed, uint64(off+i))
	}
	return b
}

// fnvHex renders an FNV-1a 64-bit hash the way observed.fnv carries it: 16
// lower-case hex digits.
func fnvHex(h hash.Hash64) string {
	return fmt.Sprintf("%016x", h.Sum64())
}

// patternChecker checks received bytes against pattern(seed, want), in order.
type patternChecker struct {
	seed uint64
	want uint64
	n    uint64 // bytes received and verified so far
	h    hash.Hash64
}

func newPatternChecker(seed, want uint64) *patternChecker {
	return &patternChecker{seed: seed, want: want, h: fnv.New64a()}
}

func (p *patternChecker) check(b []byte) error {
	for i, x := range b {
		at := p.n + uint64(i)
		if at >= p.want {
			p.h.Write(b[:i])
			p.n = at
			return fmt.Errorf("more than the %d bytes of pattern(%d, %d)", p.want, p.seed, p.want)
		}
		if w := patternByte(p.seed, at); x != w {
			p.h.Write(b[:i])
			p.n = at
			return fmt.Errorf("byte %d is 0x%02x, pattern(%d) has 0x%02x", at, x, p.seed, w)
		}
	}
	p.h.Write(b)
	p.n += uint64(len(b))
	return nil
}

const slowChunk = 256 << 10

// readPatternSlowly reads c to EOF, checking pattern(seed, want) and sleeping
// 1 ms each time another 256 KiB has been read.
func (e *Env) readPatternSlowly(c net.Conn, what string, seed, want uint64) (*patternChecker, error) {
	p := newPatternChecker(seed, want)
	buf := make([]byte, 32<<10)
	for {
		e.step("reading %s slowly: %d of %d bytes verified", what, p.n, want)
		n, err := c.Read(buf)
		before := p.n
		if n > 0 {
			if cerr := p.check(buf[:n]); cerr != nil {
				return p, fmt.Errorf("%s: %w", what, cerr)
			}
			if p.n/slowChunk != before/slowChunk {
				time.Sleep(time.Millisecond)
			}
		}
		if err == io.EOF {
			if p.n != want {
				return p, fmt.Errorf("%s: EOF after %d bytes, expected %d", what, p.n, want)
			}
			return p, nil
		}
		if err != nil {
			return p, fmt.Errorf("%s: reading after %d bytes: %s", what, p.n, e.describe(err))
		}
	}
}

// writePattern writes pattern(seed, total) on c in writes of chunk bytes.
func (e *Env) writePattern(c net.Conn, what string, seed uint64, total, chunk int) error {
	for off := 0; off < total; off += chunk {
		e.step("writing %s: %d of %d bytes written", what, off, total)
		n := min(chunk, total-off)
		if _, err := c.Write(pattern(seed, off, n)); err != nil {
			return fmt.Errorf("%s: write at byte %d: %s", what, off, e.describe(err))
		}
	}
	return nil
}
