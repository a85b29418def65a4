package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/remitbilling/remit/internal/banktransfers"
)

// bankCmd is `remit bank import FILE`: the statement goes to the server's
// POST /bank-statements with an API key, so the command imports into a
// remote server as well as a local one, with the key's account and mode.
func bankCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return usageError{"usage: remit bank import [--format CAMT_053|CAMT_054|CSV] [--api URL] [--key KEY] FILE"}
	}
	fs := flag.NewFlagSet("bank import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "", "CAMT_053, CAMT_054 or CSV (default: read from the file)")
	api := fs.String("api", env("REMIT_API_URL", "http://localhost:8080"), "the Remit server")
	key := fs.String("key", os.Getenv("REMIT_API_KEY"), "a secret API key (sk_test_… or sk_live_…)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() != 1 {
		return usageError{"give one statement file"}
	}
	if *key == "" {
		return usageError{"give an API key (--key or REMIT_API_KEY)"}
	}
	content, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("read statement: %w", err)
	}
	if *format == "" {
		*format = sniffFormat(content)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(*api, "/")+"/bank-statements?format="+url.QueryEscape(strings.ToUpper(*format)), bytes.NewReader(content))
	if err != nil {
		return fmt.Errorf("bank import: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+*key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("bank import: %w", err)
	}
	defer res.Body.Close()
	var out struct {
		banktransfers.Summary
		UserErrors []struct {
			Field   []string `json:"field"`
			Code    string   `json:"code"`
			Message string   `json:"message"`
		} `json:"userErrors"`
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err := json.Unmarshal(body, &out); err != nil {
		return fmt.Errorf("bank import: HTTP %d: %s", res.StatusCode, strings.TrimSpace(string(body)))
	}
	switch {
	case len(out.UserErrors) > 0:
		msgs := make([]string, len(out.UserErrors))
		for i, e := range out.UserErrors {
			msgs[i] = e.Code + ": " + e.Message
		}
		return fmt.Errorf("statement refused, nothing imported: %s", strings.Join(msgs, "; "))
	case res.StatusCode != http.StatusOK:
		return fmt.Errorf("bank import: HTTP %d: %s", res.StatusCode, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(stdout, "%d entries: %d new transfers matched, %d unmatched; %d imported before; %d debits skipped\n",
		out.Entries, out.Matched, out.Unmatched, out.Duplicates, out.Debits)
	for _, t := range out.Transfers {
		how := t.UnmatchedReason
		if t.MatchedBy != nil {
			how = "by " + strings.ToLower(*t.MatchedBy)
		}
		fmt.Fprintf(stdout, "%s\t%s\t%d %s\t%s %s\n", t.ID, t.EntryReference, t.Amount, t.Currency, strings.ToLower(t.Status), how)
	}
	return nil
}

// sniffFormat tells a camt.054 from a camt.053 by its root element, and
// anything that is not XML for CSV.
func sniffFormat(content []byte) string {
	head := content[:min(len(content), 4096)]
	switch {
	case !bytes.Contains(head, []byte("<")):
		return "CSV"
	case bytes.Contains(head, []byte("BkToCstmrDbtCdtNtfctn")):
		return "CAMT_054"
	}
	return "CAMT_053"
}
