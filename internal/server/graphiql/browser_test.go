package graphiql_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/store/storetest"
	"github.com/remitbilling/remit/internal/testtool"
)

// TestGraphiQLOffline loads GraphiQL in headless Chromium from the server
// alone (every request the page makes goes to it), pastes a test key in
// the header editor, runs a query, and opens the docs, whose schema is
// fetched again with the pasted key; the key is not left in the browser's
// storage.
func TestGraphiQLOffline(t *testing.T) {
	e := apitest.Start(t, storetest.Dialects()[0])
	base := strings.Replace(e.URL, "127.0.0.1", "localhost", 1)
	shots := testtool.ArtifactsDir(t, filepath.Join("..", "..", ".."), "graphiql")

	ctx := testtool.Browser(t, 60*time.Second)
	var mu sync.Mutex
	var requests []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if r, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, r.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			buf, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644)
		})
	}
	eval := func(what, js string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return s
	}
	// editorWith sets the CodeMirror editor whose text holds marker (the
	// header editor holds the template's placeholder) to value.
	editorWith := func(marker, value string) string {
		return `(() => { for (const el of document.querySelectorAll('.CodeMirror')) {
			if (el.CodeMirror.getValue().includes(` + jsString(marker) + `)) { el.CodeMirror.setValue(` + jsString(value) + `); return 'ok'; } }
			return 'none'; })()`
	}

	run("load", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(".graphiql-query-editor .CodeMirror")), shot("01-loaded"))
	if got := eval("template", editorWith("PASTE_YOUR_KEY", `{"Authorization": "Bearer `+e.Key+`"}`)); got != "ok" {
		t.Fatalf("no header editor with the ASCII template: %s", got)
	}
	if got := eval("query", `(() => { const el = document.querySelector('.graphiql-query-editor .CodeMirror'); el.CodeMirror.setValue('{ account { id name } }'); return 'ok'; })()`); got != "ok" {
		t.Fatal(got)
	}
	run("run the query",
		chromedp.Click(chromedp.CSS(".graphiql-execute-button")),
		chromedp.Poll[chromedp.Void](`document.querySelector('.graphiql-response') && document.querySelector('.graphiql-response').innerText.includes(`+jsString(e.Account)+`)`, chromedp.WithPollingTimeout(20*time.Second)),
		shot("02-query"),
	)
	run("docs",
		chromedp.Click(chromedp.CSS(`[aria-label="Show Documentation Explorer"]`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('.graphiql-doc-explorer') && document.querySelector('.graphiql-doc-explorer').innerText.includes('Root Types')`, chromedp.WithPollingTimeout(20*time.Second)),
		shot("03-docs"),
	)
	// The history (which GraphiQL writes with the headers) is written
	// after the response, when at all: wait for it a little.
	_ = chromedp.Do(ctx, chromedp.Poll[chromedp.Void](`localStorage.getItem('remit:graphiql:queries') !== null`, chromedp.WithPollingTimeout(3*time.Second)))
	if stored := eval("storage", `JSON.stringify(Object.assign({}, localStorage, sessionStorage))`); strings.Contains(stored, e.Key) {
		t.Errorf("the key is kept in the browser's storage: %s", stored)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(requests) < 5 {
		t.Errorf("saw %d requests, want the page, its assets and GraphQL: %v", len(requests), requests)
	}
	for _, u := range requests {
		if !strings.HasPrefix(u, base+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("GraphiQL requested %s, outside the server", u)
		}
	}
}

func jsString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`)
	return "'" + r.Replace(s) + "'"
}
