package graph

import "github.com/remitbilling/remit/graph/model"

// einvoiceLinks are the two syntaxes of the e-invoice served at path.
func einvoiceLinks(path string) *model.EInvoiceLinks {
	cii, ubl := path+"?syntax=cii", path+"?syntax=ubl"
	return &model.EInvoiceLinks{CiiURL: &cii, UblURL: &ubl}
}
