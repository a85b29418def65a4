// Package planted holds SQL built from input on purpose, next to the safe
// forms, to show that the audit finds the first and passes the second.
// Lines that must be reported end in "// want".
package planted

import (
	"context"
	stdsql "database/sql"
	"fmt"

	"entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"
)

const table = "customers"

func Unsafe(ctx context.Context, db *stdsql.DB, s *sql.Selector, key string) {
	s.Where(sql.ExprP("metadata->>'" + key + "' IS NOT NULL"))                                  // want
	s.Where(sqljson.HasKey("metadata", sqljson.Path(key)))                                      // want
	_, _ = db.QueryContext(ctx, fmt.Sprintf("SELECT id FROM %s WHERE name = '%s'", table, key)) // want
	var b sql.Builder
	b.WriteString(key) // want
	q := "SELECT id FROM " + table + " WHERE name = '" + key + "'"
	_, _ = db.ExecContext(ctx, q) // want
	s.OrderBy(key)                // want
}

func Safe(ctx context.Context, db *stdsql.DB, s *sql.Selector, key string) {
	s.Where(sql.EQ(s.C("name"), key))
	col := s.C("metadata")
	s.Where(sql.P(func(b *sql.Builder) {
		b.WriteString("jsonb_extract_path_text(").WriteString(col).WriteString(", ").Arg(key).WriteString(")")
	}))
	_, _ = db.QueryContext(ctx, "SELECT id FROM "+table+" WHERE name = ?", key)
	query, args := sql.Select("id").From(sql.Table(table)).Where(sql.EQ("name", key)).Query()
	_, _ = db.QueryContext(ctx, query, args...)
}
