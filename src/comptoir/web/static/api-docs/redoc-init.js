// Starts ReDoc on /redoc (a file rather than an inline script: the page's CSP allows no inline script).
"use strict";
(function () {
  var root = document.getElementById("redoc");
  Redoc.init(root.dataset.openapiUrl, {}, root);
})();
