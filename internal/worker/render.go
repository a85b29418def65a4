package worker

import (
	"context"
	"errors"
	"fmt"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

// DocumentRenderer renders the documents a message names for delivery
// (outbox.Message.Render): the invoice PDF, a payment's receipt. ctx
// carries the viewer of the message's account and mode.
type DocumentRenderer interface {
	RenderDocument(ctx context.Context, ref values.DocumentRef) (mail.Attachment, error)
}

// errNoRenderer fails a message that names documents when the worker has
// no renderer: retrying would never help.
var errNoRenderer = errors.New("the message names documents to render and no document renderer is configured")

// renderDocuments renders the documents m names, in order, within ctx's
// deadline.
//
// Each render runs with a context of its own values, the clock and the
// viewer of m's account and mode, never the worker's: a worker context
// that bypasses the privacy rules (it claims every account's messages)
// would let a render read another account's rows.
func renderDocuments(ctx context.Context, r DocumentRenderer, m *ent.EmailMessage) ([]mail.Attachment, error) {
	base := clock.WithContext(context.Background(), clock.FromContext(ctx))
	rctx, cancel := context.WithCancel(viewer.NewContext(base, viewer.System(m.AccountID, m.Mode, "worker")))
	defer cancel()
	defer context.AfterFunc(ctx, cancel)()
	out := make([]mail.Attachment, 0, len(m.RenderedAttachments))
	for _, ref := range m.RenderedAttachments {
		a, err := r.RenderDocument(rctx, ref)
		if err != nil {
			return nil, fmt.Errorf("render %s %s: %w", ref.Kind, ref.ID, err)
		}
		out = append(out, a)
	}
	return out, nil
}
