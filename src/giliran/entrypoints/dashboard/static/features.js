// What this server offers, read once from its own API description: the inbox's parts land one
// by one, and an action whose endpoint a server does not have yet is simply not offered (it
// would only answer 404).

let reading = null;

/** The set of "METHOD /path" the API answers (paths as in the description, under /api/v1),
 * plus "multipart /tickets/{ticket_id}/messages" when a reply may carry a file. */
export function features() {
  reading ??= read();
  return reading;
}

async function read() {
  const found = new Set();
  try {
    const response = await fetch("/api/v1/openapi.json", { credentials: "same-origin" });
    const doc = await response.json();
    for (const [path, operations] of Object.entries(doc.paths ?? {})) {
      const short = path.replace(/^\/api\/v1/, "");
      for (const [method, operation] of Object.entries(operations)) {
        found.add(`${method.toUpperCase()} ${short}`);
        if (operation?.requestBody?.content?.["multipart/form-data"]) found.add(`multipart ${short}`);
      }
    }
  } catch {
    // No description: offer only what every server since the conversations has.
  }
  return found;
}
