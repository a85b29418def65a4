package outbox_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/dbtx"
	"github.com/remitbilling/remit/internal/outbox"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/store/storetest"
)

// TestQueueWakesAfterCommit checks the nudge against the transaction's
// outcome: once per committed transaction that queued mail, never for a
// rolled-back one or an invalid message.
func TestQueueWakesAfterCommit(t *testing.T) {
	invalid := invoiceMail()
	invalid.To = nil
	cases := []struct {
		name      string
		msg       outbox.Message
		fnErr     error
		wantErr   bool
		wantWakes int
	}{
		{name: "committed", msg: invoiceMail(), wantWakes: 1},
		{name: "rolled back", msg: invoiceMail(), fnErr: errors.New("finalization failed"), wantErr: true},
		{name: "invalid message", msg: invalid, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, st *store.Store) {
				e := setup(t, st)
				wakes := 0
				q := outbox.NewQueue(outbox.QueueConfig{Wake: func() { wakes++ }})
				err := dbtx.Run(e.ctx, st.Client, func(tx *ent.Tx) error {
					if _, err := q.Enqueue(e.ctx, tx, tc.msg); err != nil {
						return err
					}
					if wakes != 0 {
						t.Error("woken before the commit")
					}
					return tc.fnErr
				})
				if (err != nil) != tc.wantErr {
					t.Fatalf("Run = %v, want an error: %v", err, tc.wantErr)
				}
				if wakes != tc.wantWakes {
					t.Errorf("woken %d times, want %d", wakes, tc.wantWakes)
				}
			})
		})
	}
}

// directEnqueue matches the package function, not a Queue's method
// (s.outbox.Enqueue).
var directEnqueue = regexp.MustCompile(`(^|[^.\w])outbox\.Enqueue\(`)

// TestOnlyQueuesEnqueue fails when code outside this package calls Enqueue
// directly: its message would wait for the worker's next tick, since only
// a Queue wakes it.
func TestOnlyQueuesEnqueue(t *testing.T) {
	root := filepath.Join("..", "..")
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel, _ := filepath.Rel(root, path); rel == "ent" || rel != "." && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(src), "\n") {
			if directEnqueue.MatchString(line) {
				rel, _ := filepath.Rel(root, path)
				found = append(found, rel+":"+strconv.Itoa(i+1))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Errorf("outbox.Enqueue called directly (use the service's *outbox.Queue):\n%s", strings.Join(found, "\n"))
	}
}
