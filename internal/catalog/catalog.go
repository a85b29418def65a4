// Package catalog manages what an account sells — products and their
// prices — and the tax rates applied to invoice lines.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/totals"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
)

// Service manages products, prices and tax rates.
type Service struct {
	db *ent.Client
}

// Config is what a Service needs.
type Config struct {
	DB *ent.Client
}

// Validate reports a missing dependency.
func (c Config) Validate() error {
	if c.DB == nil {
		return errors.New("catalog: DB is required")
	}
	return nil
}

// New returns a Service built from cfg.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Service{db: cfg.DB}, nil
}

func notFound(what string, field ...string) error {
	return usererr.New(usererr.NotFound, "no such "+what, field...)
}

// orEmpty returns m, or an empty map for nil: the API's metadata is a
// non-null object, so a stored null would fail every read of the object.
func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// text trims s and checks its length in characters.
func text(errs *usererr.List, s *string, max int, required bool, field string) {
	if s == nil {
		if required {
			*errs = append(*errs, usererr.New(usererr.Required, field+" is required", field))
		}
		return
	}
	*s = strings.TrimSpace(*s)
	switch {
	case required && *s == "":
		*errs = append(*errs, usererr.New(usererr.Required, field+" is required", field))
	case len([]rune(*s)) > max:
		*errs = append(*errs, usererr.Newf(usererr.LimitExceeded, []string{field}, "%s is at most %d characters", field, max))
	}
}

// ProductInput carries product fields; nil leaves a field as it is.
type ProductInput struct {
	Name        *string
	Description *string
	Active      *bool
	UnitLabel   *string
	Metadata    map[string]string
}

func (in *ProductInput) check(create bool) error {
	var errs usererr.List
	text(&errs, in.Name, 250, create, "name")
	text(&errs, in.Description, 5000, false, "description")
	text(&errs, in.UnitLabel, 12, false, "unitLabel")
	if in.Metadata != nil {
		errs.Add(validate.Metadata(in.Metadata), "metadata")
	}
	return errs.Err()
}

// CreateProduct adds a product.
func (s *Service) CreateProduct(ctx context.Context, in ProductInput) (*ent.Product, error) {
	if err := in.check(true); err != nil {
		return nil, err
	}
	c := s.db.Product.Create().SetName(*in.Name)
	if in.Description != nil {
		c.SetDescription(*in.Description)
	}
	if in.Active != nil {
		c.SetActive(*in.Active)
	}
	if in.UnitLabel != nil {
		c.SetUnitLabel(*in.UnitLabel)
	}
	// Metadata is never null in the API: store an empty map when none
	// is given.
	c.SetMetadata(orEmpty(in.Metadata))
	p, err := c.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create product: %w", err)
	}
	return p, nil
}

// UpdateProduct changes a product.
func (s *Service) UpdateProduct(ctx context.Context, id string, in ProductInput) (*ent.Product, error) {
	if in.Name != nil && strings.TrimSpace(*in.Name) == "" {
		return nil, usererr.New(usererr.Required, "name is required", "name")
	}
	if err := in.check(false); err != nil {
		return nil, err
	}
	u := s.db.Product.UpdateOneID(id)
	if in.Name != nil {
		u.SetName(*in.Name)
	}
	if in.Description != nil {
		u.SetDescription(*in.Description)
	}
	if in.Active != nil {
		u.SetActive(*in.Active)
	}
	if in.UnitLabel != nil {
		u.SetUnitLabel(*in.UnitLabel)
	}
	if in.Metadata != nil {
		u.SetMetadata(in.Metadata)
	}
	p, err := u.Save(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("product", "id")
	}
	if err != nil {
		return nil, fmt.Errorf("update product: %w", err)
	}
	return p, nil
}

// PriceInput describes a new price. UnitAmount is in major units; with
// MinorUnits it is an integral count of minor units.
type PriceInput struct {
	ProductID  string
	Currency   string
	UnitAmount string
	MinorUnits bool
	Nickname   string
	Metadata   map[string]string
}

