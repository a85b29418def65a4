package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/dbtx"
)

// ChangesFile is the file beside the SQLite database that holds the
// change counter of Changes.
const ChangesFile = "remit.changes"

// fileChanges is a change counter in a file every process maps into its
// memory: a bump is an atomic add in memory shared across processes on
// the host, a read an atomic load.
type fileChanges struct {
	mem     []byte
	counter *atomic.Uint64
}

func openFileChanges(dataDir string) (*fileChanges, error) {
	path := filepath.Join(dataDir, ChangesFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	defer f.Close()
	const size = 4096
	if st, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	} else if st.Size() < size {
		if err := f.Truncate(size); err != nil {
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("store: map %s: %w", path, err)
	}
	// The page is aligned, so its first 8 bytes are a valid atomic word.
	return &fileChanges{mem: mem, counter: (*atomic.Uint64)(unsafe.Pointer(&mem[0]))}, nil
}

func (c *fileChanges) Version() uint64 { return c.counter.Load() }

// written moves the shared counter once tx (if any) has committed.
func (c *fileChanges) written(_ context.Context, tx *ent.Tx, _ ent.Mutation) error {
	if tx != nil {
		dbtx.AfterCommit(tx, func() { c.counter.Add(1) })
		return nil
	}
	c.counter.Add(1)
	return nil
}

func (c *fileChanges) Immediate() bool { return true }

func (c *fileChanges) Close() error { return syscall.Munmap(c.mem) }
