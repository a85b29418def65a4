package document

import (
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"unsafe"

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
//     drops the slabs' chunks, which makes their nodes garbage.
//
// The slabs are unexported, so they are reached with go:linkname. That
// depends on the exact layout {chunks []*[8192]T; pos int} of
// boxesandglue's backend/node.slab, so it is enabled only for the version
// it was written against (slabVersion), and the test TestMemoryIsReleased
// fails when rendering stops releasing memory. Dropping a chunk list never
// frees or reuses memory that is still referenced: the garbage collector
// keeps a chunk alive as long as anything points into it.

// engineTurn is held (a value sent) while a document is typeset.
var engineTurn = make(chan struct{}, 1)

// slabVersion is the boxesandglue version whose node slabs releaseEngineMemory
// knows. Upgrading boxesandglue disables the release (memory grows again)
// until this is checked against the new backend/node/arena.go and bumped.
const slabVersion = "v0.2.38"

// slabHeader mirrors backend/node.slab[T]: a slice of chunk pointers (same
// size and pointer shape for every T) and the next free slot.
type slabHeader struct {
	chunks []unsafe.Pointer
	pos    int
}

//go:linkname glyphSlab github.com/boxesandglue/boxesandglue/backend/node.glyphSlab
var glyphSlab slabHeader

//go:linkname glueSlab github.com/boxesandglue/boxesandglue/backend/node.glueSlab
var glueSlab slabHeader

//go:linkname kernSlab github.com/boxesandglue/boxesandglue/backend/node.kernSlab
var kernSlab slabHeader

//go:linkname hlistSlab github.com/boxesandglue/boxesandglue/backend/node.hlistSlab
var hlistSlab slabHeader

//go:linkname vlistSlab github.com/boxesandglue/boxesandglue/backend/node.vlistSlab
var vlistSlab slabHeader

//go:linkname penaltySlab github.com/boxesandglue/boxesandglue/backend/node.penaltySlab
var penaltySlab slabHeader

//go:linkname ruleSlab github.com/boxesandglue/boxesandglue/backend/node.ruleSlab
var ruleSlab slabHeader

//go:linkname discSlab github.com/boxesandglue/boxesandglue/backend/node.discSlab
var discSlab slabHeader

//go:linkname langSlab github.com/boxesandglue/boxesandglue/backend/node.langSlab
var langSlab slabHeader

//go:linkname startStopSlab github.com/boxesandglue/boxesandglue/backend/node.startStopSlab
var startStopSlab slabHeader

//go:linkname imageSlab github.com/boxesandglue/boxesandglue/backend/node.imageSlab
var imageSlab slabHeader

//go:linkname hardBreakSlab github.com/boxesandglue/boxesandglue/backend/node.hardBreakSlab
var hardBreakSlab slabHeader

var slabs = [...]*slabHeader{
	&glyphSlab, &glueSlab, &kernSlab, &hlistSlab, &vlistSlab, &penaltySlab,
	&ruleSlab, &discSlab, &langSlab, &startStopSlab, &imageSlab, &hardBreakSlab,
}

const slabChunkSize = 8192

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

// slabsLookSane guards against a layout the code does not know: each
// header must look like a slice of non-nil chunk pointers and an index
// inside the last chunk.
func slabsLookSane() bool {
	for _, s := range slabs {
		n := len(s.chunks)
		if n > cap(s.chunks) || s.pos < 0 || s.pos > slabChunkSize || (n == 0 && s.pos != 0) {
			return false
		}
		for _, c := range s.chunks {
			if c == nil {
				return false
			}
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
		// Drop every chunk, the partly used last one too: a chunk holds
		// nodes of many documents, and any live node keeps its whole
		// document (fonts, pages) reachable.
		s.chunks, s.pos = nil, 0
	}
}
