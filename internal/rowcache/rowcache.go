// Package rowcache keeps rows that are read on every request and rarely
// written (API keys, accounts, tax rates) in memory, for as long as the
// database's change signal (store.Changes) says nothing of the kind
// changed, in this process or another.
package rowcache

import (
	"sync"
	"sync/atomic"
)

// Versioner is the change signal: its version moves whenever a cached
// table is written.
type Versioner interface {
	Version() uint64
	// Immediate reports whether a write by any process moves the version
	// before the writer goes on (else it moves moments later).
	Immediate() bool
}

// maxEntries bounds a cache; past it, the cache starts over.
const maxEntries = 10_000

// Cache maps K to V, valid for one version of the signal.
type Cache[K comparable, V any] struct {
	signal  Versioner
	mu      sync.RWMutex
	version uint64
	rows    map[K]V
}

// New returns an empty cache following signal.
func New[K comparable, V any](signal Versioner) *Cache[K, V] {
	return &Cache[K, V]{signal: signal, rows: map[K]V{}}
}

// Get returns the row of k, from memory while the signal has not moved
// since it was read, else from load. The version is taken before load
// reads, so a write committed meanwhile leaves the row stale under the
// old version, never under the new one.
func (c *Cache[K, V]) Get(k K, load func() (V, error)) (V, error) {
	v := c.signal.Version()
	c.mu.RLock()
	row, ok := c.rows[k]
	fresh := ok && c.version == v
	c.mu.RUnlock()
	if fresh {
		return row, nil
	}
	row, err := load()
	if err != nil {
		return row, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version != v {
		if c.signal.Version() != v {
			// Changed again while loading: keep nothing.
			return row, nil
		}
		clear(c.rows)
		c.version = v
	}
	if len(c.rows) >= maxEntries {
		clear(c.rows)
	}
	c.rows[k] = row
	return row, nil
}

// Never is a signal that moves on every read: nothing is kept. For tools
// that build services without a store, and for configuration tests.
type Never struct{}

var never atomic.Uint64

// Version returns a new value each time.
func (Never) Version() uint64 { return never.Add(1) }

// Immediate is true: nothing kept is never stale.
func (Never) Immediate() bool { return true }
