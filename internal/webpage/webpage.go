// Package webpage holds what every HTML page Remit serves begins with —
// the hosted invoice page and its not-found page, the customer portal,
// the dev mailbox —, so that a meta tag is added or changed once.
package webpage

import "html/template"

// Head defines the template "head": the doctype, the html element in the
// language given as the template's data, and the meta tags of every page
// (no search engine indexes a page of someone's invoices). A page goes on
// with its own title and styles, and closes the head.
const Head = `{{define "head"}}<!doctype html>
<html lang="{{.}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">{{end}}`

// New is a template set named name that knows "head".
func New(name string) *template.Template {
	return template.Must(template.New(name).Parse(Head))
}
