package server

import (
	"errors"
	"net/http"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/emailmessage"
	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/viewer"
)

// devMail is the dev mailbox: a browser page listing the test-mode email
// an account's outbox holds, so email can be checked without a mail
// server. It authenticates with HTTP Basic, the test secret key as the user
// name (browsers prompt for it; curl -u sk_test_…:), and never shows
// live-mode email.
func (s *Server) devMail(w http.ResponseWriter, r *http.Request) {
	key, _, ok := r.BasicAuth()
	v, err := s.Accounts.Authenticate(r.Context(), key)
	if !ok || errors.Is(err, accounts.ErrNoKey) || errors.Is(err, accounts.ErrInvalidKey) || (err == nil && v.Mode != viewer.Test) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Remit dev mailbox: user name = your sk_test_ key"`)
		http.Error(w, "The dev mailbox needs a test-mode secret key as the user name.", http.StatusUnauthorized)
		return
	}
	if err != nil {
		writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
		return
	}
	ctx := viewer.NewContext(r.Context(), v)
	view := map[string]any{}
	if id := r.PathValue("id"); id != "" {
		m, err := s.DB.EmailMessage.Query().Where(emailmessage.ID(id)).Only(ctx)
		if ent.IsNotFound(err) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
			return
		}
		view["Message"] = m
	} else {
		ms, err := s.DB.EmailMessage.Query().
			Order(ent.Desc(emailmessage.FieldCreatedAt), ent.Desc(emailmessage.FieldID)).
			Limit(200).
			All(ctx)
		if err != nil {
			writeError(w, r, http.StatusInternalServerError, "INTERNAL", "internal error")
			return
		}
		view["Messages"] = ms
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	if err := pages.ExecuteTemplate(w, "devmail.html", view); err != nil {
		s.Logger.ErrorContext(r.Context(), "dev mailbox", "error", err)
	}
}
