package vfs

import (
	"io/fs"
	"os"
	"sync"
	"syscall"
)

// Op names a filesystem operation that a FaultFS can fail.
type Op int

const (
	OpOpen Op = iota
	OpWrite
	OpSync
	OpTruncate
	OpRename
	OpRemove
	OpSyncDir
)

func (o Op) String() string {
	return [...]string{"open", "write", "sync", "truncate", "rename", "remove", "syncdir"}[o]
}

// ErrNoSpace is the error a full disk gives, for tests to inject.
var ErrNoSpace error = syscall.ENOSPC

// A Fault is what an injector decides for one operation.
type Fault struct {
	// Err is returned by the operation.
	Err error
	// Written applies to writes: that many bytes of the buffer reach the
	// file before Err is returned (a short or torn write). Zero writes
	// nothing.
	Written int
}

// An Injector is consulted before every operation; it returns nil to let the
// operation through. n is the write length for OpWrite and 0 otherwise.
type Injector func(op Op, path string, n int) *Fault

// FaultFS wraps an FS and fails operations as its injector decides. The
// injector can be replaced at any time.
type FaultFS struct {
	FS FS

	mu     sync.Mutex
	inject Injector
}

// NewFaultFS wraps fsys with no faults armed.
func NewFaultFS(fsys FS) *FaultFS { return &FaultFS{FS: fsys} }

// SetInjector arms inj (nil disarms).
func (f *FaultFS) SetInjector(inj Injector) {
	f.mu.Lock()
	f.inject = inj
	f.mu.Unlock()
}

func (f *FaultFS) check(op Op, path string, n int) *Fault {
	f.mu.Lock()
	inj := f.inject
	f.mu.Unlock()
	if inj == nil {
		return nil
	}
	return inj(op, path, n)
}

func (f *FaultFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	if ft := f.check(OpOpen, name, 0); ft != nil {
		return nil, ft.Err
	}
	file, err := f.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, fs: f}, nil
}

func (f *FaultFS) Remove(name string) error {
	if ft := f.check(OpRemove, name, 0); ft != nil {
		return ft.Err
	}
	return f.FS.Remove(name)
}

func (f *FaultFS) RemoveAll(name string) error {
	if ft := f.check(OpRemove, name, 0); ft != nil {
		return ft.Err
	}
	return f.FS.RemoveAll(name)
}

func (f *FaultFS) Rename(oldname, newname string) error {
	if ft := f.check(OpRename, oldname, 0); ft != nil {
		return ft.Err
	}
	return f.FS.Rename(oldname, newname)
}

func (f *FaultFS) MkdirAll(name string, perm os.FileMode) error { return f.FS.MkdirAll(name, perm) }
func (f *FaultFS) ReadDir(name string) ([]fs.DirEntry, error)   { return f.FS.ReadDir(name) }
func (f *FaultFS) Stat(name string) (os.FileInfo, error)        { return f.FS.Stat(name) }

func (f *FaultFS) SyncDir(name string) error {
	if ft := f.check(OpSyncDir, name, 0); ft != nil {
		return ft.Err
	}
	return f.FS.SyncDir(name)
}

type faultFile struct {
	File
	fs *FaultFS
}

// OSFile hides the real file so that callers take the copying path, which
// is the one the faults apply to.
func (f *faultFile) OSFile() *os.File { return nil }

func (f *faultFile) WriteAt(p []byte, off int64) (int, error) {
	if ft := f.fs.check(OpWrite, f.Name(), len(p)); ft != nil {
		n := min(max(ft.Written, 0), len(p))
		if n > 0 {
			if w, err := f.File.WriteAt(p[:n], off); err != nil {
				return w, err
			}
		}
		return n, ft.Err
	}
	return f.File.WriteAt(p, off)
}

func (f *faultFile) Sync() error {
	if ft := f.fs.check(OpSync, f.Name(), 0); ft != nil {
		return ft.Err
	}
	return f.File.Sync()
}

func (f *faultFile) Truncate(size int64) error {
	if ft := f.fs.check(OpTruncate, f.Name(), 0); ft != nil {
		return ft.Err
	}
	return f.File.Truncate(size)
}
