package document

import (
	"net/http"
	"strconv"
	"strings"
)

// WritePDF answers an HTTP request with a rendered document: shown in the
// browser (inline) or downloaded (attachment) as name.pdf, never cached by
// anything between (documents are private to their reader).
func WritePDF(w http.ResponseWriter, pdf []byte, name string, attachment bool) {
	disposition := "inline"
	if attachment {
		disposition = "attachment"
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Disposition", disposition+`; filename="`+safeFilename(name)+`.pdf"`)
	h.Set("Content-Length", strconv.Itoa(len(pdf)))
	h.Set("Cache-Control", "private, no-store")
	_, _ = w.Write(pdf)
}

// safeFilename keeps a file name inside its quoted header parameter:
// printable ASCII without quotes, backslashes or slashes.
func safeFilename(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == '"' || r == '\\' || r == '/' || r > 0x7e {
			return '_'
		}
		return r
	}, s)
}
