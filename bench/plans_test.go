package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"entgo.io/ent/dialect"

	"github.com/remitbilling/remit/internal/store"
)

// statement is one SQL statement the server ran, with its arguments.
type statement struct {
	query string
	args  []any
}

// statementTrap keeps, while armed, the statements of one table's list
// pages (a SELECT from the table with a LIMIT) that the server runs.
type statementTrap struct {
	mu    sync.Mutex
	armed bool
	table string
	got   []statement
}

func (t *statementTrap) observe(_ context.Context, q string, args []any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.armed || !strings.Contains(q, "LIMIT") || !strings.HasPrefix(q, "SELECT") {
		return
	}
	if !strings.Contains(q, "FROM `"+t.table+"`") && !strings.Contains(q, `FROM "`+t.table+`"`) {
		return
	}
	t.got = append(t.got, statement{query: q, args: append([]any(nil), args...)})
}

// during returns the page statements of table run while fn ran.
func (t *statementTrap) during(table string, fn func() error) ([]statement, error) {
	t.mu.Lock()
	t.armed, t.table, t.got = true, table, nil
	t.mu.Unlock()
	err := fn()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.armed = false
	return t.got, err
}

// planRules say what a page's plan may do.
type planRules struct {
	table string
	// sortMatches allows sorting what an index lookup matched (a search
	// through a trigram or term index), never a scan's rows.
	sortMatches bool
}

// explain returns the database's plan of s, one step a line, and what in
// it makes the page grow with the table ("" when nothing): a scan of the
// table (or of a whole index, not narrowed to the account), or a sort of
// every matching row before the first is returned. A sort is fine when it
// follows a lookup of one row by a unique index (the number filter), and,
// under rules.sortMatches, when an index lookup produced the rows.
func explain(ctx context.Context, st *store.Store, s statement, rules planRules) (plan []string, verdict string, err error) {
	if st.Dialect == dialect.Postgres {
		return explainPG(ctx, st, s, rules)
	}
	return explainSQLite(ctx, st, s, rules)
}

var sqliteSearch = regexp.MustCompile(`^SEARCH (\S+) USING (?:COVERING )?INDEX (\S+) \((.*)\)`)

