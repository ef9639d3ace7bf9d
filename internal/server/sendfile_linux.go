package server

import (
	"fmt"
	"io"
	"net"
	"syscall"
)

// sendRegion sends a file region with sendfile(2), which copies from the
// page cache to the socket inside the kernel. The file offset is passed
// explicitly, so concurrent senders of one file do not disturb each other.
func sendRegion(nc net.Conn, r *FileRegion) (int64, error) {
	tc, ok := nc.(syscall.Conn)
	if !ok {
		return copyRegion(nc, r)
	}
	dst, err := tc.SyscallConn()
	if err != nil {
		return copyRegion(nc, r)
	}
	fc, err := r.File.SyscallConn()
	if err != nil {
		return copyRegion(nc, r)
	}
	var src int
	if err := fc.Control(func(fd uintptr) { src = int(fd) }); err != nil {
		return 0, err
	}
	off, remain := r.Offset, r.Size
	var serr error
	werr := dst.Write(func(fd uintptr) bool {
		for remain > 0 {
			n, err := syscall.Sendfile(int(fd), src, &off, int(min(remain, 1<<30)))
			if n > 0 {
				remain -= int64(n)
			}
			switch {
			case err == syscall.EAGAIN:
				return false // wait until the socket is writable
			case err == syscall.EINTR:
				continue
			case err != nil:
				serr = err
				return true
			case n == 0:
				serr = fmt.Errorf("server: file region ends %d bytes early: %w", remain, io.ErrUnexpectedEOF)
				return true
			}
		}
		return true
	})
	sent := r.Size - remain
	if serr != nil {
		return sent, serr
	}
	return sent, werr
}
