package scenario

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"muxado-interop/upstream"
)

// ---- echo ----

const echoStreams = 256

func echoClient(e *Env) error {
	streams := make([]net.Conn, echoStreams)
	for k := range streams {
		e.step("opening stream %d of %d", k+1, echoStreams)
		c, err := e.Sess.Open()
		if err != nil {
			return fmt.Errorf("opening stream %d: %s", k, e.describe(err))
		}
		streams[k] = c
	}
	var verified atomic.Int64
	var fail firstErr
	var wg sync.WaitGroup
	for k, c := range streams {
		wg.Add(1)
		go func(k int, c net.Conn) {
			defer wg.Done()
			data := pattern(uint64(k), 0, 1+(k*7919)%8192)
			if _, err := c.Write(data); err != nil {
				fail.add(fmt.Errorf("stream %d (id %d): write: %s", k, streamID(c), e.describe(err)))
				return
			}
			if err := closeWrite(c); err != nil {
				fail.add(fmt.Errorf("stream %d (id %d): half-close: %s", k, streamID(c), e.describe(err)))
				return
			}
			got, err := io.ReadAll(c)
			if err != nil {
				fail.add(fmt.Errorf("stream %d (id %d): read after %d bytes: %s", k, streamID(c), len(got), e.describe(err)))
				return
			}
			if !bytes.Equal(got, data) {
				fail.add(fmt.Errorf("stream %d (id %d): read %d bytes that differ from the %d written", k, streamID(c), len(got), len(data)))
				return
			}
			verified.Add(1)
		}(k, c)
	}
	e.step("waiting for the echoes of %d streams", echoStreams)
	wg.Wait()
	e.observe("streams", verified.Load())
	if err := fail.get(); err != nil {
		return err
	}
	e.seen("%d streams echoed exactly", verified.Load())
	return nil
}

func echoServer(e *Env) error {
	var echoed atomic.Int64
	var fail firstErr
	var wg sync.WaitGroup
	e.step("accepting streams to echo until the session ends")
	for a := range e.acceptLoop() {
		if a.err != nil {
			break
		}
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			if _, err := io.Copy(c, c); err != nil {
				fail.add(fmt.Errorf("echoing stream %d: %s", streamID(c), e.describe(err)))
				return
			}
			if err := closeWrite(c); err != nil {
				fail.add(fmt.Errorf("half-closing stream %d: %s", streamID(c), e.describe(err)))
				return
			}
			echoed.Add(1)
		}(a.c)
	}
	e.step("finishing the echoes")
	wg.Wait()
	e.observe("streams", echoed.Load())
	if err := fail.get(); err != nil {
		return err
	}
	if echoed.Load() == 0 {
		return fmt.Errorf("the session ended before any stream arrived")
	}
	e.seen("%d streams echoed", echoed.Load())
	return nil
}

// ---- bulk ----

const (
	bulkSize  = 64 << 20
	bulkWrite = 256 << 10
)

func bulkClient(e *Env) error {
	e.step("opening the stream")
	c, err := e.Sess.Open()
	if err != nil {
		return fmt.Errorf("open: %s", e.describe(err))
	}
	if err := e.writePattern(c, "pattern(1, 64 MiB)", 1, bulkSize, bulkWrite); err != nil {
		return err
	}
	e.step("half-closing the stream")
	if err := closeWrite(c); err != nil {
		return fmt.Errorf("half-close: %s", e.describe(err))
	}
	p, err := e.readPatternSlowly(c, "pattern(2, 64 MiB)", 2, bulkSize)
	e.observe("bytes", p.n)
	e.observe("fnv", fnvHex(p.h))
	if err != nil {
		return err
	}
	e.seen("64 MiB sent, 64 MiB received and verified")
	return nil
}

func bulkServer(e *Env) error {
	e.step("accepting the stream")
	c, err := e.Sess.Accept()
	if err != nil {
		return fmt.Errorf("accept: %s", e.describe(err))
	}
	p, err := e.readPatternSlowly(c, "pattern(1, 64 MiB)", 1, bulkSize)
	e.observe("bytes", p.n)
	e.observe("fnv", fnvHex(p.h))
	if err != nil {
		return err
	}
	if err := e.writePattern(c, "pattern(2, 64 MiB)", 2, bulkSize, bulkWrite); err != nil {
		return err
	}
	e.step("half-closing the stream")
	if err := closeWrite(c); err != nil {
		return fmt.Errorf("half-close: %s", e.describe(err))
	}
	e.seen("64 MiB received and verified, 64 MiB sent")
	return nil
}

