package document

import (
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	_ "unsafe" // go:linkname

	"github.com/boxesandglue/boxesandglue/backend/node"
)

// The PDF engine (boxesandglue v0.2.38, under bagme) has two process-wide
// defects that this file contains:
//
//  1. It is not safe for concurrent use. Nodes (glyphs, glue, boxes) come
//     from package-level slab allocators without locking, and htmlbag keeps
//     parser state in package variables: two documents typeset at once
//     corrupt each other (seen under -race, and as a linebreaker that never
//     returns). engineTurn, a one-slot semaphore (so that a waiting
//     render can give up when its context ends), therefore serializes
//     every use of the engine in the process: one core renders PDFs,
//     whatever GOMAXPROCS says.
//
//  2. The slabs only grow: every node of every document stays reachable
//     from package scope, about 5 MB per one-page invoice, so a server
//     would run out of memory after a few hundred invoices (upstream
//     boxesandglue issue #21). After each document, releaseEngineMemory
//     drops the slabs' chunks but the first of each slab, which makes
//     their nodes garbage, and clears the first chunks for the next
//     document.
//
// The slabs are unexported, so they are reached with go:linkname. That
// depends on the exact layout {chunks []*[8192]T; pos int} of
// boxesandglue's backend/node.slab, so it is enabled only for the version
// it was written against (slabVersion), and the test TestMemoryIsReleased
// fails when rendering stops releasing memory.
//
// Reusing the first chunk of every slab (about 11 MB in all, kept for the
// life of the process) saves allocating and zeroing as much for every
// document, a quarter of the time of a one-page invoice. It overwrites
// the nodes of the previous document, which is safe because nothing
// reads them once Render has returned: the engine keeps no node in
// package state (htmlbag, frontend and bagme were checked for v0.2.38 /
// v0.0.37 / v0.0.12; the caches of enginecache.go hold fonts and
// hyphenation patterns, no nodes), Render keeps nothing of a document but
// its PDF bytes, and the slots are cleared before the engine hands them
// out again, as zero values like fresh ones. The other chunks are only
// dropped: the garbage collector keeps them alive as long as anything
// points into them.

// engineTurn is held (a value sent) while a document is typeset.
var engineTurn = make(chan struct{}, 1)

// slabVersion is the boxesandglue version whose node slabs releaseEngineMemory
// knows. Upgrading boxesandglue disables the release (memory grows again)
// until this is checked against the new backend/node/arena.go and bumped.
const slabVersion = "v0.2.38"

// slabOf mirrors backend/node.slab[T]: the chunks (fixed-size arrays,
// filled in order) and the next free slot in the last one.
type slabOf[T any] struct {
	chunks []*[slabChunkSize]T
	pos    int
}

const slabChunkSize = 8192

//go:linkname glyphSlab github.com/boxesandglue/boxesandglue/backend/node.glyphSlab
var glyphSlab slabOf[node.Glyph]

//go:linkname glueSlab github.com/boxesandglue/boxesandglue/backend/node.glueSlab
var glueSlab slabOf[node.Glue]

//go:linkname kernSlab github.com/boxesandglue/boxesandglue/backend/node.kernSlab
var kernSlab slabOf[node.Kern]

//go:linkname hlistSlab github.com/boxesandglue/boxesandglue/backend/node.hlistSlab
var hlistSlab slabOf[node.HList]

//go:linkname vlistSlab github.com/boxesandglue/boxesandglue/backend/node.vlistSlab
var vlistSlab slabOf[node.VList]

//go:linkname penaltySlab github.com/boxesandglue/boxesandglue/backend/node.penaltySlab
var penaltySlab slabOf[node.Penalty]

//go:linkname ruleSlab github.com/boxesandglue/boxesandglue/backend/node.ruleSlab
var ruleSlab slabOf[node.Rule]

//go:linkname discSlab github.com/boxesandglue/boxesandglue/backend/node.discSlab
var discSlab slabOf[node.Disc]

//go:linkname langSlab github.com/boxesandglue/boxesandglue/backend/node.langSlab
var langSlab slabOf[node.Lang]

//go:linkname startStopSlab github.com/boxesandglue/boxesandglue/backend/node.startStopSlab
var startStopSlab slabOf[node.StartStop]

//go:linkname imageSlab github.com/boxesandglue/boxesandglue/backend/node.imageSlab
var imageSlab slabOf[node.Image]

//go:linkname hardBreakSlab github.com/boxesandglue/boxesandglue/backend/node.hardBreakSlab
var hardBreakSlab slabOf[node.HardBreak]

// engineSlab is a slabOf[T] of any node type.
type engineSlab interface {
	sane() bool
	reset()
}

var slabs = [...]engineSlab{
	&glyphSlab, &glueSlab, &kernSlab, &hlistSlab, &vlistSlab, &penaltySlab,
	&ruleSlab, &discSlab, &langSlab, &startStopSlab, &imageSlab, &hardBreakSlab,
}

// sane guards against a layout the code does not know: the header must
// look like a slice of non-nil chunk pointers and an index inside the last
// chunk.
func (s *slabOf[T]) sane() bool {
	n := len(s.chunks)
	if n > cap(s.chunks) || s.pos < 0 || s.pos > slabChunkSize || (n == 0 && s.pos != 0) {
		return false
	}
	for _, c := range s.chunks {
		if c == nil {
			return false
		}
	}
	return true
}

// reset empties the slab for the next document. It keeps the first chunk,
// cleared, for reuse (allocating and zeroing a fresh chunk of every node
// type for every document costs about a tenth of a one-page render), and
// drops the others, so the slabs hold at most one chunk per node type
// between documents.
func (s *slabOf[T]) reset() {
	n := len(s.chunks)
	if n == 0 {
		return
	}
	used := slabChunkSize // the first chunk is full unless it is the last
	if n == 1 {
		used = s.pos
	}
	clear(s.chunks[0][:used]) // alloc hands out slots as zero values
	clear(s.chunks[1:])       // drop the pointers the backing array keeps
	s.chunks, s.pos = s.chunks[:1], 0
}

// slabReleaseEnabled reports whether the linked boxesandglue is the version
// the slab layout was checked against: from the build information of a
// built binary, or else (test binaries record no dependencies) from the
// source path the backend/node package was compiled from, which carries
// the module version ("…/boxesandglue@v0.2.38/backend/node/…", also under
// -trimpath).
var slabReleaseEnabled = sync.OnceValue(func() bool {
	const module = "github.com/boxesandglue/boxesandglue"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == module {
				return dep.Replace == nil && dep.Version == slabVersion
			}
		}
	}
	fn := runtime.FuncForPC(reflect.ValueOf(node.NewGlyph).Pointer())
	if fn == nil {
		return false
	}
	file, _ := fn.FileLine(fn.Entry())
	return strings.Contains(filepath.ToSlash(file), "boxesandglue@"+slabVersion+"/backend/node/")
})

// slabsLookSane reports whether every slab header looks like the layout
// this file knows.
func slabsLookSane() bool {
	for _, s := range slabs {
		if !s.sane() {
			return false
		}
	}
	return true
}

var slabReleaseBroken bool // set once a sanity check failed; guarded by engineTurn

// releaseEngineMemory forgets the node slabs' chunks once a document is
// finished. The caller holds engineTurn and no document is in progress.
func releaseEngineMemory() {
	if slabReleaseBroken || !slabReleaseEnabled() {
		return
	}
	if !slabsLookSane() {
		slabReleaseBroken = true
		return
	}
	for _, s := range slabs {
		s.reset()
	}
}
