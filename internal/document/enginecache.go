package document

import (
	"compress/zlib"
	"io"
	"reflect"
	"slices"
	"sync"
	"unsafe"

	pdf "github.com/boxesandglue/baseline-pdf"
	pdfdoc "github.com/boxesandglue/boxesandglue/backend/document"
	"github.com/boxesandglue/boxesandglue/frontend"
	"github.com/boxesandglue/textshape/ot"
)

// Per-document set-up work of the engine that this file does once per
// process instead, with the same results:
//
//   - frontend.NewForWriter parses the English hyphenation patterns for
//     every document (Doc.DefaultLanguage), a tenth of a one-page render.
//     newFrontend builds the document like NewForWriter, but shares one
//     parsed pattern set (read-only once built).
//
//   - Each document parses the TeX Gyre Heros fonts it uses again and
//     builds a shaper for them (the GPOS kerning tables alone are most
//     of that). attachFaces gives the document's regular and bold sans
//     faces a parsed font and shaper kept from the first document; only
//     the per-document state (used glyphs, PDF object, resource name) is
//     new.
//
// Both reach unexported fields with reflect, so they are enabled only
// when boxesandglue is the version they were checked against (the same
// guard as the slab release in engine.go) and the structs have exactly
// the fields listed here; otherwise rendering takes the engine's own path.
// Everything here runs under engineTurn.

// frontendFields are the fields of frontend.Document (v0.2.38).
var frontendFields = []string{
	"FontFamilies", "Doc", "fontlocal", "usedcolors", "usedSpotcolors", "usedFonts",
	"variationFaces", "DefaultFeatures", "MissingGlyphFunc", "coverageCache", "dirstack",
	"postLinebreakCallback", "suppressInfo",
}

// faceFields are the fields of baseline-pdf's Face (v1.1.18).
var faceFields = []string{
	"Shaper", "usedChar", "glyphComponents", "fontobject", "pw", "face", "glyphMap",
	"VariationSettings", "Filename", "PostscriptName", "FaceID", "Scale", "UnitsPerEM",
}

func fieldNames(t reflect.Type) []string {
	names := make([]string, t.NumField())
	for i := range names {
		names[i] = t.Field(i).Name
	}
	return names
}

