// GraphiQL for Remit, from the binary alone (no CDN).
//
// - The header editor starts with an ASCII template: a browser's fetch
//   throws on a header value outside Latin-1 (an ellipsis, say).
// - The schema is fetched again when the headers change: GraphiQL
//   introspects when its fetcher changes, with the headers then in the
//   editor, so a new fetcher is handed to it once the edited headers are
//   valid JSON and have settled.
// - Headers (the secret key) are not kept in the browser unless the user
//   turns on "Persist headers" in GraphiQL's settings: this origin also
//   serves the hosted invoice pages and the portal. GraphiQL's setting
//   covers its tabs but not its history, which would keep every query's
//   headers: the storage below drops headers from whatever is written
//   while the setting is off.
(function () {
  'use strict';
  var template = '{\n  "Authorization": "Bearer sk_test_PASTE_YOUR_KEY"\n}';
  var local = GraphiQL.createLocalStorage({ namespace: 'remit' });
  var persistKey = 'graphiql:shouldPersistHeaders';
  function persisting() { return local.getItem(persistKey) === 'true'; }
  function withoutHeaders(value) {
    if (typeof value !== 'string' || value.indexOf('"headers"') < 0) {
      return value;
    }
    try {
      return JSON.stringify(JSON.parse(value), function (key, v) { return key === 'headers' ? null : v; });
    } catch (e) {
      return value;
    }
  }
  var storage = {
    getItem: function (key) { return local.getItem(key); },
    setItem: function (key, value) {
      if (key !== persistKey && !persisting()) {
        if (key === 'graphiql:headers') {
          local.removeItem(key);
          return;
        }
        value = withoutHeaders(value);
      }
      local.setItem(key, value);
    },
    removeItem: function (key) { local.removeItem(key); },
    clear: function () { local.clear(); },
    get length() { return local.length; }
  };
  var persist = persisting();
  if (!persist) {
    // Headers kept while the setting was on go when it is turned off.
    ['graphiql:queries', 'graphiql:favorites', 'graphiql:tabState', 'graphiql:headers'].forEach(function (key) {
      var value = local.getItem(key);
      if (value !== null) {
        storage.setItem(key, value);
      }
    });
  }
  var base = GraphiQL.createFetcher({ url: location.origin + '/graphql' });
  var fetcher = newFetcher();
  var headers = template; // what the schema was last fetched with
  var timer = null;
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));

  function newFetcher() {
    return function (params, opts) { return base(params, opts); };
  }

  function onEditHeaders(value) {
    clearTimeout(timer);
    timer = setTimeout(function () {
      try {
        JSON.parse(value || '{}');
      } catch (e) {
        return; // being typed
      }
      if (value === headers) {
        return;
      }
      headers = value;
      fetcher = newFetcher();
      render();
    }, 400);
  }

  function render() {
    root.render(React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultHeaders: template,
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: persist,
      showPersistHeadersSettings: true,
      storage: storage,
      onEditHeaders: onEditHeaders,
      inputValueDeprecation: true
    }));
  }

  render();
})();
