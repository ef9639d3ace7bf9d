//go:build !linux

package server

import "net"

func sendRegion(nc net.Conn, r *FileRegion) (int64, error) { return copyRegion(nc, r) }
