package worker_test

import (
	"testing"
	"time"

	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/internal/mail/mailtest"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/worker"
)

// BenchmarkOutboxDelivery delivers 1,000 queued messages (with a small
// attachment each) to a local SMTP server with the default job settings,
// and reports messages per second: claim, send, record. The -starttls
// variants encrypt the sessions (reused across messages).
//
//	go test -run '^$' -bench BenchmarkOutboxDelivery -benchtime 3x ./internal/worker
func BenchmarkOutboxDelivery(b *testing.B) {
	const perRun = 1000
	type variant struct {
		name, dialect string
		starttls      bool
	}
	var variants []variant
	for _, d := range storetest.Dialects() {
		variants = append(variants, variant{dialectName(d), d, false}, variant{dialectName(d) + "-starttls", d, true})
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			st := storetest.Open(b, v.dialect)
			e := setup(b, st)
			srv := mailtest.Start(b, mailtest.Options{STARTTLS: v.starttls})
			j := job(e, smtpSender(b, srv), worker.EmailOptions{})
			var elapsed time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				enqueue(b, e, perRun)
				b.StartTimer()
				t0 := time.Now()
				if n := drain(b, e.sys, j); n != perRun {
					b.Fatalf("claimed %d, want %d", n, perRun)
				}
				elapsed += time.Since(t0)
			}
			b.StopTimer()
			if got := srv.Count(); got != perRun*b.N {
				b.Fatalf("server got %d messages, want %d", got, perRun*b.N)
			}
			if n := countStatus(b, e, emailmessage.StatusSent); n != perRun*b.N {
				b.Fatalf("%d SENT, want %d", n, perRun*b.N)
			}
			b.ReportMetric(float64(perRun*b.N)/elapsed.Seconds(), "msgs/s")
		})
	}
}