// CreatePrice adds a price to a product. Prices are immutable except for
// their nickname, activity and metadata: a new amount is a new price.
func (s *Service) CreatePrice(ctx context.Context, in PriceInput) (*ent.Price, error) {
	var errs usererr.List
	cur, err := money.Normalize(in.Currency)
	if err != nil {
		errs = append(errs, usererr.Newf(usererr.UnknownCurrency, []string{"currency"}, "%q is not an ISO 4217 currency", in.Currency))
	}
	var amount decimal.Decimal
	if err == nil {
		amount, err = money.ParseUnitAmount(in.UnitAmount, cur, in.MinorUnits, "unitAmount")
		errs.Add(err)
	}
	text(&errs, &in.Nickname, 250, false, "nickname")
	if in.Metadata != nil {
		errs.Add(validate.Metadata(in.Metadata), "metadata")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	prod, err := s.db.Product.Get(ctx, in.ProductID)
	if ent.IsNotFound(err) {
		return nil, notFound("product", "product")
	}
	if err != nil {
		return nil, fmt.Errorf("load product: %w", err)
	}
	c := s.db.Price.Create().
		SetProductID(prod.ID).
		SetCurrency(cur).
		SetUnitAmount(amount.String()).
		SetNickname(in.Nickname)
	c.SetMetadata(orEmpty(in.Metadata))
	p, err := c.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create price: %w", err)
	}
	return p, nil
}

// UpdatePrice changes a price's nickname, activity or metadata.
func (s *Service) UpdatePrice(ctx context.Context, id string, nickname *string, active *bool, metadata map[string]string) (*ent.Price, error) {
	var errs usererr.List
	text(&errs, nickname, 250, false, "nickname")
	if metadata != nil {
		errs.Add(validate.Metadata(metadata), "metadata")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	u := s.db.Price.UpdateOneID(id)
	if nickname != nil {
		u.SetNickname(*nickname)
	}
	if active != nil {
		u.SetActive(*active)
	}
	if metadata != nil {
		u.SetMetadata(metadata)
	}
	p, err := u.Save(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("price", "id")
	}
	if err != nil {
		return nil, fmt.Errorf("update price: %w", err)
	}
	return p, nil
}

// TaxRateInput carries tax-rate fields. Percentage and Inclusive are set only
// at creation: changing them would silently change issued invoices.
type TaxRateInput struct {
	DisplayName  *string
	Description  *string
	Percentage   *string
	Inclusive    *bool
	Country      *string
	State        *string
	Jurisdiction *string
	TaxType      *string
	Active       *bool
	Metadata     map[string]string
	// Category is the EN 16931 VAT category code (S, Z, E, AE, K, G, O);
	// nil takes S above 0 % and Z at 0 %. ExemptionReason and
	// ExemptionCode (VATEX) say why a 0 % category charges nothing. The
	// three are set only at creation, like the percentage.
	Category        *string
	ExemptionReason *string
	ExemptionCode   *string
}

// TaxTypes lists the accepted tax types.
var TaxTypes = []string{"vat", "sales_tax", "gst", "hst", "pst", "qst", "rst", "igst", "jct", "service_tax", "lease_tax", "amusement_tax", "communications_tax"}

// checkCategory validates the VAT category of a new rate of percentage
// pct and fills in its defaults: the category from the percentage, the
// category's generic VATEX code for AE, K, G and O.
func (in *TaxRateInput) checkCategory(errs *usererr.List, pct decimal.Decimal) {
	text(errs, in.ExemptionReason, 300, false, "exemptionReason")
	cat := totals.CategoryOr("", pct)
	if in.Category != nil {
		c, ok := totals.ParseCategory(*in.Category)
		if !ok {
			*errs = append(*errs, usererr.Newf(usererr.Invalid, []string{"category"}, "category is one of S, Z, E, AE, K, G, O (EN 16931), not %q", *in.Category))
			return
		}
		cat = c
	}
	reason, code := "", ""
	if in.ExemptionReason != nil {
		reason = *in.ExemptionReason
	}
	if in.ExemptionCode != nil {
		code = strings.ToUpper(strings.TrimSpace(*in.ExemptionCode))
	}
	if re := totals.CheckRate(cat, pct, reason, code); re != nil {
		*errs = append(*errs, usererr.New(usererr.Invalid, re.Message, re.Field))
		return
	}
	if code == "" {
		code = cat.DefaultExemptionCode()
	}
	c := string(cat)
	in.Category, in.ExemptionReason, in.ExemptionCode = &c, &reason, &code
}

func (in *TaxRateInput) check(create bool) (decimal.Decimal, error) {
	var errs usererr.List
	text(&errs, in.DisplayName, 50, create, "displayName")
	text(&errs, in.Description, 500, false, "description")
	text(&errs, in.Jurisdiction, 50, false, "jurisdiction")
	text(&errs, in.State, 10, false, "state")
	var pct decimal.Decimal
	pctOK := false
	if create {
		switch {
		case in.Percentage == nil:
			errs = append(errs, usererr.New(usererr.Required, "percentage is required", "percentage"))
		default:
			p, err := money.ParseDecimal(strings.TrimSpace(*in.Percentage))
			switch {
			case err != nil:
				errs = append(errs, usererr.Newf(usererr.InvalidDecimal, []string{"percentage"}, "%q is not a decimal number like 20 or 5.5", *in.Percentage))
			case p.IsNegative() || p.GreaterThan(decimal.NewFromInt(100)):
				errs = append(errs, usererr.New(usererr.Invalid, "percentage is between 0 and 100", "percentage"))
			case -p.Exponent() > 4 && !p.Equal(p.Round(4)):
				errs = append(errs, usererr.New(usererr.Invalid, "percentage has at most 4 decimals", "percentage"))
			default:
				pct, pctOK = p, true
			}
		}
		if in.Inclusive == nil {
			errs = append(errs, usererr.New(usererr.Required, "say whether prices include this tax", "inclusive"))
		}
		if pctOK {
			in.checkCategory(&errs, pct.Round(4))
		}
	} else {
		if in.Percentage != nil {
			errs = append(errs, usererr.New(usererr.Immutable, "a tax rate's percentage never changes; create a new rate and archive this one", "percentage"))
		}
		if in.Inclusive != nil {
			errs = append(errs, usererr.New(usererr.Immutable, "a tax rate's inclusiveness never changes; create a new rate and archive this one", "inclusive"))
		}
	}
	if in.Country != nil && *in.Country != "" {
		c, err := validate.Country(*in.Country)
		errs.Add(err, "country")
		in.Country = &c
	}
	if in.TaxType != nil {
		ok := false
		for _, t := range TaxTypes {
			ok = ok || t == *in.TaxType
		}
		if !ok {
			errs = append(errs, usererr.Newf(usererr.Invalid, []string{"taxType"}, "tax type is one of %s", strings.Join(TaxTypes, ", ")))
		}
	}
	if in.Metadata != nil {
		errs.Add(validate.Metadata(in.Metadata), "metadata")
	}
	return pct.Round(4), errs.Err()
}

// CreateTaxRate adds a tax rate.
func (s *Service) CreateTaxRate(ctx context.Context, in TaxRateInput) (*ent.TaxRate, error) {
	pct, err := in.check(true)
	if err != nil {
		return nil, err
	}
	c := s.db.TaxRate.Create().
		SetDisplayName(*in.DisplayName).
		SetPercentage(pct.String()).
		SetInclusive(*in.Inclusive).
		SetCategory(*in.Category).
		SetExemptionReason(*in.ExemptionReason).
		SetExemptionCode(*in.ExemptionCode)
	if in.Description != nil {
		c.SetDescription(*in.Description)
	}
	if in.Country != nil {
		c.SetCountry(*in.Country)
	}
	if in.State != nil {
		c.SetState(*in.State)
	}
	if in.Jurisdiction != nil {
		c.SetJurisdiction(*in.Jurisdiction)
	}
	if in.TaxType != nil {
		c.SetTaxType(*in.TaxType)
	}
	if in.Active != nil {
		c.SetActive(*in.Active)
	}
	c.SetMetadata(orEmpty(in.Metadata))
	r, err := c.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create tax rate: %w", err)
	}
	return r, nil
}