// ---- half-close ----

func halfCloseClient(e *Env) error {
	e.step("opening stream A")
	a, err := e.Sess.Open()
	if err != nil {
		return fmt.Errorf("opening A: %s", e.describe(err))
	}
	if err := e.writeText(a, "A", "ping", true); err != nil {
		return err
	}
	got, err := e.readText(a, "A", "pong after your fin")
	e.observe("a_read", got)
	if err != nil {
		return err
	}
	e.step("accepting stream B")
	b, err := e.Sess.Accept()
	if err != nil {
		return fmt.Errorf("accepting B: %s", e.describe(err))
	}
	got, err = e.readText(b, "B", "server done")
	e.observe("b_read", got)
	if err != nil {
		return err
	}
	if err := e.writeText(b, "B after the server's FIN", "client still talking", true); err != nil {
		return err
	}
	e.seen("A: wrote ping, read the reply after its FIN; B: read the server's data and FIN, then wrote on B")
	return nil
}

func halfCloseServer(e *Env) error {
	e.step("accepting stream A")
	a, err := e.Sess.Accept()
	if err != nil {
		return fmt.Errorf("accepting A: %s", e.describe(err))
	}
	got, err := e.readText(a, "A", "ping")
	e.observe("a_read", got)
	if err != nil {
		return err
	}
	if err := e.writeText(a, "A after the client's FIN", "pong after your fin", true); err != nil {
		return err
	}
	e.step("opening stream B")
	b, err := e.Sess.Open()
	if err != nil {
		return fmt.Errorf("opening B: %s", e.describe(err))
	}
	if err := e.writeText(b, "B", "server done", true); err != nil {
		return err
	}
	got, err = e.readText(b, "B", "client still talking")
	e.observe("b_read", got)
	if err != nil {
		return err
	}
	e.seen("A: replied after the client's FIN; B: read the client's data after the server's FIN")
	return nil
}

// ---- server-opens ----

const serverOpensStreams = 3

func serverOpensServer(e *Env) error {
	streams := make([]net.Conn, serverOpensStreams)
	ids := make([]uint32, serverOpensStreams)
	for k := range streams {
		e.step("opening stream %d", k)
		c, err := e.Sess.Open()
		if err != nil {
			return fmt.Errorf("opening stream %d: %s", k, e.describe(err))
		}
		streams[k] = c
		if _, err := c.Write(pattern(uint64(10+k), 0, 1000)); err != nil {
			return fmt.Errorf("stream %d: write: %s", k, e.describe(err))
		}
		ids[k] = streamID(c)
		e.observe("ids", ids[:k+1])
		if err := closeWrite(c); err != nil {
			return fmt.Errorf("stream %d: half-close: %s", k, e.describe(err))
		}
	}
	for k, c := range streams {
		e.step("reading the echo of stream %d (id %d)", k, ids[k])
		got, err := io.ReadAll(c)
		if err != nil {
			return fmt.Errorf("stream %d (id %d): read after %d bytes: %s", k, ids[k], len(got), e.describe(err))
		}
		if !bytes.Equal(got, pattern(uint64(10+k), 0, 1000)) {
			return fmt.Errorf("stream %d (id %d): the echo (%d bytes) differs from pattern(%d, 1000)", k, ids[k], len(got), 10+k)
		}
	}
	e.seen("3 streams opened, each echoed exactly")
	return nil
}

func serverOpensClient(e *Env) error {
	var ids []uint32
	var fail firstErr
	var wg sync.WaitGroup
	for k := 0; k < serverOpensStreams; k++ {
		e.step("accepting stream %d of %d", k+1, serverOpensStreams)
		c, err := e.Sess.Accept()
		if err != nil {
			return fmt.Errorf("accepting stream %d: %s", k+1, e.describe(err))
		}
		ids = append(ids, streamID(c))
		e.observe("ids", append([]uint32(nil), ids...))
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			if _, err := io.Copy(c, c); err != nil {
				fail.add(fmt.Errorf("echoing stream %d: %s", streamID(c), e.describe(err)))
				return
			}
			if err := closeWrite(c); err != nil {
				fail.add(fmt.Errorf("half-closing stream %d: %s", streamID(c), e.describe(err)))
			}
		}(c)
	}
	e.step("echoing 3 streams")
	wg.Wait()
	if err := fail.get(); err != nil {
		return err
	}
	sorted := append([]uint32(nil), ids...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	if fmt.Sprint(sorted) != "[2 4 6]" {
		return fmt.Errorf("stream ids %v, expected 2, 4, 6", ids)
	}
	e.seen("3 streams (ids %v) echoed", ids)
	return nil
}

