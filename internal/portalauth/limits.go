package portalauth

import "time"

// Login abuse limits. internal/portal counts them in the database
// (internal/ratelimit), so every server process on one database shares
// them and a restart does not reset them.
const (
	// CodeRequestsPerEmail caps codes sent to one mailbox per window: it
	// stops an attacker flooding a customer's inbox.
	CodeRequestsPerEmail = 5
	// CodeRequestsPerIP caps code requests from one client address per
	// window, so one client cannot spray many mailboxes.
	CodeRequestsPerIP = 20
	// CodeRequestWindow is the window of both code-request caps.
	CodeRequestWindow = 15 * time.Minute

	// WrongCodesPerEmail caps wrong codes per email across all its codes:
	// MaxAttempts alone bounds guesses per code, and a new code resets
	// that, so without this cap an attacker cycling codes gets
	// CodeRequestsPerEmail × MaxAttempts guesses every CodeRequestWindow.
	// Past the cap, no code works for that email until the window ends;
	// the customer can still sign in by a merchant-created login link.
	WrongCodesPerEmail = 10
	// WrongCodeWindow is the window of WrongCodesPerEmail.
	WrongCodeWindow = 24 * time.Hour
)

// GuessesPerEmailPerDay is how many codes an attacker can have checked for
// one targeted email per day, sustained, under these limits. Without
// WrongCodesPerEmail it would be codesPerDay × MaxAttempts (2,400); with
// it, the smaller of that and the wrong-code cap per day.
func GuessesPerEmailPerDay(capWrongCodes bool) int {
	const day = 24 * time.Hour
	cycling := int(day/CodeRequestWindow) * CodeRequestsPerEmail * MaxAttempts
	if !capWrongCodes {
		return cycling
	}
	return min(cycling, int(day/WrongCodeWindow)*WrongCodesPerEmail)
}
