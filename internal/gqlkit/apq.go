package gqlkit

import (
	"container/list"
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
)

// Automatic persisted queries (Apollo's protocol, gqlgen's
// extension.AutomaticPersistedQuery): a client sends a query's SHA-256
// alone, and the full query only when the server answers
// PersistedQueryNotFound. The server checks the hash of every query it is
// given, so no caller can store a query under another's hash.
const (
	// apqBytes bounds the text the cache holds, per API.
	apqBytes = 8 << 20
	// apqMaxQuery is the largest query kept: a larger one is served but
	// must be sent whole each time (its hash alone answers
	// PersistedQueryNotFound, and the client falls back).
	apqMaxQuery = 64 << 10
)

// queryCache is a least-recently-used cache of query texts bounded by
// their total size, not by their count: queries may be up to the body
// limit, and a count alone would let a caller pin gigabytes.
type queryCache struct {
	mu    sync.Mutex
	max   int
	size  int
	order *list.List // of *apqEntry, most recent first
	byKey map[string]*list.Element
}

type apqEntry struct{ key, query string }

var _ graphql.Cache[string] = (*queryCache)(nil)

func newQueryCache(max int) *queryCache {
	return &queryCache{max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *queryCache) Get(_ context.Context, key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return "", false
	}
	c.order.MoveToFront(e)
	return e.Value.(*apqEntry).query, true
}

func (c *queryCache) Add(_ context.Context, key, query string) {
	n := len(key) + len(query)
	if len(query) > apqMaxQuery {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok {
		c.order.MoveToFront(e)
		return // same hash, same text: the hash was checked
	}
	c.byKey[key] = c.order.PushFront(&apqEntry{key, query})
	c.size += n
	for c.size > c.max {
		last := c.order.Back()
		old := last.Value.(*apqEntry)
		c.order.Remove(last)
		delete(c.byKey, old.key)
		c.size -= len(old.key) + len(old.query)
	}
}
