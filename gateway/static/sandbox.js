// The GraphiQL sandbox of Roam's developer console (README "Developer console and sandbox"). React, ReactDOM
// and GraphiQL are the UMD bundles of the pinned npm packages, served by the gateway from node_modules.
/* global React, ReactDOM, GraphiQL */
'use strict';
(function () {
  var fetcher = GraphiQL.createFetcher({
    url: window.location.pathname,
    headers: { 'apollographql-client-name': 'roam-sandbox' },
  });
  var defaultQuery =
    '# Roam sandbox: queries run against this gateway (POST ' + window.location.pathname + ').\n' + 'query TopProducts {\n  topProducts(first: 3) {\n    upc\n    name\n    price\n  }\n}\n';
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultQuery: defaultQuery, shouldPersistHeaders: false }));
})();