// UpdateTaxRate changes a tax rate's descriptive fields or archives it.
func (s *Service) UpdateTaxRate(ctx context.Context, id string, in TaxRateInput) (*ent.TaxRate, error) {
	if in.DisplayName != nil && strings.TrimSpace(*in.DisplayName) == "" {
		return nil, usererr.New(usererr.Required, "displayName is required", "displayName")
	}
	if _, err := in.check(false); err != nil {
		return nil, err
	}
	u := s.db.TaxRate.UpdateOneID(id)
	if in.DisplayName != nil {
		u.SetDisplayName(*in.DisplayName)
	}
	if in.Description != nil {
		u.SetDescription(*in.Description)
	}
	if in.Country != nil {
		u.SetCountry(*in.Country)
	}
	if in.State != nil {
		u.SetState(*in.State)
	}
	if in.Jurisdiction != nil {
		u.SetJurisdiction(*in.Jurisdiction)
	}
	if in.TaxType != nil {
		u.SetTaxType(*in.TaxType)
	}
	if in.Active != nil {
		u.SetActive(*in.Active)
	}
	if in.Metadata != nil {
		u.SetMetadata(in.Metadata)
	}
	r, err := u.Save(ctx)
	if ent.IsNotFound(err) {
		return nil, notFound("tax rate", "id")
	}
	if err != nil {
		return nil, fmt.Errorf("update tax rate: %w", err)
	}
	return r, nil
}
