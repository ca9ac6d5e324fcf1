package irc

import (
	"bytes"
	"io"
)

// lineReader cuts a byte stream into IRC lines with a bounded buffer. Like
// Java's BufferedReader.readLine, CR, LF and CR LF all end a line (a bare
// CR must end a line here too, or "PRIVMSG #a :x\rQUIT :secret" would reach
// an ircd that splits on CR as one line that passed the filter). Unlike
// Java, which reads lines of any length, a line whose content is longer than
// max bytes is discarded up to its terminator and reported once.
type lineReader struct {
	r          io.Reader
	buf        []byte
	start, end int // buffered, unconsumed bytes are buf[start:end]
	max        int
	discarding bool // inside an overlong line, dropping until its terminator
	err        error
}

func newLineReader(r io.Reader, limit int) *lineReader {
	return &lineReader{r: r, buf: make([]byte, max(4096, limit+1)), max: limit}
}

// next returns the next line without its terminator. Empty lines are
// skipped. tooLong is true, with a nil line, once for each overlong line.
// The returned line aliases the reader's buffer and is valid until the next
// call. At io.EOF a final unterminated line is returned before the error;
// on any other error (a read deadline) a partial line is dropped.
func (lr *lineReader) next() (line []byte, tooLong bool, err error) {
	for {
		if i := bytes.IndexAny(lr.buf[lr.start:lr.end], "\r\n"); i >= 0 {
			line = lr.buf[lr.start : lr.start+i]
			lr.start += i + 1
			if lr.discarding {
				lr.discarding = false
				continue
			}
			if len(line) == 0 {
				continue
			}
			if len(line) > lr.max {
				return nil, true, nil
			}
			return line, false, nil
		}
		if lr.end-lr.start > lr.max {
			// No terminator within max bytes: drop what we have.
			lr.start, lr.end = 0, 0
			if !lr.discarding {
				lr.discarding = true
				return nil, true, nil
			}
		}
		if lr.err != nil {
			if lr.err == io.EOF && lr.end > lr.start && !lr.discarding {
				line = lr.buf[lr.start:lr.end]
				lr.start = lr.end
				return line, false, nil
			}
			return nil, false, lr.err
		}
		if lr.start > 0 {
			lr.end = copy(lr.buf, lr.buf[lr.start:lr.end])
			lr.start = 0
		}
		n, err := lr.r.Read(lr.buf[lr.end:])
		lr.end += n
		if err != nil {
			lr.err = err
		}
	}
}

// pending reports whether a complete line is already buffered, so the caller
// can hold back a flush (Java flushes only when !in.ready(), so that a
// registration burst goes out in one streaming packet).
func (lr *lineReader) pending() bool {
	b := bytes.TrimLeft(lr.buf[lr.start:lr.end], "\r\n") // the LF of a CR LF
	return bytes.ContainsAny(b, "\r\n")
}

// rest returns the buffered bytes not yet returned as lines, and empties
// the buffer. The slice aliases the buffer.
func (lr *lineReader) rest() []byte {
	if lr.start > 0 && lr.start < lr.end && lr.buf[lr.start-1] == '\r' && lr.buf[lr.start] == '\n' {
		lr.start++ // the LF of the CR LF that ended the last line
	}
	b := lr.buf[lr.start:lr.end]
	if lr.discarding {
		b = nil
	}
	lr.start, lr.end = 0, 0
	return b
}
