package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	mrand "math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/outbox"
)

// Defaults of EmailOptions.
const (
	DefaultBatchSize   = 32
	DefaultConcurrency = 8
	DefaultLease       = 30 * time.Second
	DefaultSendTimeout = 15 * time.Second
	DefaultMaxAttempts = 12
	DefaultBackoffBase = 30 * time.Second
	DefaultBackoffMax  = 6 * time.Hour
)

// EmailOptions tune EmailDelivery.
type EmailOptions struct {
	// Owner names this worker in lease_owner; it must differ between
	// processes. Default: host name, process id and a random suffix.
	Owner string
	// BatchSize is how many messages one RunDue claims (default 32).
	BatchSize int
	// Concurrency bounds the sends in flight (default 8).
	Concurrency int
	// Lease is how long a claim lasts (default 30s): a message whose
	// worker died is sent again after it.
	Lease time.Duration
	// SendTimeout bounds one send (default 15s). A message whose lease
	// has less than this left when its turn comes is given back instead
	// of being sent late, when another worker may already have it.
	SendTimeout time.Duration
	// MaxAttempts is how many attempts a temporarily failing message gets
	// before it is FAILED (default 12: about 15 hours with the default
	// backoff).
	MaxAttempts int
	// Backoff returns the delay after the attempt-th failed attempt
	// (attempt ≥ 1). Default: Exponential(30s, 6h).
	Backoff func(attempt int) time.Duration
	Logger  *slog.Logger // default slog.Default()
	// Documents renders the documents a message names for delivery
	// (receipts); without it such a message fails.
	Documents DocumentRenderer
}

// Exponential returns a backoff of base·2^(attempt-1), with ±20 % jitter so
// messages failed together spread out, capped at limit.
func Exponential(base, limit time.Duration) func(attempt int) time.Duration {
	return func(attempt int) time.Duration {
		d := float64(base) * math.Pow(2, float64(min(max(attempt, 1), 40)-1))
		d *= 0.8 + 0.4*mrand.Float64()
		return time.Duration(math.Min(d, float64(limit)))
	}
}

// EmailDelivery is the job that delivers the outbox: it claims due
// messages of every account, sends them through a mail.Sender with bounded
// concurrency, and records each outcome — SENT; QUEUED again with
// exponential backoff after a temporary failure; FAILED after a permanent
// one or too many attempts. With no sender (no SMTP configured) it does
// nothing and messages stay QUEUED, readable in the outbox.
type EmailDelivery struct {
	client  *ent.Client
	dialect string
	sender  mail.Sender
	opts    EmailOptions
}

// NewEmailDelivery returns the job; dialect is the store's (store.Store.Dialect).
func NewEmailDelivery(client *ent.Client, dialect string, sender mail.Sender, opts EmailOptions) *EmailDelivery {
	if s, ok := sender.(*mail.SMTP); ok && s == nil {
		sender = nil // a nil *SMTP in the interface: no SMTP configured
	}
	if opts.Owner == "" {
		opts.Owner = DefaultOwner()
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = DefaultSendTimeout
	}
	if opts.SendTimeout > opts.Lease {
		opts.SendTimeout = opts.Lease / 2
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.Backoff == nil {
		opts.Backoff = Exponential(DefaultBackoffBase, DefaultBackoffMax)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &EmailDelivery{client: client, dialect: dialect, sender: sender, opts: opts}
}

// DefaultOwner names this process: host, pid and a random suffix.
func DefaultOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "remit"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Owner returns the lease owner of this worker.
func (j *EmailDelivery) Owner() string { return j.opts.Owner }

// Name implements Job.
func (j *EmailDelivery) Name() string { return "email" }

// RunDue implements Job: it claims one batch and delivers it, returning
// the number of messages claimed.
func (j *EmailDelivery) RunDue(ctx context.Context) (int, error) {
	if j.sender == nil {
		return 0, nil
	}
	msgs, err := outbox.Claim(ctx, j.client, j.dialect, j.opts.Owner, j.opts.BatchSize, j.opts.Lease)
	if err != nil || len(msgs) == 0 {
		return 0, err
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, j.opts.Concurrency)
	)
	for _, m := range msgs {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			// Shutting down: give the rest back for the next worker.
			if err := outbox.Release(context.WithoutCancel(ctx), j.client, m); err != nil {
				j.note(ctx, m, err, &mu, &errs)
			}
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := j.deliver(ctx, m); err != nil {
				j.note(ctx, m, err, &mu, &errs)
			}
		})
	}
	wg.Wait()
	return len(msgs), errors.Join(errs...)
}

// note logs a lost lease (another worker owns the message now: not an
// error of this one) and collects real errors.
func (j *EmailDelivery) note(ctx context.Context, m *ent.EmailMessage, err error, mu *sync.Mutex, errs *[]error) {
	if errors.Is(err, outbox.ErrLeaseLost) {
		j.opts.Logger.WarnContext(ctx, "email outcome not recorded: lease lost", "message", m.ID, "err", err)
		return
	}
	mu.Lock()
	*errs = append(*errs, err)
	mu.Unlock()
}

// deliver sends one claimed message and records the outcome. Outcomes are
// recorded even when ctx ends meanwhile (shutdown), so that a message sent
// is not sent again.
func (j *EmailDelivery) deliver(ctx context.Context, m *ent.EmailMessage) error {
	rec := context.WithoutCancel(ctx)
	now := clock.Now(ctx)
	if m.LeaseUntil == nil || m.LeaseUntil.Sub(now) < j.opts.SendTimeout {
		// Its turn came too late in the batch to finish within the lease.
		return outbox.Release(rec, j.client, m)
	}
	msg, err := outbox.ToMail(m, now)
	if err != nil {
		return outbox.MarkFailed(rec, j.client, m, err)
	}
	log := j.opts.Logger.With("message", m.ID, "kind", m.Kind, "attempt", m.Attempts)
	if len(m.RenderedAttachments) > 0 && j.opts.Documents == nil {
		log.ErrorContext(ctx, "email failed", "err", errNoRenderer)
		return outbox.MarkFailed(rec, j.client, m, errNoRenderer)
	}
	// Rendering and sending share the send's time: both must end within
	// the lease checked above.
	sctx, cancel := context.WithTimeout(ctx, j.opts.SendTimeout)
	if len(m.RenderedAttachments) > 0 {
		var docs []mail.Attachment
		if docs, err = renderDocuments(sctx, j.opts.Documents, m); err == nil {
			msg.Attachments = append(msg.Attachments, docs...)
		}
	}
	if err == nil {
		err = j.sender.Send(sctx, msg)
	}
	cancel()
	switch {
	case err == nil:
		log.DebugContext(ctx, "email sent")
		return outbox.MarkSent(rec, j.client, m)
	case ctx.Err() != nil:
		// Interrupted by shutdown, not refused: try again at once
		// elsewhere, without counting the attempt.
		return outbox.Release(rec, j.client, m)
	case mail.Permanent(err):
		log.WarnContext(ctx, "email refused", "err", err)
		return outbox.MarkFailed(rec, j.client, m, err)
	case m.Attempts >= j.opts.MaxAttempts:
		log.WarnContext(ctx, "email failed: no attempts left", "err", err)
		return outbox.MarkFailed(rec, j.client, m, fmt.Errorf("giving up after %d attempts: %w", m.Attempts, err))
	default:
		next := clock.Now(ctx).Add(j.opts.Backoff(m.Attempts))
		log.InfoContext(ctx, "email will be retried", "err", err, "next_attempt_at", next)
		return outbox.MarkRetry(rec, j.client, m, next, err)
	}
}