// ---- reset ----

func resetClient(e *Env) error {
	const total, chunk = 16 << 20, 64 << 10
	e.step("opening the stream")
	c, err := e.Sess.Open()
	if err != nil {
		return fmt.Errorf("open: %s", e.describe(err))
	}
	for off := 0; off < total; off += chunk {
		e.step("writing pattern(3, 16 MiB) until a write fails: %d bytes written", off)
		if _, err := c.Write(pattern(3, off, chunk)); err != nil {
			code := e.code(err)
			e.observe("code", code)
			if code != codeStreamReset {
				return fmt.Errorf("the write at byte %d failed with %s, expected code 7 STREAM_RESET", off, e.describe(err))
			}
			e.seen("the write at byte %d failed with %s", off, codeName(code))
			return nil
		}
	}
	return fmt.Errorf("all 16 MiB written, no write failed (expected code 7 STREAM_RESET)")
}

// ---- close-late-data ----

func closeLateDataClient(e *Env) error {
	const total, chunk = 16 << 20, 4 << 10
	e.step("opening the stream")
	c, err := e.Sess.Open()
	if err != nil {
		return fmt.Errorf("open: %s", e.describe(err))
	}
	if _, err := c.Write(pattern(4, 0, 4)); err != nil {
		e.observe("code", e.code(err))
		return fmt.Errorf("the first write (pattern(4, 4)) failed: %s", e.describe(err))
	}
	// The 4 KiB writes start once the server's FIN (its Close) arrived, or
	// after 2 s without it. Had they started at once, they could fill the
	// whole 256 KiB window before the server closes: the server then never
	// credits the bytes it dropped, nothing more can be sent, no DATA draws
	// the RST, and the client waits for window forever (seen with Go on both
	// ends under load).
	e.step("waiting for the server's FIN (its Close)")
	fin := make(chan error, 1)
	go func() {
		n, err := c.Read(make([]byte, 1))
		if err == nil {
			err = fmt.Errorf("read %d bytes", n)
		}
		fin <- err
	}()
	select {
	case err := <-fin:
		e.observe("fin_seen", err == io.EOF)
		if err != io.EOF {
			e.observe("read_error", e.describe(err))
		}
	case <-time.After(2 * time.Second):
		e.observe("fin_seen", false)
	}
	// 2016's Close sends the FIN before it forgets the stream, and DATA that
	// arrives in between is buffered without an RST. Should the whole window
	// land in that gap (seen under CPU load), nothing could draw the RST, so
	// the client lets the server finish its Close first.
	e.step("letting the server finish its Close")
	time.Sleep(100 * time.Millisecond)
	for off := 4; off < total; off += chunk {
		e.step("writing 4 KiB writes until one fails: %d bytes written", off)
		if _, err := c.Write(pattern(4, off, chunk)); err != nil {
			code := e.code(err)
			e.observe("code", code)
			if code != codeStreamClosed {
				return fmt.Errorf("the write at byte %d failed with %s, expected code 4 STREAM_CLOSED", off, e.describe(err))
			}
			e.seen("the write at byte %d failed with %s", off, codeName(code))
			return nil
		}
	}
	return fmt.Errorf("16 MiB written, no write failed (expected code 4 STREAM_CLOSED)")
}

func closeLateDataServer(e *Env) error {
	e.step("accepting the stream")
	c, err := e.Sess.Accept()
	if err != nil {
		return fmt.Errorf("accept: %s", e.describe(err))
	}
	e.step("reading 4 bytes")
	buf := make([]byte, 4)
	if n, err := io.ReadFull(c, buf); err != nil {
		return fmt.Errorf("reading 4 bytes: got %d, then %s", n, e.describe(err))
	}
	e.observe("read", fmt.Sprintf("%x", buf))
	if !bytes.Equal(buf, pattern(4, 0, 4)) {
		return fmt.Errorf("read %x, expected pattern(4, 4) = %x", buf, pattern(4, 0, 4))
	}
	e.step("closing the stream")
	if err := c.Close(); err != nil {
		return fmt.Errorf("close: %s", e.describe(err))
	}
	e.seen("read pattern(4, 4), then closed the stream")
	return nil
}

