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
//   serves the hosted invoice pages and the portal.
(function () {
  'use strict';
  var template = '{\n  "Authorization": "Bearer sk_test_PASTE_YOUR_KEY"\n}';
  var storage = GraphiQL.createLocalStorage({ namespace: 'remit' });
  var persist = storage.getItem('graphiql:shouldPersistHeaders') === 'true';
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
