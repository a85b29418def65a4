// Remit's API through the tools browser apps use, against the real server
// the Go test (internal/clienttest) started: Apollo Client's
// relayStylePagination over 250 invoices, a mutation's userErrors, an
// invoice.paid event over a graphql-ws subscription, and a webhook
// delivery verified with Stripe's own code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ApolloClient, InMemoryCache, HttpLink, gql } from '@apollo/client/core/index.js';
import { relayStylePagination } from '@apollo/client/utilities/index.js';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import Stripe from 'stripe';

const env = JSON.parse(readFileSync(process.env.REMIT_CLIENT_TEST, 'utf8'));
const auth = { Authorization: `Bearer ${env.key}` };

const apollo = new ApolloClient({
  link: new HttpLink({ uri: `${env.url}/graphql`, headers: auth }),
  cache: new InMemoryCache({ typePolicies: { Query: { fields: { invoices: relayStylePagination(['filter', 'orderBy']) } } } }),
});

test('relayStylePagination reads every invoice once', async () => {
  const LIST = gql`query List($after: Cursor) { invoices(first: 40, after: $after) {
    edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`;
  const list = apollo.watchQuery({ query: LIST });
  let res = await list.result();
  while (res.data.invoices.pageInfo.hasNextPage) {
    await list.fetchMore({ variables: { after: res.data.invoices.pageInfo.endCursor } });
    res = list.getCurrentResult();
  }
  const ids = res.data.invoices.edges.map((e) => e.node.id);
  assert.equal(ids.length, env.invoices.length, 'every invoice');
  assert.equal(new Set(ids).size, ids.length, 'no duplicates');
  assert.deepEqual([...ids].sort(), [...env.invoices].sort(), 'nothing missing');
});

test('a mutation answers userErrors', async () => {
  const { data } = await apollo.mutate({
    mutation: gql`mutation { customerCreate(input: {customer: {name: "Bad", email: "not an email"}}) {
      customer { id } userErrors { field code message } } }`,
  });
  assert.equal(data.customerCreate.customer, null);
  assert.equal(data.customerCreate.userErrors[0].code, 'INVALID_EMAIL');
  assert.deepEqual(data.customerCreate.userErrors[0].field, ['input', 'customer', 'email']);
});

test('invoice.paid arrives over graphql-ws', async () => {
  const ws = createClient({ url: env.url.replace(/^http/, 'ws') + '/graphql', webSocketImpl: WebSocket, connectionParams: auth });
  const got = new Promise((resolve, reject) => {
    const stop = ws.subscribe(
      { query: 'subscription { events(types: ["invoice.paid"]) { type objectId } }' },
      { next: (m) => { stop(); resolve(m.data.events); }, error: reject, complete: () => {} },
    );
    setTimeout(() => reject(new Error('no invoice.paid within 10 s')), 10000);
  });
  await new Promise((r) => setTimeout(r, 500)); // subscribed
  const { data } = await apollo.mutate({
    mutation: gql`mutation($id: ID!) { invoiceMarkPaid(input: {id: $id, method: "bank_transfer"}) { invoice { status } userErrors { code message } } }`,
    variables: { id: env.open },
  });
  assert.deepEqual(data.invoiceMarkPaid.userErrors, []);
  const ev = await got;
  assert.equal(ev.type, 'invoice.paid');
  assert.equal(ev.objectId, env.open);
  await ws.dispose();
});

test("a webhook passes Stripe's signature check", () => {
  const stripe = new Stripe('sk_test_unused');
  const event = stripe.webhooks.constructEvent(env.webhook.body, env.webhook.signature, env.webhook.secret, 300, undefined, env.webhook.now);
  assert.equal(event.id, env.webhook.eventId);
  assert.throws(() => stripe.webhooks.constructEvent(env.webhook.body, env.webhook.signature, 'whsec_wrong', 300, undefined, env.webhook.now));
});
