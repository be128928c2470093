/* The API reference page: Swagger UI (vendored under static/vendor/swagger-ui) reading the
   OpenAPI description the app generates. A static file, so the page keeps the site's strict
   Content-Security-Policy (no inline script). */
(function () {
  "use strict";
  window.addEventListener("DOMContentLoaded", function () {
    window.ui = window.SwaggerUIBundle({
      url: new URL("../../api/v1/openapi.json", document.baseURI).href,
      dom_id: "#swagger-ui",
      deepLinking: true,
      // Never send the description to a third-party validator.
      validatorUrl: null,
      // Tokens typed into "Authorize" stay in this tab only.
      persistAuthorization: false,
      defaultModelsExpandDepth: 0,
    });
  });
})();