// settable returns v's field i, writable even if unexported.
func settable(v reflect.Value, i int) reflect.Value {
	f := v.Field(i)
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

// frontendTemplate is a document made by frontend.NewForWriter that
// newFrontend copies, or nil when copying is not possible.
var frontendTemplate = sync.OnceValue(func() *frontend.Document {
	if !slabReleaseEnabled() || !slices.Equal(fieldNames(reflect.TypeFor[frontend.Document]()), frontendFields) {
		return nil
	}
	t, err := frontend.NewForWriter(io.Discard)
	if err != nil || t.Doc.DefaultLanguage == nil {
		return nil
	}
	// Besides Doc, NewForWriter sets only empty maps and the callback
	// list; anything else would be state that newFrontend does not know.
	v := reflect.ValueOf(t).Elem()
	for i := range v.NumField() {
		f := settable(v, i)
		switch {
		case v.Type().Field(i).Name == "Doc":
		case f.Kind() == reflect.Map:
			if f.Len() != 0 {
				return nil
			}
		case f.Kind() == reflect.Slice:
		case !f.IsZero():
			return nil
		}
	}
	return t
})

// newFrontend returns what frontend.NewForWriter(w) returns, without
// parsing the hyphenation patterns again.
func newFrontend(w io.Writer) (*frontend.Document, error) {
	t := frontendTemplate()
	if t == nil {
		return frontend.NewForWriter(w)
	}
	fe := new(frontend.Document)
	src, dst := reflect.ValueOf(t).Elem(), reflect.ValueOf(fe).Elem()
	for i := range src.NumField() {
		s, d := settable(src, i), settable(dst, i)
		switch s.Kind() {
		case reflect.Map:
			d.Set(reflect.MakeMap(s.Type()))
		case reflect.Slice:
			if !s.IsNil() {
				c := reflect.MakeSlice(s.Type(), s.Len(), s.Len())
				reflect.Copy(c, s)
				d.Set(c)
			}
		}
	}
	fe.Doc = pdfdoc.NewDocument(w)
	fe.Doc.DefaultLanguage = t.Doc.DefaultLanguage
	return fe, nil
}

// faceReuseEnabled reports whether attachFaces may fill in font faces.
var faceReuseEnabled = sync.OnceValue(func() bool {
	if !slabReleaseEnabled() || !slices.Equal(fieldNames(reflect.TypeFor[pdf.Face]()), faceFields) {
		return false
	}
	f, ok := reflect.TypeFor[frontend.FontSource]().FieldByName("face")
	if !ok || f.Type != reflect.TypeFor[*pdf.Face]() {
		return false
	}
	c, ok := reflect.TypeFor[pdf.PDF]().FieldByName("idCounter")
	return ok && c.Type.Kind() == reflect.Int64
})

type faceKey struct {
	data  *byte
	size  int
	index int
}

// faceTemplates are faces loaded once, by font data; guarded by engineTurn.
var faceTemplates = map[faceKey]*pdf.Face{}

// sharedFaces are the faces attachFaces fills in, in the order in which
// every invoice first uses them (the title is bold), so that the object
// numbers are those the engine would give them.
var sharedFaces = []struct {
	weight frontend.FontWeight
	style  frontend.FontStyle
}{
	{frontend.FontWeight700, frontend.FontStyleNormal},
	{frontend.FontWeight400, frontend.FontStyleNormal},
}

// attachFaces loads the regular and bold members of the family "sans" into
// fe as frontend.Document.LoadFace would on their first use, but from
// faces parsed once per process. Every invoice uses both: a face loaded
// but never used would be an unwritten PDF object.
func attachFaces(fe *frontend.Document) error {
	ff := fe.FindFontFamily("sans")
	if ff == nil || !faceReuseEnabled() {
		return nil
	}
	for _, m := range sharedFaces {
		fs, err := ff.GetFontSource(m.weight, m.style)
		if err != nil || fs.Location != "" || len(fs.Data) == 0 || fs.VariationSettings != nil {
			continue
		}
		slot := reflect.ValueOf(fs).Elem().FieldByName("face")
		slot = reflect.NewAt(slot.Type(), unsafe.Pointer(slot.UnsafeAddr())).Elem()
		if !slot.IsNil() {
			continue
		}
		key := faceKey{&fs.Data[0], len(fs.Data), fs.Index}
		t := faceTemplates[key]
		if t == nil {
			if t, err = pdf.NewPDFWriter(io.Discard).NewFaceFromData(fs.Data, fs.Index); err != nil {
				return err
			}
			pruneDefaultFeatures(t.Shaper, t.OTFace().Font)
			withoutLayoutTables(t)
			faceTemplates[key] = t
		}
		f := newFace(t, fe.Doc.PDFWriter)
		fe.Doc.Faces = append(fe.Doc.Faces, f)
		slot.Set(reflect.ValueOf(f))
	}
	return nil
}

// newFace returns what pw.NewFaceFromData returns for t's font: the
// parsed font and shaper of t, the per-document fields new.
func newFace(t *pdf.Face, pw *pdf.PDF) *pdf.Face {
	f := new(pdf.Face)
	*f = *t
	v := reflect.ValueOf(f).Elem()
	for i := range v.NumField() {
		fv := settable(v, i)
		switch v.Type().Field(i).Name {
		case "usedChar", "glyphComponents":
			fv.Set(reflect.MakeMap(fv.Type()))
		case "glyphMap":
			fv.SetZero()
		case "pw":
			fv.Set(reflect.ValueOf(pw))
		}
	}
	// FaceID = pw.nextID(), then fontobject = pw.NewObject(), as in
	// NewFaceFromData.
	pv := reflect.ValueOf(pw).Elem()
	c := pv.FieldByName("idCounter")
	c = reflect.NewAt(c.Type(), unsafe.Pointer(c.UnsafeAddr())).Elem()
	c.SetInt(c.Int() + 1)
	f.FaceID = int(c.Int())
	obj := v.FieldByName("fontobject")
	obj = reflect.NewAt(obj.Type(), unsafe.Pointer(obj.UnsafeAddr())).Elem()
	obj.Set(reflect.ValueOf(pw.NewObject()))
	return f
}

// pruneDefaultFeatures drops from s's default features (the HarfBuzz
// defaults) those that the font f has in neither its GSUB nor its GPOS
// feature list. The shaper looks every default feature up in both lists
// on every call, a linear scan of 162 GSUB features for TeX Gyre Heros,
// and drops the features it does not find: without them it finds and
// applies the same lookups (liga, kern) in less time. kern stays in any
// case, since without GPOS kerning it enables the kern table fallback.
func pruneDefaultFeatures(s *ot.Shaper, f *ot.Font) {
	if s == nil || f == nil {
		return
	}
	has := map[ot.Tag]bool{ot.TagKern: true}
	for _, tag := range []ot.Tag{ot.TagGSUB, ot.TagGPOS} {
		if !f.HasTable(tag) {
			continue
		}
		data, err := f.TableData(tag)
		if err != nil {
			return
		}
		var fl *ot.FeatureList
		if tag == ot.TagGSUB {
			var t *ot.GSUB
			if t, err = ot.ParseGSUB(data); err == nil {
				fl, err = t.ParseFeatureList()
			}
		} else {
			var t *ot.GPOS
			if t, err = ot.ParseGPOS(data); err == nil {
				fl, err = t.ParseFeatureList()
			}
		}
		if err != nil {
			return
		}
		for i := range fl.Count() {
			r, err := fl.GetFeature(i)
			if err != nil {
				return
			}
			has[r.Tag] = true
		}
	}
	var keep []ot.Feature
	for _, ft := range s.GetDefaultFeatures() {
		if ft.Value == 0 || has[ft.Tag] {
			keep = append(keep, ft)
		}
	}
	s.SetDefaultFeatures(keep)
}

// withoutLayoutTables gives t, for everything but shaping (t.Shaper keeps
// the whole font), a view of its font without the GSUB and GPOS tables.
// The PDF writer subsets a face's font with subset.FlagDropLayoutTables,
// which neither uses nor writes those tables, but the subsetter still
// parses them on every document: for TeX Gyre Heros and its kerning pairs
// that is most of the subsetting time. Metrics, cmap and CFF outlines are
// the same tables of the same bytes, so the subset is the same.
func withoutLayoutTables(t *pdf.Face) {
	full := t.OTFace()
	if full == nil || full.Font == nil || !slices.Equal(fieldNames(reflect.TypeFor[ot.Font]()), []string{"tables", "data"}) {
		return
	}
	f := new(ot.Font)
	*f = *full.Font
	v := reflect.ValueOf(f).Elem()
	tables := settable(v, 0)
	if tables.Kind() != reflect.Map || tables.Type().Key() != reflect.TypeFor[ot.Tag]() {
		return
	}
	kept := reflect.MakeMap(tables.Type())
	for it := tables.MapRange(); it.Next(); {
		if tag := ot.Tag(it.Key().Uint()); tag != ot.TagGSUB && tag != ot.TagGPOS {
			kept.SetMapIndex(it.Key(), it.Value())
		}
	}
	tables.Set(kept)
	face, err := ot.NewFace(f)
	if err != nil || face.Upem() != full.Upem() || face.IsCFF() != full.IsCFF() {
		return
	}
	slot := reflect.ValueOf(t).Elem().FieldByName("face")
	reflect.NewAt(slot.Type(), unsafe.Pointer(slot.UnsafeAddr())).Elem().Set(reflect.ValueOf(face))
}

// sharedZlib is the one stream compressor of every document (guarded by
// engineTurn). baseline-pdf gives each PDF writer its own zlib.Writer at
// the default level, whose deflate state (about 1 MB) is allocated and
// initialised again for every document on its first stream; the writer
// is Reset before each stream, so sharing it changes nothing else. Level
// BestSpeed compresses the fonts and pages of a one-page invoice about
// 1 ms faster than the default, for a PDF about 7 % larger (~2 KB).
var sharedZlib = sync.OnceValue(func() *zlib.Writer {
	f, ok := reflect.TypeFor[pdf.PDF]().FieldByName("zlibWriter")
	if !ok || f.Type != reflect.TypeFor[*zlib.Writer]() || !slabReleaseEnabled() {
		return nil
	}
	w, _ := zlib.NewWriterLevel(io.Discard, zlib.BestSpeed)
	return w
})

// shareCompressor makes pw use sharedZlib.
func shareCompressor(pw *pdf.PDF) {
	z := sharedZlib()
	if z == nil || pw == nil {
		return
	}
	slot := reflect.ValueOf(pw).Elem().FieldByName("zlibWriter")
	reflect.NewAt(slot.Type(), unsafe.Pointer(slot.UnsafeAddr())).Elem().Set(reflect.ValueOf(z))
}
