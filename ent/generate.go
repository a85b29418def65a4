// Package ent holds the generated data-access code; the schema lives in
// ent/schema. Never edit generated files: run `go generate ./...`.
package ent

//go:generate go run -mod=mod entc.go