// ---- goaway-from-server, goaway-from-client ----

func (e *Env) goAwayDebug() string {
	named := Server
	if e.Role == Server {
		named = Client
	}
	return "calm down from " + string(named)
}

// goAwayNamed is the side named by the scenario: it waits for the other
// side's stream, sends GOAWAY ENHANCE_YOUR_CALM and closes the transport
// (Go's Close would send a second GOAWAY).
func goAwayNamed(e *Env) error {
	debug := "calm down from " + string(e.Role)
	e.step("accepting the other side's stream")
	c, err := e.Sess.Accept()
	if err != nil {
		return fmt.Errorf("accept: %s", e.describe(err))
	}
	e.step("reading hello")
	buf := make([]byte, 5)
	if n, err := io.ReadFull(c, buf); err != nil {
		return fmt.Errorf("reading hello: got %q, then %s", buf[:n], e.describe(err))
	}
	if string(buf) != "hello" {
		return fmt.Errorf("read %q, expected hello", buf)
	}
	e.step("sending GOAWAY")
	if err := e.Sess.GoAway(codeEnhanceYourCalm, []byte(debug)); err != nil {
		return fmt.Errorf("GoAway: %s", e.describe(err))
	}
	e.observe("sent_code", codeEnhanceYourCalm)
	e.observe("sent_debug", debug)
	e.step("closing the transport")
	if err := e.Conn.Close(); err != nil {
		return fmt.Errorf("closing the transport: %v", err)
	}
	e.seen("stream %d accepted with hello; sent GOAWAY code 10 %q and closed the transport", streamID(c), debug)
	return nil
}

// goAwayOther opens a stream, writes hello and waits for the named side's
// GOAWAY and the end of the session.
func goAwayOther(e *Env) error {
	want := e.goAwayDebug()
	e.step("opening the stream")
	c, err := e.Sess.Open()
	if err != nil {
		return fmt.Errorf("open: %s", e.describe(err))
	}
	if err := e.writeText(c, "the stream", "hello", false); err != nil {
		return err
	}
	e.step("waiting for the session to end")
	local, remote, debug := e.Sess.Wait()
	e.observe("local_code", e.code(local))
	if remote == nil {
		return fmt.Errorf("the session ended (%s) without a GOAWAY from the peer", e.describe(local))
	}
	code := e.code(remote)
	e.observe("remote_code", code)
	e.observe("remote_debug", string(debug))
	if code != codeEnhanceYourCalm || string(debug) != want {
		return fmt.Errorf("remote error %s with debug %q, expected code 10 ENHANCE_YOUR_CALM with %q", codeName(code), debug, want)
	}
	e.seen("remote error %s, debug %q (local error %s)", codeName(code), debug, codeName(e.code(local)))
	return nil
}

// ---- backlog ----

const backlogStreams = 8

func backlogServer(e *Env) error {
	backlog := e.Config.AcceptBacklog
	if backlog == 0 {
		backlog = 128
	}
	e.step("not accepting for 500 ms")
	time.Sleep(500 * time.Millisecond)
	incoming := e.acceptLoop()
	var streams []net.Conn
	quiet := time.NewTimer(200 * time.Millisecond)
	defer quiet.Stop()
accepting:
	for {
		e.step("accepting streams until none arrives for 200 ms (%d so far)", len(streams))
		select {
		case a, ok := <-incoming:
			if !ok || a.err != nil {
				return fmt.Errorf("accept after %d streams: %s", len(streams), e.describe(a.err))
			}
			streams = append(streams, a.c)
			if !quiet.Stop() {
				<-quiet.C
			}
			quiet.Reset(200 * time.Millisecond)
		case <-quiet.C:
			break accepting
		}
	}
	e.observe("accepted", len(streams))
	for _, c := range streams {
		e.step("reading 1 byte from stream %d", streamID(c))
		buf := make([]byte, 1)
		if n, err := c.Read(buf); n != 1 || buf[0] != 'x' {
			return fmt.Errorf("stream %d: read %q (error: %v), expected x", streamID(c), buf[:n], err)
		}
	}
	if len(streams) == 0 {
		return fmt.Errorf("no stream accepted")
	}
	if uint32(len(streams)) > backlog {
		return fmt.Errorf("accepted %d streams, more than the backlog of %d", len(streams), backlog)
	}
	e.seen("accepted %d streams (backlog %d), each starting with x", len(streams), backlog)
	return nil
}

