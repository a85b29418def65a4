package document

import (
	"bytes"
	"fmt"
	"os"
	"testing"
)

// A logo file removed between renders (a temporary-files cleaner) is
// written again, and the document does not change.
func TestLogoFileRemovedBetweenRenders(t *testing.T) {
	inv := sampleInvoice("en")
	inv.Branding = Branding{Logo: testPNG(t), LogoMIME: "image/png"}
	first := render(t, inv)
	engineTurn <- struct{}{} // logos is guarded by the engine's turn
	dir := logos.dir
	<-engineTurn
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if again := render(t, inv); !bytes.Equal(first, again) {
		t.Error("the document changed after its logo file was removed")
	}
}

func TestLogoCacheIsBounded(t *testing.T) {
	var c logoCache
	t.Cleanup(func() { os.RemoveAll(c.dir) })
	var paths []string
	for i := range maxLogoFiles + 3 {
		p, err := c.path(&logoData{data: fmt.Appendf(nil, "logo %d", i), ext: ".png"})
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	again, err := c.path(&logoData{data: []byte("logo 10"), ext: ".png"})
	if err != nil {
		t.Fatal(err)
	}
	if again != paths[10] {
		t.Errorf("the same logo got a second file: %s, %s", again, paths[10])
	}
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != maxLogoFiles {
		t.Errorf("%d files kept, want %d", len(entries), maxLogoFiles)
	}
	for i, p := range paths {
		_, err := os.Stat(p)
		if evicted := i < 3; evicted != os.IsNotExist(err) {
			t.Errorf("logo %d: evicted %v, stat error %v", i, evicted, err)
		}
		if data, err := os.ReadFile(p); err == nil && string(data) != fmt.Sprintf("logo %d", i) {
			t.Errorf("logo %d holds %q", i, data)
		}
	}
}
