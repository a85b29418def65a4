package document

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// The engine loads <img> sources from files only. Writing a merchant's
// logo to a fresh temporary directory for every document (mkdir, write,
// remove) was a tenth of a branded one-page render, so logos are kept,
// prepared for the engine (logoprep.go), as files named by the SHA-256 of
// the merchant's image in one directory per process, and a render of an
// already seen logo only checks that its file is still there. The engine
// reads an image's type from its content, so the files need no extension.
// The directory holds at most maxLogoFiles logos (at most 512 KB each, see
// internal/branding): the oldest is removed first.
//
// The directory is the process's own, "remit-logos-<pid>-<random>", in
// the data directory when the server has one (SetLogoDir), else in the
// system's temporary directory. Close removes it at shutdown; one left by
// a process that was killed is removed by the next process that makes its
// own there (its pid no longer runs). A directory removed under a live
// process costs it nothing but rewriting its logos (path, write).
//
// Everything here runs under engineTurn, one render at a time.

const maxLogoFiles = 64

const logoDirPrefix = "remit-logos-"

type logoCache struct {
	parent string   // where dir is made; "" is the system's temporary directory
	dir    string   // created on first use
	order  []string // file paths, oldest first
	known  map[string]bool
}

var logos logoCache

// SetLogoDir makes the process keep the logo files it prepares for the PDF
// engine under dir (the server's data directory) rather than in the
// system's temporary directory. It applies to the directory made by the
// next render: call it at start-up.
func SetLogoDir(dir string) {
	engineTurn <- struct{}{}
	defer func() { <-engineTurn }()
	logos.parent = dir
}

// Close removes the process's logo directory; call it when the server shuts
// down. A render after it makes a new directory.
func Close() error {
	engineTurn <- struct{}{}
	defer func() { <-engineTurn }()
	return logos.close()
}

func (c *logoCache) close() error {
	if c.dir == "" {
		return nil
	}
	err := os.RemoveAll(c.dir)
	c.dir, c.order, c.known = "", nil, nil
	if err != nil {
		return fmt.Errorf("document: remove logo files: %w", err)
	}
	return nil
}

// path returns the name of a file holding the raster logo prepared for the
// engine (preparedLogo).
func (c *logoCache) path(logo []byte) (string, error) {
	if c.dir == "" {
		parent := c.parent
		if parent == "" {
			parent = os.TempDir()
		}
		removeOrphanLogoDirs(parent)
		dir, err := os.MkdirTemp(parent, logoDirPrefix+strconv.Itoa(os.Getpid())+"-")
		if err != nil {
			return "", fmt.Errorf("document: logo: %w", err)
		}
		c.dir, c.order, c.known = dir, nil, map[string]bool{}
	}
	sum := sha256.Sum256(logo)
	path := filepath.Join(c.dir, hex.EncodeToString(sum[:]))
	if c.known[path] {
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
		// Removed behind our back (a temporary-files cleaner): write again.
	} else {
		c.order = append(c.order, path)
		c.known[path] = true
	}
	prepared, err := preparedLogo(logo)
	if err != nil {
		return "", err
	}
	if err := c.write(path, prepared); err != nil {
		return "", err
	}
	for len(c.order) > maxLogoFiles {
		oldest := c.order[0]
		c.order = c.order[1:]
		delete(c.known, oldest)
		if err := os.Remove(oldest); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("document: logo: %w", err)
		}
	}
	return path, nil
}

// write creates path with data, the directory included if it was removed.
func (c *logoCache) write(path string, data []byte) error {
	err := os.WriteFile(path, data, 0o600)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(c.dir, 0o700); err == nil {
			err = os.WriteFile(path, data, 0o600)
		}
	}
	if err != nil {
		return fmt.Errorf("document: logo: %w", err)
	}
	return nil
}

// removeOrphanLogoDirs removes the logo directories in parent of processes
// that no longer run (killed before Close). It runs before this process
// makes its own, so one named with its own pid is a dead predecessor's.
func removeOrphanLogoDirs(parent string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), logoDirPrefix)
		pidText, _, ok2 := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || !ok2 || err != nil || pid <= 0 || !e.IsDir() {
			continue
		}
		if pid == os.Getpid() || !processRuns(pid) {
			_ = os.RemoveAll(filepath.Join(parent, e.Name()))
		}
	}
}

// processRuns reports whether pid is a running process (on Unix, signal
// 0 tells; where it cannot tell, it says yes and nothing is removed).
func processRuns(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return !errors.Is(p.Signal(syscall.Signal(0)), os.ErrProcessDone)
}
