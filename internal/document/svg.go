package document

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// SVG logos are drawn by the engine's SVG reader (boxesandglue/svgreader
// v0.0.4), which draws the basic shapes, paths, groups, linear gradients
// and text, but which receives them through an HTML parser and the style
// cascade (htmlbag): a style="…" attribute or a class matching a rule of
// invoice.css comes out of the cascade as an attribute named "!fill" that
// the SVG reader's XML parser refuses, and the whole document fails.
// Design tools write style="…" on nearly every element, and they write
// single-quoted attributes, comments, <?xml?>, DOCTYPE, <title>, editor
// metadata in their own namespaces.
//
// cleanSVG therefore rewrites a logo into the small, canonical dialect the
// reader draws, for storage (so that what the hosted page, the portal and
// the API serve is the same clean file) and again, idempotently, at render
// time (for logos stored before):
//
//   - one <svg> root in the SVG namespace; only the elements the reader
//     draws (svgKeep) are kept, everything else is dropped with its whole
//     subtree: script, style, foreignObject, image, use, a, title, desc,
//     metadata, elements of other namespaces (Inkscape, Illustrator…);
//   - only the attributes the reader uses (svgAttrs); style="…" becomes
//     the equivalent presentation attributes, which it overrides as CSS
//     does; a paint that is not a local url(#id) reference is dropped, so
//     nothing points outside the file; event handlers, href, class and
//     every other attribute are dropped;
//   - processing instructions, comments and DOCTYPE are dropped; an entity
//     other than XML's five is refused (the parser does not expand them);
//     text is kept only inside <text>, escaped (CDATA included);
//   - an element hidden by display:none or visibility:hidden is dropped
//     (the reader would draw it);
//   - presentation attributes on the root, which the reader ignores there,
//     move to a <g> around its content;
//   - attributes are written double-quoted and escaped.
//
// A file with nothing left to draw is refused.

const svgNS = "http://www.w3.org/2000/svg"

// svgKeep lists the elements kept and, for each, the children it may have
// ("#text": character data).
var svgKeep = map[string]map[string]bool{
	"svg":            svgContainer,
	"g":              svgContainer,
	"defs":           {"linearGradient": true},
	"linearGradient": {"stop": true},
	"stop":           {},
	"path":           {},
	"rect":           {},
	"circle":         {},
	"ellipse":        {},
	"line":           {},
	"polyline":       {},
	"polygon":        {},
	"text":           {"tspan": true, "#text": true},
	"tspan":          {"tspan": true, "#text": true},
}

var svgContainer = map[string]bool{
	"g": true, "defs": true, "linearGradient": true, "path": true, "rect": true,
	"circle": true, "ellipse": true, "line": true, "polyline": true, "polygon": true,
	"text": true,
}

// svgShapes are the elements that draw something.
var svgShapes = map[string]bool{
	"path": true, "rect": true, "circle": true, "ellipse": true, "line": true,
	"polyline": true, "polygon": true, "text": true,
}

// svgPresentation are the properties the reader understands, as
// attributes or in style="…".
var svgPresentation = map[string]bool{
	"fill": true, "fill-opacity": true, "fill-rule": true, "stroke": true,
	"stroke-width": true, "stroke-opacity": true, "stroke-linecap": true,
	"stroke-linejoin": true, "stroke-dasharray": true, "stroke-dashoffset": true,
	"stroke-miterlimit": true, "opacity": true, "font-family": true,
	"font-size": true, "font-weight": true, "font-style": true,
	"text-anchor": true, "stop-color": true, "stop-opacity": true,
}

// svgAttrs are the other attributes kept.
var svgAttrs = map[string]bool{
	"x": true, "y": true, "width": true, "height": true, "rx": true, "ry": true,
	"cx": true, "cy": true, "r": true, "x1": true, "y1": true, "x2": true, "y2": true,
	"points": true, "d": true, "transform": true, "offset": true,
	"gradientUnits": true, "gradientTransform": true, "viewBox": true,
	"preserveAspectRatio": true,
}

// svgLimits bound the work on a hostile file (512 KB at most anyway).
const (
	svgMaxDepth    = 64
	svgMaxElements = 20000
)

