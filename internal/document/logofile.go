package document

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
// Everything here runs under engineTurn, one render at a time.

const maxLogoFiles = 64

type logoCache struct {
	dir   string   // created on first use
	order []string // file paths, oldest first
	known map[string]bool
}

var logos logoCache

// path returns the name of a file holding the raster logo prepared for the
// engine (preparedLogo).
func (c *logoCache) path(logo []byte) (string, error) {
	if c.dir == "" {
		dir, err := os.MkdirTemp("", "remit-logos-")
		if err != nil {
			return "", fmt.Errorf("document: logo: %w", err)
		}
		c.dir, c.known = dir, map[string]bool{}
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
