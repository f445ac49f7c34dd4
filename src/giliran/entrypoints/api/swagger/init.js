// Swagger UI for giliran's OpenAPI document. No validator badge: it would call
// validator.swagger.io, and nothing on this page may come from elsewhere.
window.ui = SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
  persistAuthorization: false,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
