-- One invoice, as BenchmarkPostgresCreateFinalize (bench/pg_test.go) runs
-- it with pgbench -M prepared -c 8: the rows the API's invoiceCreate and
-- invoiceFinalize write for a 10-line invoice with the 20 % tax rate, in
-- the same two transactions, written directly (the raw baseline of
-- bench/raw_test.go, on PostgreSQL). One run of this script is one
-- invoice, so pgbench's transactions per second are invoices per second.
--
-- The benchmark defines the variables (-D): the account (acct), its
-- invoice prefix (prefix), the acting key (actor), the tax rate (txr),
-- the number of customers (ncus, whose ids are cus_pg and the index on 22
-- digits), and the values the API wrote for an invoice of its own, read
-- after its warm-up: line amounts and tax amounts (amt0..amt9, tax0..tax9),
-- totals (subtotal, tax, total), the invoice's taxes, terms and snapshots
-- (taxes, terms, buyer, issuer) and the data of its two events (evcreated,
-- evfinalized). Ids are time-ordered, as the API's are.

\set c random(0, :ncus - 1)

-- Transaction 1: invoiceCreate. The draft, its lines, their tax rate and
-- its history step (an event).
BEGIN;
INSERT INTO invoices (id, created_at, updated_at, mode, status, currency, collection_method, days_until_due, memo, footer,
    custom_fields, metadata, discounts, subtotal, total_discount, total_tax, total_excluding_tax, total, starting_balance,
    applied_balance, amount_due, amount_paid, taxes, amounts_due, payment_method_types, amount_pending, account_id, customer_id)
  VALUES ('in_' || lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000000)::bigint), 14, '0') || substr(md5(random()::text), 1, 12),
    now(), now(), 'test', 'DRAFT', 'EUR', 'SEND_INVOICE', 30, '', '',
    'null', '{}', 'null', :subtotal, 0, :tax, :subtotal, :total, 0,
    0, 0, 0, :taxes, 'null', 'null', 0, :acct, 'cus_pg' || lpad(:c::text, 22, '0'))
  RETURNING id AS inv, substr(id, 4) AS k
\gset
INSERT INTO invoice_lines (id, created_at, updated_at, mode, currency, position, description, quantity, unit_amount, discounts,
    tax_rates_set, metadata, amount, discount_amount, invoice_discount_amount, tax_amounts, invoice_id, account_id)
  VALUES
    ('il_' || :k || '0', now(), now(), 'test', 'EUR', 0, 'Consulting services, phase 1 — senior engineer day rate', '1.5', '650.90', 'null', true, '{}', :amt0, 0, 0, :tax0, :inv, :acct),
    ('il_' || :k || '1', now(), now(), 'test', 'EUR', 1, 'Consulting services, phase 2 — senior engineer day rate', '2.5', '660.90', 'null', true, '{}', :amt1, 0, 0, :tax1, :inv, :acct),
    ('il_' || :k || '2', now(), now(), 'test', 'EUR', 2, 'Consulting services, phase 3 — senior engineer day rate', '3.5', '670.90', 'null', true, '{}', :amt2, 0, 0, :tax2, :inv, :acct),
    ('il_' || :k || '3', now(), now(), 'test', 'EUR', 3, 'Consulting services, phase 4 — senior engineer day rate', '4.5', '680.90', 'null', true, '{}', :amt3, 0, 0, :tax3, :inv, :acct),
    ('il_' || :k || '4', now(), now(), 'test', 'EUR', 4, 'Consulting services, phase 5 — senior engineer day rate', '5.5', '690.90', 'null', true, '{}', :amt4, 0, 0, :tax4, :inv, :acct),
    ('il_' || :k || '5', now(), now(), 'test', 'EUR', 5, 'Consulting services, phase 6 — senior engineer day rate', '6.5', '700.90', 'null', true, '{}', :amt5, 0, 0, :tax5, :inv, :acct),
    ('il_' || :k || '6', now(), now(), 'test', 'EUR', 6, 'Consulting services, phase 7 — senior engineer day rate', '7.5', '710.90', 'null', true, '{}', :amt6, 0, 0, :tax6, :inv, :acct),
    ('il_' || :k || '7', now(), now(), 'test', 'EUR', 7, 'Consulting services, phase 8 — senior engineer day rate', '8.5', '720.90', 'null', true, '{}', :amt7, 0, 0, :tax7, :inv, :acct),
    ('il_' || :k || '8', now(), now(), 'test', 'EUR', 8, 'Consulting services, phase 9 — senior engineer day rate', '9.5', '730.90', 'null', true, '{}', :amt8, 0, 0, :tax8, :inv, :acct),
    ('il_' || :k || '9', now(), now(), 'test', 'EUR', 9, 'Consulting services, phase 10 — senior engineer day rate', '10.5', '740.90', 'null', true, '{}', :amt9, 0, 0, :tax9, :inv, :acct);
