// Command remit is the Remit invoicing server and its operator tools.
//
//	remit serve                      run the API (REMIT_ADDR, REMIT_DATA_DIR, REMIT_DATABASE_URL)
//	remit migrate                    apply pending database migrations
//	remit account create --name N    add a business; prints its id
//	remit apikey create --mode test|live [--account ID] [--name N]
//	                                 make a secret key; prints only the key
//	remit apikey revoke ID           revoke a key
//	remit schema print [--portal]    print the merchant (or portal) GraphQL SDL
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/vektah/gqlparser/v2/formatter"

	"github.com/remitbilling/remit/graph/generated"
	"github.com/remitbilling/remit/internal/accounts"
	"github.com/remitbilling/remit/internal/app"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/server"
	"github.com/remitbilling/remit/internal/store"
	"github.com/remitbilling/remit/internal/tuning"
	"github.com/remitbilling/remit/internal/viewer"
	"github.com/remitbilling/remit/internal/webhooks"
	portalgenerated "github.com/remitbilling/remit/portal/graph/generated"
)

const usage = `usage: remit <command> [flags]

commands:
  serve                                   run the server
  migrate                                 apply pending database migrations
  account create --name NAME              add a business account; prints its id
  apikey create --mode test|live [--account ID] [--name NAME]
                                          create a secret API key; prints only the key
  apikey revoke KEY_ID                    revoke an API key
  schema print [--portal]                 print the GraphQL schema (SDL) of the merchant API,
                                          or of the portal API with --portal; needs no database
  webhook listen [--forward-to URL] [--api URL] [--key KEY] [--events TYPE,TYPE]
                                          follow the account's events as they happen (REMIT_API_KEY,
                                          default API http://localhost:8080), print them and forward
                                          them signed to a local URL, for development
  bank import [--format CAMT_053|CAMT_054|CSV] [--api URL] [--key KEY] FILE
                                          import a bank statement (camt.053, camt.054 or CSV; the
                                          format is read from the file when not given): each new
                                          credit is matched to invoices (REMIT_API_KEY)

environment:
  REMIT_ADDR          listen address (default :8080)
  REMIT_DATA_DIR      directory of the embedded SQLite database (default ./data)
  REMIT_DATABASE_URL  postgres://… to use PostgreSQL instead of SQLite
  REMIT_SMTP_URL      smtp://user:pass@host:587 (STARTTLS) or smtps://…:465 to send email
  REMIT_MAIL_FROM     sender address of invoice emails (default invoices@remit.localhost)
  REMIT_PUBLIC_URL    address customers reach the server at, for links (default http://localhost:8080)
  REMIT_CORS_ORIGINS  origins whose pages may call the GraphQL APIs, comma-separated (default none)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "remit:", err)
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprint(os.Stderr, usage)
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func storeConfig() store.Config {
	return store.Config{DataDir: env("REMIT_DATA_DIR", "./data"), DatabaseURL: os.Getenv("REMIT_DATABASE_URL")}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"no command given"}
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, logger)
	case "migrate":
		st, err := openStore(ctx, false)
		if err != nil {
			return err
		}
		defer st.Close()
		pending, err := st.Pending(ctx)
		if err != nil {
			return err
		}
		if err := st.Migrate(ctx); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "applied %d migration(s)\n", len(pending))
		return nil
	case "account":
		return accountCmd(ctx, args[1:], stdout)
	case "apikey":
		return apikeyCmd(ctx, args[1:], stdout)
	case "schema":
		return schemaCmd(args[1:], stdout)
	case "webhook":
		return webhookCmd(ctx, args[1:], stdout)
	case "bank":
		return bankCmd(ctx, args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}

// openStore opens the configured database, migrating it when asked.
func openStore(ctx context.Context, migrate bool) (*store.Store, error) {
	st, err := store.Open(ctx, storeConfig())
	if err != nil {
		return nil, err
	}
	if migrate {
		if err := st.Migrate(ctx); err != nil {
			st.Close()
			return nil, err
		}
	}
	return st, nil
}

func serve(ctx context.Context, args []string, stdout io.Writer, logger *slog.Logger) error {
	tuning.Apply()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", env("REMIT_ADDR", ":8080"), "listen address")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	st, err := openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	// The PDF engine reads logos from files: keep them in the data
	// directory when there is one, and remove them when the server stops.
	if cfg := storeConfig(); cfg.DatabaseURL == "" {
		document.SetLogoDir(cfg.DataDir)
	}
	defer func() {
		if err := document.Close(); err != nil {
			logger.Warn("remove logo files", "error", err)
		}
	}()
	// Email goes out through the outbox; without REMIT_SMTP_URL messages
	// stay queued and readable.
	var sender mail.Sender
	if u := os.Getenv("REMIT_SMTP_URL"); u != "" {
		smtp, err := mail.NewSMTP(u)
		if err != nil {
			return fmt.Errorf("REMIT_SMTP_URL: %w", err)
		}
		defer smtp.Close()
		sender = smtp
	}
	mailing := app.DefaultMailing
	if v := os.Getenv("REMIT_MAIL_FROM"); v != "" {
		mailing.From = v
	}
	if v := os.Getenv("REMIT_PUBLIC_URL"); v != "" {
		mailing.PublicURL = v
	}
	a, err := app.New(ctx, app.Config{
		DB: st.Client, Dialect: st.Dialect, Changes: st.Changes, Clock: clock.Real{}, Logger: logger,
		Mailing: mailing, Sender: sender,
	})
	if err != nil {
		return err
	}
	origins, err := server.ParseOrigins(os.Getenv("REMIT_CORS_ORIGINS"))
	if err != nil {
		return fmt.Errorf("REMIT_CORS_ORIGINS: %w", err)
	}
	srv, err := server.NewFromConfig(server.Config{App: a, CORSOrigins: origins})
	if err != nil {
		return err
	}
	if err := firstStart(ctx, a.Accounts, stdout); err != nil {
		return err
	}
	workerDone := make(chan struct{})
	defer func() { <-workerDone }() // before the store closes
	wctx, stopWorker := context.WithCancel(ctx)
	defer stopWorker() // runs first: deferred calls unwind in reverse
	go func() {
		defer close(workerDone)
		if err := a.Worker.Run(clock.WithContext(wctx, clock.Real{})); err != nil && wctx.Err() == nil {
			logger.Error("background worker stopped", "error", err)
		}
	}()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	logger.Info("remit listening", "addr", ln.Addr().String(), "database", st.Dialect,
		"graphiql", "http://"+displayAddr(ln.Addr()), "api", "http://"+displayAddr(ln.Addr())+"/graphql")
	return srv.Run(ctx, ln)
}

func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil || host == "::" || host == "0.0.0.0" || host == "" {
		return "localhost:" + port
	}
	return a.String()
}

// firstStart creates the first account and its test key on an empty
// database, printing the key once: it is never shown again.
func firstStart(ctx context.Context, accts *accounts.Service, stdout io.Writer) error {
	n, err := accts.Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	a, err := accts.Create(ctx, env("REMIT_ACCOUNT_NAME", "My Business"))
	if err != nil {
		return err
	}
	k, err := accts.CreateKey(ctx, a.ID, viewer.Test, "created on first start")
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nCreated account %s (%s).\nTest-mode secret API key — shown only this once, keep it safe:\n\n    %s\n\nUse it as: Authorization: Bearer %s\n\n", a.ID, a.Name, k.Secret, k.Secret)
	return nil
}

func accountCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError{"usage: remit account create --name NAME"}
	}
	fs := flag.NewFlagSet("account create", flag.ContinueOnError)
	name := fs.String("name", "", "business name")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	if *name == "" {
		return usageError{"--name is required"}
	}
	st, err := openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	a, err := accounts.New(st.Client).Create(ctx, *name)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, a.ID)
	return nil
}

// schemaCmd prints an API's schema as SDL, from the executable schema the
// server serves (so it cannot drift from it), without a database or a
// session: for SPA and code-generation users, and for whoever the portal
// refuses introspection to.
// webhookCmd is `remit webhook listen`.
func webhookCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "listen" {
		return usageError{"usage: remit webhook listen [--forward-to URL] [--api URL] [--key KEY] [--events TYPE,TYPE]"}
	}
	fs := flag.NewFlagSet("webhook listen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	forward := fs.String("forward-to", "", "local URL to POST each event to, signed")
	api := fs.String("api", env("REMIT_API_URL", "http://localhost:8080"), "the Remit server")
	key := fs.String("key", os.Getenv("REMIT_API_KEY"), "a secret API key (sk_test_… or sk_live_…)")
	types := fs.String("events", "", "comma-separated event types (default all)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	l := &webhooks.Listener{API: *api, Key: *key, ForwardTo: *forward, Out: stdout}
	if *types != "" {
		l.Types = strings.Split(*types, ",")
	}
	return l.Run(ctx)
}

func schemaCmd(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "print" {
		return usageError{"usage: remit schema print [--portal]"}
	}
	fs := flag.NewFlagSet("schema print", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	portal := fs.Bool("portal", false, "print the portal API's schema instead of the merchant API's")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	if *portal {
		schema = portalgenerated.NewExecutableSchema(portalgenerated.Config{}).Schema()
	}
	var buf bytes.Buffer
	formatter.NewFormatter(&buf, formatter.WithIndent("  ")).FormatSchema(schema)
	if _, err := stdout.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("print schema: %w", err)
	}
	return nil
}

func apikeyCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{"usage: remit apikey create|revoke"}
	}
	st, err := openStore(ctx, true)
	if err != nil {
		return err
	}
	defer st.Close()
	accts := accounts.New(st.Client)
	switch args[0] {
	case "create":
		fs := flag.NewFlagSet("apikey create", flag.ContinueOnError)
		mode := fs.String("mode", "", "test or live")
		accountID := fs.String("account", "", "account id (default: the only account)")
		name := fs.String("name", "", "what the key is for")
		if err := fs.Parse(args[1:]); err != nil {
			return usageError{err.Error()}
		}
		m, err := viewer.ParseMode(*mode)
		if err != nil {
			return usageError{"--mode must be test or live"}
		}
		id := *accountID
		if id == "" {
			all, err := accts.List(ctx)
			if err != nil {
				return err
			}
			switch len(all) {
			case 0:
				return errors.New("no account yet: run remit serve once, or remit account create --name NAME")
			case 1:
				id = all[0].ID
			default:
				return usageError{"several accounts exist: pass --account ID"}
			}
		}
		k, err := accts.CreateKey(ctx, id, m, *name)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, k.Secret)
		return nil
	case "revoke":
		if len(args) != 2 {
			return usageError{"usage: remit apikey revoke KEY_ID"}
		}
		k, err := accts.RevokeKey(ctx, args[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s (%s)\n", k.ID, k.Redacted)
		return nil
	}
	return usageError{fmt.Sprintf("unknown apikey command %q", args[0])}
}