func backlogClient(e *Env) error {
	streams := make([]net.Conn, backlogStreams)
	refusedOnWrite := make([]bool, backlogStreams)
	for k := range streams {
		e.step("opening stream %d", k)
		c, err := e.Sess.Open()
		if err != nil {
			return fmt.Errorf("opening stream %d: %s", k, e.describe(err))
		}
		streams[k] = c
	}
	for k, c := range streams {
		e.step("writing x on stream %d", k)
		if _, err := c.Write([]byte("x")); err != nil {
			// The refusal arrived before this write.
			if e.code(err) != codeAcceptQueueFull {
				return fmt.Errorf("stream %d (id %d): writing x: %s", k, streamID(c), e.describe(err))
			}
			refusedOnWrite[k] = true
		}
	}
	type outcome struct {
		n   int
		err error
	}
	results := make([]chan outcome, backlogStreams)
	for k, c := range streams {
		results[k] = make(chan outcome, 1)
		if refusedOnWrite[k] {
			continue
		}
		go func(c net.Conn, ch chan<- outcome) {
			n, err := c.Read(make([]byte, 16))
			ch <- outcome{n, err}
		}(c, results[k])
	}
	e.step("reading each stream for 1 s")
	timeout := make(chan struct{})
	expire := time.AfterFunc(time.Second, func() { close(timeout) })
	defer expire.Stop()
	refused, acceptedCount := 0, 0
	// Every side closes the streams it holds when it is done (SCENARIOS.md).
	defer func() {
		for _, c := range streams {
			c.Close()
		}
	}()
	var fail firstErr
	for k, c := range streams {
		if refusedOnWrite[k] {
			refused++
			continue
		}
		var o outcome
		select {
		case o = <-results[k]:
		case <-timeout:
			// The second ran out; a read that has returned by now still counts.
			select {
			case o = <-results[k]:
			default:
				// Nothing within the second: accepted and never answered.
				acceptedCount++
				continue
			}
		}
		switch {
		case o.n > 0:
			fail.add(fmt.Errorf("stream %d (id %d): read %d bytes, expected no data", k, streamID(c), o.n))
		case e.code(o.err) == codeAcceptQueueFull:
			refused++
		default:
			fail.add(fmt.Errorf("stream %d (id %d): read failed with %s, expected code 9 ACCEPT_QUEUE_FULL or no answer", k, streamID(c), e.describe(o.err)))
		}
	}
	e.observe("refused", refused)
	e.observe("accepted", acceptedCount)
	if err := fail.get(); err != nil {
		return err
	}
	if refused < 4 {
		return fmt.Errorf("%d of 8 streams refused with code 9 ACCEPT_QUEUE_FULL, expected at least 4", refused)
	}
	e.seen("%d streams refused with code 9, %d accepted", refused, acceptedCount)
	return nil
}

// ---- typed ----

var typedTypes = []uint32{1, 2, 0x12345678}

func typedClient(e *Env) error {
	for _, t := range typedTypes {
		e.step("opening a typed stream of type %d", t)
		c, err := e.Sess.OpenTypedStream(t)
		if err != nil {
			return fmt.Errorf("opening typed stream %d: %s", t, e.describe(err))
		}
		if err := e.writeText(c, fmt.Sprintf("typed stream %d", t), fmt.Sprintf("typed %d", t), true); err != nil {
			return err
		}
	}
	e.step("accepting the server's typed stream")
	c, t, err := e.Sess.AcceptTypedStream()
	if err != nil {
		return fmt.Errorf("accepting a typed stream: %s", e.describe(err))
	}
	e.observe("type", t)
	// The client never writes on it. Half-closing it now lets Go forget the
	// stream once the server's FIN arrives, so that a server closing the
	// session right after its FIN cannot turn the end of the data into
	// SESSION_CLOSED (Go fails every stream still in its table when the
	// session ends, SESSION-2).
	e.step("half-closing the server's typed stream")
	if err := closeWrite(c); err != nil {
		return fmt.Errorf("half-closing the server's typed stream: %s", e.describe(err))
	}
	got, err := e.readText(c, "the server's typed stream", "seven")
	e.observe("data", got)
	if err != nil {
		return err
	}
	if t != 7 {
		return fmt.Errorf("the server's typed stream has type %d, expected 7", t)
	}
	e.seen("3 typed streams sent; the server's stream has type 7 and data seven")
	return nil
}

