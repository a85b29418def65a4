// Package secrets gives the server its long-lived keys. Each is created
// once, at random, and stored in the database, so every process serving
// one database signs and hashes with the same keys and restarts keep them.
package secrets

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/serversecret"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/viewer"
)

// Root is the name of the root secret every other key derives from.
const Root = "root"

// Load returns the named secret, creating it on first use. Concurrent
// first uses agree: the insert ignores conflicts and everyone reads back
// the stored value.
func Load(ctx context.Context, db *ent.Client, name string) ([]byte, error) {
	ctx = viewer.Bypass(ctx, "server secrets belong to no account")
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	err := db.ServerSecret.Create().
		SetID(name).SetValue(fresh).SetCreatedAt(clock.Now(ctx)).
		OnConflict(sql.ConflictColumns(serversecret.FieldID)).DoNothing().
		Exec(ctx)
	// DoNothing reports "no rows" on some drivers when the row existed.
	if err != nil && !ent.IsNotFound(err) && !isNoRows(err) {
		return nil, fmt.Errorf("secrets: store %s: %w", name, err)
	}
	s, err := db.ServerSecret.Get(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("secrets: load %s: %w", name, err)
	}
	return s.Value, nil
}

func isNoRows(err error) bool { return err != nil && err.Error() == "sql: no rows in result set" }

// Derive returns a 32-byte key for purpose from root, so that one stored
// secret yields independent keys (HMAC-SHA256 as a KDF).
func Derive(root []byte, purpose string) []byte {
	m := hmac.New(sha256.New, root)
	m.Write([]byte("remit key derivation\x00" + purpose))
	return m.Sum(nil)
}

// ErrUnsealable means sealed data was altered, sealed with another key or
// bound to other context: it is never returned as plaintext.
var ErrUnsealable = errors.New("secrets: sealed data cannot be opened with this key and context")

// Seal encrypts plaintext with key (32 bytes, from Derive) in AES-256-GCM
// under a random nonce, binding it to context: data sealed for one
// account cannot be opened as another's.
func Seal(key, plaintext []byte, context string) ([]byte, error) {
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return aead.Seal(nonce, nonce, plaintext, []byte(context)), nil
}

// Open reverses Seal with the same key and context.
func Open(key, sealed []byte, context string) ([]byte, error) {
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, ErrUnsealable
	}
	out, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(context))
	if err != nil {
		return nil, ErrUnsealable
	}
	return out, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	return cipher.NewGCM(block)
}