INSERT INTO invoice_line_tax_rates (invoice_line_id, tax_rate_id)
  VALUES ('il_' || :k || '0', :txr), ('il_' || :k || '1', :txr), ('il_' || :k || '2', :txr), ('il_' || :k || '3', :txr),
    ('il_' || :k || '4', :txr), ('il_' || :k || '5', :txr), ('il_' || :k || '6', :txr), ('il_' || :k || '7', :txr),
    ('il_' || :k || '8', :txr), ('il_' || :k || '9', :txr)
  ON CONFLICT DO NOTHING;
INSERT INTO events (id, created_at, updated_at, mode, type, object_type, object_id, data, data_version, actor_type, actor_id,
    request_id, history_action, from_status, to_status, note, account_id)
  VALUES ('evt_' || lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000000)::bigint), 14, '0') || substr(md5(random()::text), 1, 12),
    now(), now(), 'test', 'invoice.created', 'invoice', :inv, :evcreated, 1, 'api_key', :actor,
    'req_' || substr(md5(random()::text), 1, 20), 'create', '', 'DRAFT', '', :acct);
COMMIT;

-- Transaction 2: invoiceFinalize. The next number, the invoice issued
-- (number, due date, balances, snapshots, terms, hosted link) and its
-- history step.
BEGIN;
INSERT INTO sequences (id, account_id, mode, scope, next, created_at, updated_at)
  VALUES ('seq_' || lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000000)::bigint), 14, '0') || substr(md5(random()::text), 1, 12),
    :acct, 'test', :prefix, 2, now(), now())
  ON CONFLICT (account_id, mode, scope) DO UPDATE SET next = COALESCE(sequences.next, 0) + 1, updated_at = excluded.updated_at
  RETURNING next
\gset
\set n :next - 1
UPDATE invoices SET updated_at = now(), number = :prefix || '-' || lpad(:n::text, 4, '0'), status = 'OPEN',
    due_date = now() + interval '30 days', starting_balance = 0, applied_balance = 0, ending_balance = 0, amount_due = :total,
    customer_snapshot = :buyer, issuer_snapshot = :issuer, terms = :terms, finalized_at = now(),
    hosted_token = md5(random()::text), hosted_token_expires_at = now() + interval '60 days'
  WHERE id = :inv AND account_id = :acct AND mode = 'test';
INSERT INTO events (id, created_at, updated_at, mode, type, object_type, object_id, data, data_version, actor_type, actor_id,
    request_id, history_action, from_status, to_status, note, account_id)
  VALUES ('evt_' || lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000000)::bigint), 14, '0') || substr(md5(random()::text), 1, 12),
    now(), now(), 'test', 'invoice.finalized', 'invoice', :inv, :evfinalized, 1, 'api_key', :actor,
    'req_' || substr(md5(random()::text), 1, 20), 'finalize', 'DRAFT', 'OPEN', 'number ' || :prefix || '-' || lpad(:n::text, 4, '0'), :acct);
COMMIT;