func typedServer(e *Env) error {
	var types []uint32
	for i := 0; i < len(typedTypes); i++ {
		e.step("accepting typed stream %d of 3", i+1)
		c, t, err := e.Sess.AcceptTypedStream()
		if err != nil {
			return fmt.Errorf("accepting typed stream %d: %s", i+1, e.describe(err))
		}
		types = append(types, t)
		e.observe("types", append([]uint32(nil), types...))
		if _, err := e.readText(c, fmt.Sprintf("typed stream %d (id %d)", t, streamID(c)), fmt.Sprintf("typed %d", t)); err != nil {
			return err
		}
		// Done with it: Close sends its FIN, as every side does with the
		// streams it holds (SCENARIOS.md).
		c.Close()
	}
	sorted := append([]uint32(nil), types...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	if fmt.Sprint(sorted) != fmt.Sprint(typedTypes) {
		return fmt.Errorf("types %v, expected 1, 2 and 0x12345678", types)
	}
	e.step("opening a typed stream of type 7")
	c, err := e.Sess.OpenTypedStream(7)
	if err != nil {
		return fmt.Errorf("opening typed stream 7: %s", e.describe(err))
	}
	if err := e.writeText(c, "typed stream 7", "seven", true); err != nil {
		return err
	}
	e.seen("typed streams %v, each naming its type; sent type 7", types)
	return nil
}

// ---- typed-split-prefix ----

func typedSplitPrefixServer(e *Env) error {
	e.step("accepting a typed stream")
	c, t, err := e.Sess.AcceptTypedStream()
	if err != nil {
		return fmt.Errorf("accepting a typed stream: %s", e.describe(err))
	}
	e.observe("type", t)
	// Half-closed at once so that the client's FIN makes Go forget the
	// stream: a client closing the session right after its FIN then cannot
	// turn the end of the data into SESSION_CLOSED (see typedClient).
	e.step("half-closing the typed stream")
	if err := closeWrite(c); err != nil {
		return fmt.Errorf("half-closing the typed stream: %s", e.describe(err))
	}
	e.step("reading the typed stream to EOF")
	data, err := io.ReadAll(c)
	e.observe("data", string(data))
	if err != nil {
		return fmt.Errorf("reading the stream: got %q, then %s", data, e.describe(err))
	}
	if t != 0x01020304 || string(data) != "payload" {
		return fmt.Errorf("type 0x%08x and data %q, expected type 0x01020304 and data \"payload\" (SPEC TYPED-3; Go reads the type with one Read, INTEROP-3)", t, data)
	}
	e.seen("type 0x01020304, data payload")
	return nil
}

// ---- heartbeat, heartbeat-silent ----

const heartbeatType = 0xFFFFFFFF

// beats collects a heartbeat's reports without ever blocking the heartbeat.
type beats struct {
	mu      sync.Mutex
	rtts    []time.Duration
	failure bool
	changed chan struct{}
}

func newBeats() *beats { return &beats{changed: make(chan struct{}, 1)} }

func (b *beats) report(rtt time.Duration, failed bool) {
	b.mu.Lock()
	if failed {
		b.failure = true
	} else if len(b.rtts) < 64 {
		b.rtts = append(b.rtts, rtt)
	}
	b.mu.Unlock()
	select {
	case b.changed <- struct{}{}:
	default:
	}
}

func (b *beats) state() ([]time.Duration, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]time.Duration(nil), b.rtts...), b.failure
}

// heartbeatSide runs the heartbeat (interval 50 ms, tolerance 1 s) and
// answers the peer's, until its own heartbeat reported 3 RTTs.
func heartbeatSide(e *Env) error {
	b := newBeats()
	hb := e.Sess.NewHeartbeat(upstream.HeartbeatConfig{
		Interval:  50 * time.Millisecond,
		Tolerance: time.Second,
		Type:      heartbeatType,
	}, b.report)
	e.atExit(func() { _ = hb.Close() })
	unexpected := make(chan string, 1)
	ended := make(chan struct{})
	go func() {
		// Answers the peer's heartbeat stream; any other typed stream is
		// unexpected. Returns when the session ends.
		defer close(ended)
		for {
			c, t, err := hb.AcceptTypedStream()
			if err != nil {
				return
			}
			select {
			case unexpected <- fmt.Sprintf("unexpected typed stream %d of type 0x%08x", streamID(c), t):
			default:
			}
			_ = c.Close()
		}
	}()
	hb.Start()
	for {
		rtts, failed := b.state()
		us := make([]int64, 0, 3)
		for _, r := range rtts[:min(3, len(rtts))] {
			us = append(us, r.Microseconds())
		}
		e.observe("rtts_us", us)
		if failed {
			return fmt.Errorf("the heartbeat reported a failure after %d RTTs", len(rtts))
		}
		if len(rtts) >= 3 {
			e.seen("3 heartbeat RTTs: %v µs", us)
			break
		}
		e.step("waiting for heartbeat RTT %d of 3", len(rtts)+1)
		select {
		case <-b.changed:
		case msg := <-unexpected:
			return fmt.Errorf("%s", msg)
		}
	}
	if e.Role == Client {
		// The server may still need a beat or two answered: keep answering
		// for a while before the run ends the session.
		e.step("answering the server's heartbeat for 500 ms")
		select {
		case <-ended:
		case <-time.After(500 * time.Millisecond):
		}
	}
	return nil
}

