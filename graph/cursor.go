package graph

import (
	"entgo.io/contrib/entgql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/remitbilling/remit/internal/usererr"
)

// A list's cursor holds the position of its row in the list's ordering:
// the ordering column's value and the id. Reused under another ordering
// (orderBy TOTAL after a page by CREATED_AT) the value would be compared
// with another column and the next page would silently be wrong, so the
// cursors of an orderable list carry their ordering, and a cursor given
// under another one is refused with INVALID_CURSOR.
//
// A cursor made before cursors carried their ordering cannot tell which
// ordering it came from: it is refused too (the client starts again from
// the first page), rather than trusted to be the one asked for.

// orderedValue is what an orderable list's cursor holds in place of the
// bare ordering value (entgql.Cursor.Value, msgpack-encoded).
type orderedValue struct {
	// Order names the list and its ordering: "invoices/CREATED_AT/DESC".
	Order string `msgpack:"o"`
	Value any    `msgpack:"v"`
}

// orderKey names a list's ordering for its cursors.
func orderKey(list, field string, dir entgql.OrderDirection) string {
	if field == "" {
		field = "ID"
	}
	return list + "/" + field + "/" + string(dir)
}

// tagCursors makes each cursor of a page carry order. The page's pageInfo
// points at its edges' cursors, so it follows.
func tagCursors(cursors []*entgql.Cursor[string], order string) {
	for _, c := range cursors {
		c.Value = orderedValue{Order: order, Value: c.Value}
	}
}

// untagCursor returns the bare cursor of after for the ordering order, or
// an INVALID_CURSOR argument error when it was made under another ordering
// (or before cursors carried theirs).
func untagCursor(after *entgql.Cursor[string], order string) (*entgql.Cursor[string], error) {
	if after == nil {
		return nil, nil
	}
	m, ok := after.Value.(map[string]any)
	if !ok {
		return nil, cursorError("this cursor does not say which ordering it belongs to (it comes from another list or an older server): start again without after")
	}
	if o, _ := m["o"].(string); o != order {
		return nil, cursorError("this cursor belongs to another ordering of the list: keep orderBy as it was for the first page, or start again without after")
	}
	return &entgql.Cursor[string]{ID: after.ID, Value: m["v"]}, nil
}

func cursorError(message string) error {
	return &gqlerror.Error{
		Message:    "after: " + message,
		Extensions: map[string]any{"code": string(usererr.InvalidCursor), "argument": "after"},
	}
}
