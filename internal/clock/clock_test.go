package clock

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestRealIsUTC(t *testing.T) {
	if loc := (Real{}).Now().Location(); loc != time.UTC {
		t.Fatalf("Real.Now location = %v, want UTC", loc)
	}
}

func TestFake(t *testing.T) {
	start := time.Date(2025, 1, 31, 23, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		op   func(f *Fake)
		want time.Time
	}{
		{"frozen", func(*Fake) {}, start},
		{"advance", func(f *Fake) { f.Advance(2 * time.Hour) }, start.Add(2 * time.Hour)},
		{"advance negative", func(f *Fake) { f.Advance(-time.Minute) }, start.Add(-time.Minute)},
		{"set", func(f *Fake) { f.Set(start.AddDate(1, 0, 0)) }, start.AddDate(1, 0, 0)},
		{"set backwards", func(f *Fake) { f.Set(start.AddDate(-1, 0, 0)) }, start.AddDate(-1, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewFake(start)
			tt.op(f)
			if got := f.Now(); !got.Equal(tt.want) {
				t.Fatalf("Now() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFakeAdvanceReturnsNewTime(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f := NewFake(start)
	if got := f.Advance(time.Second); !got.Equal(start.Add(time.Second)) {
		t.Fatalf("Advance returned %v", got)
	}
}

func TestFakeConcurrent(t *testing.T) {
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	f := NewFake(start)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(2)
		go func() { defer wg.Done(); f.Advance(time.Second) }()
		go func() { defer wg.Done(); _ = f.Now() }()
	}
	wg.Wait()
	if got := f.Now(); !got.Equal(start.Add(50 * time.Second)) {
		t.Fatalf("Now() = %v, want %v", got, start.Add(50*time.Second))
	}
}

func TestContext(t *testing.T) {
	fixed := time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CET", 3600))
	tests := []struct {
		name     string
		ctx      context.Context
		wantFake bool
	}{
		{"no clock", context.Background(), false},
		{"nil clock ignored", WithContext(context.Background(), nil), false},
		{"fake clock", WithContext(context.Background(), NewFake(fixed)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := FromContext(tt.ctx)
			_, isFake := c.(*Fake)
			if isFake != tt.wantFake {
				t.Fatalf("FromContext = %T, wantFake %v", c, tt.wantFake)
			}
			if !tt.wantFake {
				if _, ok := c.(Real); !ok {
					t.Fatalf("FromContext = %T, want Real", c)
				}
			}
		})
	}
}

func TestNowTruncatesAndUTC(t *testing.T) {
	fixed := time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.FixedZone("CET", 3600))
	ctx := WithContext(context.Background(), NewFake(fixed))
	got := Now(ctx)
	want := time.Date(2025, 3, 4, 4, 6, 7, 123456000, time.UTC)
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Fatalf("Now = %v (%v), want %v UTC", got, got.Location(), want)
	}
	if got.Nanosecond()%1000 != 0 {
		t.Fatalf("Now not truncated to microseconds: %d ns", got.Nanosecond())
	}
}

func TestNowDefaultsToReal(t *testing.T) {
	before := time.Now().Add(-time.Second)
	got := Now(context.Background())
	if got.Before(before) || got.Location() != time.UTC || got.Nanosecond()%1000 != 0 {
		t.Fatalf("Now(background) = %v", got)
	}
}