func heartbeatSilentServer(e *Env) error {
	e.step("accepting the heartbeat stream as a plain typed stream")
	c, t, err := e.Sess.AcceptTypedStream()
	if err != nil {
		return fmt.Errorf("accepting a typed stream: %s", e.describe(err))
	}
	e.observe("type", t)
	if t != heartbeatType {
		return fmt.Errorf("typed stream %d has type 0x%08x, expected the heartbeat type 0xffffffff", streamID(c), t)
	}
	// Never read, never answer: the stream stays open until the session ends.
	e.seen("heartbeat stream %d accepted and never answered", streamID(c))
	return nil
}

// ---- window-mismatch ----

func windowMismatchClient(e *Env) error {
	const total, chunk = 512 << 10, 64 << 10
	e.step("opening the stream")
	c, err := e.Sess.Open()
	if err != nil {
		return fmt.Errorf("open: %s", e.describe(err))
	}
	judge := func(err error, how string) error {
		code := e.code(err)
		e.observe("code", code)
		e.observe("seen_on", how)
		if code != codeFlowControlError {
			return fmt.Errorf("the %s failed with %s, expected code 3 FLOW_CONTROL_ERROR", how, e.describe(err))
		}
		e.seen("the %s failed with %s", how, codeName(code))
		return nil
	}
	for off := 0; off < total; off += chunk {
		e.step("writing pattern(5, 512 KiB): %d bytes written", off)
		if _, err := c.Write(pattern(5, off, chunk)); err != nil {
			return judge(err, fmt.Sprintf("write at byte %d", off))
		}
	}
	// The 512 KiB fit in the client's 1 MiB window, so every write can
	// complete before the server's RST comes back (with Go on both ends it
	// usually arrives about 1 ms after the last write). The stream's reset
	// then shows on a read, as in the reference client.
	e.step("all 512 KiB written; reading to see the server's reset")
	type readResult struct {
		n   int
		err error
	}
	got := make(chan readResult, 1)
	go func() {
		n, err := c.Read(make([]byte, 1))
		got <- readResult{n, err}
	}()
	select {
	case r := <-got:
		if r.err == nil {
			return fmt.Errorf("read %d bytes from a server that never writes, expected the stream's reset", r.n)
		}
		return judge(r.err, "read after all 512 KiB were written")
	case <-time.After(10 * time.Second):
		return fmt.Errorf("all 512 KiB written, no reset within 10 s (expected RST FLOW_CONTROL_ERROR)")
	}
}

func windowMismatchServer(e *Env) error {
	e.step("accepting the stream")
	c, err := e.Sess.Accept()
	if err != nil {
		return fmt.Errorf("accept: %s", e.describe(err))
	}
	// Never read it.
	e.observe("id", streamID(c))
	e.seen("stream %d accepted and never read", streamID(c))
	return nil
}

// ---- fin-first-reply ----

// finFirstReplyClient half-closes a stream it never wrote to. Go sends that as one
// zero-length DATA frame with SYN and FIN, which a Go server cannot answer (INTEROP-8).
func finFirstReplyClient(e *Env) error {
	e.step("opening a stream")
	c, err := e.Sess.Open()
	if err != nil {
		return fmt.Errorf("opening: %s", e.describe(err))
	}
	// No empty Write first: in Go a zero-length Write consumes the stream's SYN without
	// sending a frame, and the FIN that follows would then open nothing.
	e.step("half-closing the unwritten stream")
	if err := closeWrite(c); err != nil {
		return fmt.Errorf("half-closing: %s", e.describe(err))
	}
	got, err := e.readText(c, "the stream", "reply to an empty request")
	e.observe("read", got)
	if err != nil {
		return err
	}
	e.seen("half-closed an unwritten stream, then read the reply")
	return nil
}

