package checks

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
)

// jpegMetadata reads a JPEG's segments, skipping their data and the
// compressed image, and notes EXIF, XMP, IPTC and other application
// segments, comments, and data after the end of the image. JFIF, ICC
// profile and Adobe colour segments are part of the image and not noted.
// A truncated or malformed file ends the reading; segment lengths are at
// most 64 KiB and never allocated.
func jpegMetadata(r *bufio.Reader) *metadata {
	m := &metadata{}
	if _, err := r.Discard(2); err != nil { // SOI
		return m
	}
	marker, ok := nextMarker(r)
	for ok {
		switch {
		case marker == 0xD9: // EOI
			m.trailing = countTrailing(r)
			return m
		case marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8):
			marker, ok = nextMarker(r) // no length
			continue
		}
		var lenBuf [2]byte
		if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
			return m
		}
		length := int(binary.BigEndian.Uint16(lenBuf[:])) - 2
		if length < 0 {
			return m
		}
		var id []byte
		if (marker >= 0xE0 && marker <= 0xEF) || marker == 0xFE {
			// Peek is bounded by the reader's buffer, not by the length.
			id, _ = r.Peek(min(length, 64))
			noteSegment(m, marker, id, length)
		}
		if _, err := r.Discard(length); err != nil {
			return m
		}
		if marker == 0xDA { // SOS: compressed data follows, up to the next marker
			marker, ok = skipScan(r)
			continue
		}
		marker, ok = nextMarker(r)
	}
	return m
}

// noteSegment notes an application segment or comment that carries
// metadata.
func noteSegment(m *metadata, marker byte, id []byte, length int) {
	size := byteCount(int64(length))
	switch {
	case marker == 0xFE:
		m.add("a comment (%s)", size)
	case marker == 0xE0 && (bytes.HasPrefix(id, []byte("JFIF\x00")) || bytes.HasPrefix(id, []byte("JFXX\x00"))):
	case marker == 0xE1 && bytes.HasPrefix(id, []byte("Exif\x00")):
		m.add("EXIF data (%s)", size)
	case marker == 0xE1 && bytes.HasPrefix(id, []byte("http://ns.adobe.com/x")):
		m.add("XMP data (%s)", size)
	case marker == 0xE2 && bytes.HasPrefix(id, []byte("ICC_PROFILE\x00")):
	case marker == 0xE2 && bytes.HasPrefix(id, []byte("MPF\x00")):
		m.add("more pictures (an MPF segment, %s)", size)
	case marker == 0xED:
		m.add("IPTC or Photoshop data (%s)", size)
	case marker == 0xEE && bytes.HasPrefix(id, []byte("Adobe")):
	default:
		m.add("an APP%d segment %q (%s)", marker-0xE0, printable(bytes.SplitN(id, []byte{0}, 2)[0]), size)
	}
}

// nextMarker reads the next marker: 0xFF, any fill bytes 0xFF, then the
// marker's code.
func nextMarker(r *bufio.Reader) (byte, bool) {
	c, err := r.ReadByte()
	if err != nil || c != 0xFF {
		return 0, false
	}
	for {
		c, err = r.ReadByte()
		if err != nil {
			return 0, false
		}
		if c != 0xFF {
			return c, c != 0
		}
	}
}

// skipScan skips entropy-coded data up to the next marker that is not a
// stuffed byte (FF 00) or a restart marker, and returns that marker.
func skipScan(r *bufio.Reader) (byte, bool) {
	for {
		_, err := r.ReadSlice(0xFF)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return 0, false
		}
		c, err := r.ReadByte()
		for err == nil && c == 0xFF {
			c, err = r.ReadByte()
		}
		if err != nil {
			return 0, false
		}
		if c == 0x00 || (c >= 0xD0 && c <= 0xD7) {
			continue
		}
		return c, true
	}
}