var (
	svgID       = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$`)
	svgLocalURL = regexp.MustCompile(`^url\(\s*['"]?#([A-Za-z_][A-Za-z0-9_.:-]{0,127})['"]?\s*\)$`)
	svgLength   = regexp.MustCompile(`^[0-9]*\.?[0-9]+(px|pt|mm|cm|in)?$`)
)

type svgAttr struct{ name, value string }

// svgNode is an element kept, or text (name "").
type svgNode struct {
	name     string
	attrs    []svgAttr
	text     string
	children []*svgNode
}

func (n *svgNode) get(name string) (string, bool) {
	for _, a := range n.attrs {
		if a.name == name {
			return a.value, true
		}
	}
	return "", false
}

func (n *svgNode) set(name, value string) {
	for i, a := range n.attrs {
		if a.name == name {
			n.attrs[i].value = value
			return
		}
	}
	n.attrs = append(n.attrs, svgAttr{name, value})
}

// CleanSVG returns an SVG logo rewritten into what the PDF engine draws
// (see above), the form in which it is stored and served. It is
// idempotent.
func CleanSVG(data []byte) ([]byte, error) { return cleanSVG(data, "") }

// cleanSVG cleans data; a non-empty height replaces the root's width and
// height (the aspect ratio is kept through the viewBox), as documents
// embed the logo.
func cleanSVG(data []byte, height string) ([]byte, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	var (
		root     *svgNode
		stack    []*svgNode // kept elements; nil for a dropped subtree's top
		skipping int        // depth inside a dropped subtree
		elements int
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("not well-formed SVG: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if elements++; elements > svgMaxElements {
				return nil, fmt.Errorf("more than %d elements", svgMaxElements)
			}
			if len(stack)+skipping >= svgMaxDepth {
				return nil, fmt.Errorf("elements nested more than %d deep", svgMaxDepth)
			}
			if skipping > 0 {
				skipping++
				continue
			}
			if root == nil && len(stack) == 0 {
				if t.Name.Local != "svg" || (t.Name.Space != "" && t.Name.Space != svgNS) {
					return nil, fmt.Errorf("root element is <%s>, not <svg>", t.Name.Local)
				}
				root = &svgNode{name: "svg", attrs: cleanAttrs(t.Attr)}
				stack = append(stack, root)
				continue
			}
			if len(stack) == 0 {
				return nil, errors.New("more than one root element")
			}
			parent := stack[len(stack)-1]
			n := &svgNode{name: t.Name.Local, attrs: cleanAttrs(t.Attr)}
			if (t.Name.Space != "" && t.Name.Space != svgNS) || !svgKeep[parent.name][n.name] || hidden(n) {
				skipping = 1
				continue
			}
			parent.children = append(parent.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			if skipping > 0 {
				skipping--
				continue
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if skipping > 0 {
				continue
			}
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, errors.New("text outside the <svg> element")
				}
				continue
			}
			if parent := stack[len(stack)-1]; svgKeep[parent.name]["#text"] {
				parent.children = append(parent.children, &svgNode{text: string(t)})
			}
		case xml.Directive, xml.ProcInst, xml.Comment:
			// DOCTYPE, <?xml?>, <?xml-stylesheet?>, comments: dropped.
		}
	}
	if root == nil {
		return nil, errors.New("no <svg> element")
	}
	if !draws(root) {
		return nil, errors.New("nothing the PDF can draw: a logo is made of paths, shapes or text")
	}
	return writeSVG(root, height)
}

// cleanAttrs keeps the attributes the reader uses, style="…" turned into
// presentation attributes (which it overrides, as CSS does).
func cleanAttrs(in []xml.Attr) []svgAttr {
	n := &svgNode{}
	var style string
	for _, a := range in {
		if a.Name.Space != "" && a.Name.Space != svgNS {
			continue // xmlns, xlink:href, xml:space, editor attributes
		}
		switch name := a.Name.Local; {
		case name == "style":
			style = a.Value
		case name == "display" || name == "visibility":
			n.set(name, strings.ToLower(strings.TrimSpace(a.Value))) // read by hidden, never written
		case name == "id":
			if svgID.MatchString(a.Value) {
				n.set(name, a.Value)
			}
		case svgAttrs[name]:
			n.set(name, a.Value)
		case svgPresentation[name]:
			if v, ok := cleanProperty(a.Value); ok {
				n.set(name, v)
			}
		}
	}
	for decl := range strings.SplitSeq(style, ";") {
		prop, val, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		prop = strings.ToLower(strings.TrimSpace(prop))
		val = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(val), "!important"))
		switch {
		case prop == "display" || prop == "visibility":
			n.set(prop, strings.ToLower(val)) // read by hidden, never written
		case svgPresentation[prop]:
			if v, ok := cleanProperty(val); ok {
				n.set(prop, v)
			}
		}
	}
	return n.attrs
}

