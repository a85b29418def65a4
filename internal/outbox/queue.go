package outbox

import (
	"context"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/dbtx"
)

// QueueConfig configures a Queue.
type QueueConfig struct {
	// Wake nudges the deliverer (worker.Signal.Wake); nil leaves messages
	// for its next tick. It must not block.
	Wake func()
}

// Queue is Enqueue for the services that send email: once the transaction
// that queued a message commits, it wakes the deliverer, so the message
// leaves at once instead of at the next tick, and a rolled-back message
// wakes nobody. Services hold one instead of calling Enqueue, so that no
// sender can forget the nudge.
type Queue struct{ wake func() }

// NewQueue returns a Queue. Every configuration is valid: a nil Wake is
// deliberate (tests drive the worker by hand).
func NewQueue(cfg QueueConfig) *Queue { return &Queue{wake: cfg.Wake} }

// Enqueue is the package's Enqueue, waking the deliverer after tx commits.
func (q *Queue) Enqueue(ctx context.Context, tx *ent.Tx, m Message) (*ent.EmailMessage, error) {
	row, err := Enqueue(ctx, tx, m)
	if err == nil && q.wake != nil {
		dbtx.AfterCommit(tx, q.wake)
	}
	return row, err
}
