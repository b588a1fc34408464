package main

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// rawSender is the -client raw sender: HTTP/1.1 written and read by hand
// over one keep-alive connection, with no net/http client in between. Go's
// client spends more CPU per request than a small server does to answer
// it, and the generator shares the machine's cores with the server.
type rawSender struct {
	addr, host, path string
	timeout          time.Duration
	mac              hash.Hash
	conn             net.Conn
	br               *bufio.Reader
	req              []byte
	sum              []byte
	resp             bytes.Buffer
}

func newRawSender(target *url.URL, secret []byte, timeout time.Duration) *rawSender {
	path := target.RequestURI()
	return &rawSender{addr: target.Host, host: target.Host, path: path, timeout: timeout, mac: hmac.New(sha256.New, secret)}
}

func (s *rawSender) send(r request) error {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	s.mac.Reset()
	io.WriteString(s.mac, "v0:")
	io.WriteString(s.mac, ts)
	io.WriteString(s.mac, ":")
	s.mac.Write(r.body)
	s.sum = s.mac.Sum(s.sum[:0])

	b := s.req[:0]
	b = append(b, "POST "...)
	b = append(b, s.path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, s.host...)
	b = append(b, "\r\nUser-Agent: slackload\r\nContent-Type: application/x-www-form-urlencoded\r\nX-Slack-Request-Timestamp: "...)
	b = append(b, ts...)
	b = append(b, "\r\nX-Slack-Signature: v0="...)
	b = hex.AppendEncode(b, s.sum)
	b = append(b, "\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(r.body)), 10)
	b = append(b, "\r\n\r\n"...)
	b = append(b, r.body...)
	s.req = b

	if s.conn == nil {
		c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
		if err != nil {
			return err
		}
		s.conn = c
		s.br = bufio.NewReaderSize(c, 16<<10)
	}
	status, keep, err := s.roundTrip()
	if err != nil || !keep {
		s.conn.Close()
		s.conn = nil
	}
	if err != nil {
		return err
	}
	if status != 200 {
		return fmt.Errorf("status %d: %.200s", status, s.resp.Bytes())
	}
	if !bytes.Contains(s.resp.Bytes(), r.want) {
		return fmt.Errorf("answer lacks %q: %.300s", r.want, s.resp.Bytes())
	}
	return nil
}

// roundTrip writes s.req and reads one response into s.resp. It reports
// the status and whether the connection may be used again.
func (s *rawSender) roundTrip() (status int, keep bool, err error) {
	if err := s.conn.SetDeadline(time.Now().Add(s.timeout)); err != nil {
		return 0, false, err
	}
	if _, err := s.conn.Write(s.req); err != nil {
		return 0, false, fmt.Errorf("write request: %w", err)
	}
	line, err := s.br.ReadSlice('\n')
	if err != nil {
		return 0, false, fmt.Errorf("read status: %w", err)
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.1 ")) {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, fmt.Errorf("bad status line %q", line)
	}
	length, chunked, keep := -1, false, true
	for {
		h, err := s.br.ReadSlice('\n')
		if err != nil {
			return 0, false, fmt.Errorf("read headers: %w", err)
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		k, v, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return 0, false, fmt.Errorf("bad header %q", h)
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(v)); err != nil || length < 0 {
				return 0, false, fmt.Errorf("bad Content-Length %q", v)
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			keep = !bytes.EqualFold(v, []byte("close"))
		}
	}
	s.resp.Reset()
	switch {
	case chunked:
		err = s.readChunked()
	case length >= 0:
		_, err = io.CopyN(&s.resp, s.br, int64(length))
	default:
		_, err = s.resp.ReadFrom(s.br) // to the end of the connection
		keep = false
	}
	if err != nil {
		return 0, false, fmt.Errorf("read answer: %w", err)
	}
	return status, keep, nil
}

func (s *rawSender) readChunked() error {
	for {
		line, err := s.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		sizeText, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(";"))
		size, err := strconv.ParseInt(string(bytes.TrimSpace(sizeText)), 16, 64)
		if err != nil || size < 0 {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			for { // trailers, up to the empty line
				t, err := s.br.ReadSlice('\n')
				if err != nil {
					return err
				}
				if len(bytes.TrimRight(t, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if _, err := io.CopyN(&s.resp, s.br, size); err != nil {
			return err
		}
		crlf, err := s.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(bytes.TrimRight(crlf, "\r\n")) != 0 {
			return errors.New("chunk not followed by CRLF")
		}
	}
}

func (s *rawSender) close() {
	if s.conn != nil {
		s.conn.Close()
	}
}