// cleanProperty refuses a value referring to anything but an element of
// the file: url(…) other than url(#id), and CSS functions or escapes.
func cleanProperty(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if m := svgLocalURL.FindStringSubmatch(v); m != nil {
		return "url(#" + m[1] + ")", true
	}
	lower := strings.ToLower(v)
	if strings.ContainsAny(v, `\<>`) || strings.Contains(lower, "url(") ||
		(strings.Contains(v, "(") && !strings.HasPrefix(lower, "rgb(") && !strings.HasPrefix(lower, "rgba(")) {
		return "", false
	}
	return v, v != ""
}

// hidden reports an element the reader would draw but a browser would not.
func hidden(n *svgNode) bool {
	d, _ := n.get("display")
	v, _ := n.get("visibility")
	return d == "none" || v == "hidden" || v == "collapse"
}

// draws reports whether n has a shape outside <defs>, or non-blank text.
func draws(n *svgNode) bool {
	if n.name == "defs" {
		return false
	}
	if svgShapes[n.name] && n.name != "text" {
		return true
	}
	for _, c := range n.children {
		if (c.name == "" && strings.TrimSpace(c.text) != "") || (c.name != "" && draws(c)) {
			return true
		}
	}
	return false
}

// writeSVG serializes the cleaned tree; see cleanSVG for height.
func writeSVG(root *svgNode, height string) ([]byte, error) {
	var w, h, viewBox, aspect string
	var paint []svgAttr
	for _, a := range root.attrs {
		switch a.name {
		case "width":
			w = a.value
		case "height":
			h = a.value
		case "viewBox":
			viewBox = a.value
		case "preserveAspectRatio":
			aspect = a.value
		default:
			if svgPresentation[a.name] {
				paint = append(paint, a)
			}
		}
	}
	if f := strings.Fields(strings.ReplaceAll(viewBox, ",", " ")); len(f) != 4 {
		wf, errW := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(w), "px"), 64)
		hf, errH := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(h), "px"), 64)
		if errW != nil || errH != nil || wf <= 0 || hf <= 0 {
			return nil, errors.New("an SVG logo needs a viewBox or numeric width and height")
		}
		viewBox = fmt.Sprintf("0 0 %g %g", wf, hf)
	}
	var b bytes.Buffer
	b.WriteString(`<svg xmlns="` + svgNS + `"`)
	writeAttr(&b, "viewBox", viewBox)
	if height != "" {
		writeAttr(&b, "height", height)
	} else {
		// Sizes in absolute units only: a percentage or em has no
		// meaning for an image file.
		if svgLength.MatchString(strings.TrimSpace(w)) {
			writeAttr(&b, "width", strings.TrimSpace(w))
		}
		if svgLength.MatchString(strings.TrimSpace(h)) {
			writeAttr(&b, "height", strings.TrimSpace(h))
		}
	}
	if aspect != "" {
		writeAttr(&b, "preserveAspectRatio", aspect)
	}
	b.WriteByte('>')
	children := root.children
	if len(paint) > 0 {
		// The reader ignores the root's presentation attributes; a group
		// carries them to the content.
		children = []*svgNode{{name: "g", attrs: paint, children: children}}
	}
	for _, c := range children {
		writeNode(&b, c)
	}
	b.WriteString("</svg>")
	return b.Bytes(), nil
}

func writeNode(b *bytes.Buffer, n *svgNode) {
	if n.name == "" {
		_ = xml.EscapeText(b, []byte(n.text))
		return
	}
	b.WriteString("<" + n.name)
	for _, a := range n.attrs {
		if a.name != "display" && a.name != "visibility" {
			writeAttr(b, a.name, a.value)
		}
	}
	if len(n.children) == 0 {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	for _, c := range n.children {
		writeNode(b, c)
	}
	b.WriteString("</" + n.name + ">")
}

func writeAttr(b *bytes.Buffer, name, value string) {
	b.WriteString(" " + name + `="`)
	_ = xml.EscapeText(b, []byte(value))
	b.WriteByte('"')
}