func finFirstReplyServer(e *Env) error {
	e.step("accepting the stream")
	c, err := e.Sess.Accept()
	if err != nil {
		return fmt.Errorf("accepting: %s", e.describe(err))
	}
	if _, err := e.readText(c, "the stream", ""); err != nil {
		return err
	}
	if err := e.writeText(c, "the stream after the client's FIN", "reply to an empty request", true); err != nil {
		return err
	}
	e.seen("read an empty request, then replied")
	return nil
}

// ---- burst ----

const (
	burstStreams = 1000
	burstBytes   = 16
)

// burstClient opens 1000 streams, then writes pattern(k, 16) on each from its
// own goroutine, all released at once (Go sends a stream's SYN with its first
// write, so the SYNs leave together), half-closes and reads the echo.
// Refusals (code 9, SPEC STREAM-5) are counted, not fatal: the harness judges
// whether the server may refuse a burst its application keeps up with.
func burstClient(e *Env) error {
	streams := make([]net.Conn, burstStreams)
	for k := range streams {
		e.step("opening stream %d of %d", k+1, burstStreams)
		c, err := e.Sess.Open()
		if err != nil {
			return fmt.Errorf("opening stream %d: %s", k, e.describe(err))
		}
		streams[k] = c
	}
	var (
		mu         sync.Mutex
		echoed     int
		refused    int
		errs       = map[string]int{}
		mismatches []string
	)
	failed := func(code uint32) {
		mu.Lock()
		defer mu.Unlock()
		if code == codeAcceptQueueFull {
			refused++
		}
		errs[fmt.Sprint(code)]++
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for k, c := range streams {
		wg.Add(1)
		go func(k int, c net.Conn) {
			defer wg.Done()
			data := pattern(uint64(k), 0, burstBytes)
			<-start
			if _, err := c.Write(data); err != nil {
				failed(e.code(err))
				return
			}
			if err := closeWrite(c); err != nil {
				failed(e.code(err))
				return
			}
			got, err := io.ReadAll(c)
			if err != nil {
				failed(e.code(err))
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if !bytes.Equal(got, data) {
				mismatches = append(mismatches, fmt.Sprintf("stream %d (id %d): echo of %d bytes differs from the %d sent", k, streamID(c), len(got), len(data)))
				return
			}
			echoed++
		}(k, c)
	}
	e.step("writing, half-closing and reading %d streams", burstStreams)
	close(start)
	wg.Wait()
	failures := 0
	for _, n := range errs {
		failures += n
	}
	e.observe("streams", burstStreams)
	e.observe("echoed", echoed)
	e.observe("refused", refused)
	e.observe("errors", errs)
	e.observe("mismatches", len(mismatches))
	if len(mismatches) > 0 {
		return fmt.Errorf("%s (and %d more mismatches)", mismatches[0], len(mismatches)-1)
	}
	if failures != refused {
		return fmt.Errorf("%d streams failed other than by refusal (codes: %v)", failures-refused, errs)
	}
	e.seen("%d streams echoed exactly, %d refused with code 9", echoed, refused)
	return nil
}

// burstServer accepts and echoes every stream, as fast as it can, until the
// session ends.
func burstServer(e *Env) error {
	var accepted, echoed atomic.Int64
	var fail firstErr
	var wg sync.WaitGroup
	e.step("accepting streams to echo until the session ends")
	for a := range e.acceptLoop() {
		if a.err != nil {
			break
		}
		accepted.Add(1)
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			if _, err := io.Copy(c, c); err != nil {
				fail.add(fmt.Errorf("echoing stream %d: %s", streamID(c), e.describe(err)))
				return
			}
			if err := closeWrite(c); err != nil {
				fail.add(fmt.Errorf("half-closing stream %d: %s", streamID(c), e.describe(err)))
				return
			}
			echoed.Add(1)
		}(a.c)
	}
	e.step("finishing the echoes")
	wg.Wait()
	e.observe("streams", accepted.Load())
	e.observe("echoed", echoed.Load())
	if err := fail.get(); err != nil {
		return err
	}
	if accepted.Load() == 0 {
		return fmt.Errorf("the session ended before any stream arrived")
	}
	e.seen("%d streams accepted and echoed", echoed.Load())
	return nil
}