func explainSQLite(ctx context.Context, st *store.Store, s statement, rules planRules) ([]string, string, error) {
	rows, err := st.DB.QueryContext(ctx, "EXPLAIN QUERY PLAN "+s.query, s.args...)
	if err != nil {
		return nil, "", fmt.Errorf("explain: %w\n%s", err, s.query)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			return nil, "", err
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	var scan, sort, uniqueLookup, indexLookup bool
	for _, step := range plan {
		switch {
		case step == "SCAN "+rules.table || strings.HasPrefix(step, "SCAN "+rules.table+" "):
			scan = true
		case step == "USE TEMP B-TREE FOR ORDER BY":
			sort = true
		}
		if m := sqliteSearch.FindStringSubmatch(step); m != nil && m[1] == rules.table {
			indexLookup = true
			if uniqueFullyBound(ctx, st, m[2], m[3]) {
				uniqueLookup = true
			}
		}
		if strings.HasPrefix(step, "SEARCH ") && strings.Contains(step, " INDEX ") && !strings.HasPrefix(step, "SEARCH "+rules.table+" ") {
			// A lookup in another table (the search terms) feeding the
			// rows through a list subquery.
			indexLookup = true
		}
	}
	switch {
	case scan:
		return plan, "scans the table", nil
	case sort && uniqueLookup:
	case sort && rules.sortMatches && indexLookup:
	case sort:
		return plan, "sorts every matching row (USE TEMP B-TREE FOR ORDER BY)", nil
	}
	return plan, "", nil
}

// uniqueFullyBound reports whether SQLite index name is unique and cond
// ("a=? AND b=? AND c=?") binds every one of its columns by equality.
func uniqueFullyBound(ctx context.Context, st *store.Store, name, cond string) bool {
	var unique bool
	rows, err := st.DB.QueryContext(ctx, "SELECT \"unique\" FROM pragma_index_list((SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name = ?)) WHERE name = ?", name, name)
	if err != nil {
		return false
	}
	for rows.Next() {
		_ = rows.Scan(&unique)
	}
	rows.Close()
	if !unique {
		return false
	}
	var cols int
	if err := st.DB.QueryRowContext(ctx, "SELECT count(*) FROM pragma_index_info(?)", name).Scan(&cols); err != nil {
		return false
	}
	terms := strings.Split(cond, " AND ")
	eq := 0
	for _, t := range terms {
		if strings.HasSuffix(t, "=?") && !strings.ContainsAny(t, "<>") {
			eq++
		}
	}
	return eq >= cols
}

// pgNode is a node of EXPLAIN (FORMAT JSON).
type pgNode struct {
	NodeType     string   `json:"Node Type"`
	Relation     string   `json:"Relation Name"`
	Index        string   `json:"Index Name"`
	IndexCond    string   `json:"Index Cond"`
	RecheckCond  string   `json:"Recheck Cond"`
	Filter       string   `json:"Filter"`
	SortKey      []string `json:"Sort Key"`
	PresortedKey []string `json:"Presorted Key"`
	PlanRows     float64  `json:"Plan Rows"`
	Plans        []pgNode `json:"Plans"`
}

func explainPG(ctx context.Context, st *store.Store, s statement, rules planRules) ([]string, string, error) {
	var raw string
	if err := st.DB.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+s.query, s.args...).Scan(&raw); err != nil {
		return nil, "", fmt.Errorf("explain: %w\n%s", err, s.query)
	}
	var top []struct {
		Plan pgNode `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(raw), &top); err != nil || len(top) != 1 {
		return nil, "", fmt.Errorf("explain: %v: %s", err, raw)
	}
	var plan []string
	var walk func(n pgNode, depth int)
	walk = func(n pgNode, depth int) {
		line := strings.Repeat("  ", depth) + n.NodeType
		if n.Relation != "" {
			line += " on " + n.Relation
		}
		if n.Index != "" {
			line += " using " + n.Index
		}
		for _, kv := range [][2]string{{"Index Cond", n.IndexCond}, {"Recheck Cond", n.RecheckCond}, {"Filter", n.Filter}} {
			if kv[1] != "" {
				line += " [" + kv[0] + ": " + kv[1] + "]"
			}
		}
		if len(n.SortKey) > 0 {
			line += " [Sort Key: " + strings.Join(n.SortKey, ", ") + "]"
		}
		plan = append(plan, line)
		for _, c := range n.Plans {
			walk(c, depth+1)
		}
	}
	walk(top[0].Plan, 0)
	verdict := pgVerdict(ctx, st, top[0].Plan, rules)
	return plan, verdict, nil
}

// sortedRowsOK is how many rows PostgreSQL may expect to sort for a page.
const sortedRowsOK = 1000

// pgVerdict judges a PostgreSQL plan: a sequential scan of the table, or a
// (non incremental) sort of more than sortedRowsOK expected rows whose
// input is not one row found by a unique index (nor, with
// rules.sortMatches, rows an index lookup matched). An index scan in the
// list's order not narrowed to the account (the primary key read in id
// order under one status) passes: it stops after the page, as the list's
// own indexes do, and PostgreSQL picks it only when its statistics say the
// rows it rejects are few.
func pgVerdict(ctx context.Context, st *store.Store, n pgNode, rules planRules) string {
	var bad string
	var visit func(n pgNode)
	visit = func(n pgNode) {
		if bad != "" {
			return
		}
		switch {
		case n.NodeType == "Seq Scan" && n.Relation == rules.table:
			bad = "scans the table (Seq Scan)"
			return
		case n.NodeType == "Sort":
			// PostgreSQL weighs a sort of a few rows against an ordered
			// index scan from its statistics (a small customer's drafts
			// sorted, a big one's read in order): a sort of what it expects
			// to be at most sortedRowsOK rows is its choice, not growth.
			if !pgBoundedInput(ctx, st, n, rules) && (len(n.Plans) == 0 || n.Plans[0].PlanRows > sortedRowsOK) {
				bad = "sorts every matching row (Sort on " + strings.Join(n.SortKey, ", ") + ")"
				return
			}
		}
		for _, c := range n.Plans {
			visit(c)
		}
	}
	visit(n)
	return bad
}

// pgBoundedInput reports whether a Sort's input is a unique-index lookup
// of one row, or (with rules.sortMatches) rows an index lookup matched.
func pgBoundedInput(ctx context.Context, st *store.Store, sort pgNode, rules planRules) bool {
	var ok, scanned bool
	var visit func(n pgNode)
	visit = func(n pgNode) {
		switch n.NodeType {
		case "Seq Scan":
			if n.Relation == rules.table {
				scanned = true
			}
		case "Index Scan", "Index Only Scan":
			if n.Relation == rules.table && pgUniqueFullyBound(ctx, st, n.Index, n.IndexCond) {
				ok = true
			}
		case "Bitmap Index Scan":
			if rules.sortMatches {
				ok = true
			}
		}
		for _, c := range n.Plans {
			visit(c)
		}
	}
	for _, c := range sort.Plans {
		visit(c)
	}
	return ok && !scanned
}

// pgUniqueFullyBound reports whether cond, the condition of a scan of
// index, binds by equality every column of a unique index of its table
// (that index or another): the scan returns one row at most.
func pgUniqueFullyBound(ctx context.Context, st *store.Store, index, cond string) bool {
	rows, err := st.DB.QueryContext(ctx, `SELECT array_to_string(array_agg(a.attname ORDER BY k.n), ',')
FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
JOIN pg_index u ON u.indrelid = x.indrelid AND u.indisunique
CROSS JOIN LATERAL unnest(u.indkey) WITH ORDINALITY AS k(attnum, n)
JOIN pg_attribute a ON a.attrelid = u.indrelid AND a.attnum = k.attnum
WHERE c.relname = $1 AND pg_table_is_visible(x.indrelid)
GROUP BY u.indexrelid`, index)
	if err != nil {
		return false
	}
	defer rows.Close()
	for rows.Next() {
		var cols string
		if rows.Scan(&cols) != nil {
			return false
		}
		all := true
		for _, col := range strings.Split(cols, ",") {
			if !regexp.MustCompile(`\(?\b` + regexp.QuoteMeta(col) + `\)?(::\w+)? = `).MatchString(cond) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}
