import type { OpenApiDocument, Operation } from './openapi.generator';

// A page with no script, no font, no image and no request of its own: it must work offline (no
// CDN) and its Content-Security-Policy (see OpenApiController) lets nothing else load.

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#fafbfc}
main{max-width:1100px;margin:0 auto;padding:1.5rem}
h1{margin:.2rem 0}h2{margin-top:2rem;border-bottom:1px solid #d8dde6;padding-bottom:.3rem}
code,pre{font:13px/1.4 ui-monospace,Menlo,Consolas,monospace}
pre{background:#f0f2f5;padding:.6rem;overflow:auto;border-radius:4px;max-height:28rem}
details{background:#fff;border:1px solid #d8dde6;border-radius:5px;margin:.4rem 0;padding:.3rem .7rem}
summary{cursor:pointer;display:flex;gap:.6rem;align-items:baseline;flex-wrap:wrap}
.m{font-weight:700;min-width:3.5rem;text-transform:uppercase}
.m.get{color:#1565c0}.m.post{color:#2e7d32}.m.put{color:#ef6c00}.m.delete{color:#c62828}
.scope{margin-left:auto;font-size:12px;border-radius:3px;padding:0 .4rem;background:#e8eaf6}
.scope.public{background:#e8f5e9}
table{border-collapse:collapse;margin:.4rem 0}td,th{border:1px solid #d8dde6;padding:.2rem .5rem;text-align:left;vertical-align:top}
nav a{margin-right:.8rem}
`;

/** The document as one self-contained HTML page (operations by tag, then the shared schemas). */
export function renderDocsPage(doc: OpenApiDocument): string {
  const info = doc.info as { title: string; version: string; description: string };
  const byTag = new Map<string, Array<{ path: string; method: string; op: Operation }>>();
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)?.push({ path, method, op });
    }
  }
  const sections = [...byTag.entries()].map(
    ([tag, ops]) => `<section id="tag-${attr(tag)}"><h2>${text(tag)}</h2>\n${ops.map((o) => operationHtml(o.path, o.method, o.op)).join('\n')}</section>`,
  );
  const schemas = Object.entries((doc.components as { schemas: Record<string, unknown> }).schemas).map(
    ([name, schema]) => `<details id="schema-${attr(name)}"><summary><code>${text(name)}</code></summary>${json(schema)}</details>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${text(info.title)}</title><style>${STYLE}</style></head>
<body><main>
<h1>${text(info.title)}</h1>
<p>API version ${text(info.version)} · OpenAPI ${text(doc.openapi)} · the machine-readable document: <a href="openapi.json">/openapi.json</a></p>
${paragraphs(info.description)}
<nav>${[...byTag.keys()].map((t) => `<a href="#tag-${attr(t)}">${text(t)}</a>`).join('')}<a href="#schemas">schemas</a></nav>
${sections.join('\n')}
<section id="schemas"><h2>Schemas</h2>${schemas.join('\n')}</section>
</main></body></html>
`;
}

function operationHtml(path: string, method: string, op: Operation): string {
  const scope = op['x-scope'];
  const params = op.parameters ?? [];
  const paramTable =
    params.length === 0
      ? ''
      : `<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr>${params
          .map((p) => `<tr><td><code>${text(p.name)}</code></td><td>${text(p.in)}</td><td>${p.required ? 'yes' : 'no'}</td><td><code>${text(JSON.stringify(p.schema))}</code>${p.description ? ` ${text(p.description)}` : ''}</td></tr>`)
          .join('')}</table>`;
  const body = op.requestBody;
  const bodyHtml =
    body === undefined
      ? ''
      : `<h4>Request body${body.required ? '' : ' (optional)'}</h4>${body.description ? `<p>${inline(body.description)}</p>` : ''}${Object.entries(body.content)
          .map(([type, c]) => `<p><code>${text(type)}</code></p>${type.includes('json') ? json(c.schema) : ''}`)
          .join('')}`;
  const answers = Object.entries(op.responses)
    .map(([status, r]) => `<tr><td>${text(status)}</td><td>${text(r.description)}</td><td>${Object.entries(r.content ?? {}).map(([type, c]) => `<code>${text(type)}</code> ${schemaLink(c.schema)}`).join('<br>')}</td></tr>`)
    .join('');
  return `<details id="${attr(op.operationId)}"><summary><span class="m ${attr(method)}">${text(method)}</span><code>${text(path)}</code><span>${text(op.summary)}</span><span class="scope ${scope === 'public' ? 'public' : ''}">${text(scope)}</span></summary>
<p>${inline(op.description)}</p>${paramTable}${bodyHtml}<h4>Responses</h4><table><tr><th>status</th><th>meaning</th><th>body</th></tr>${answers}</table></details>`;
}

function schemaLink(schema: unknown): string {
  const ref = (schema as { $ref?: unknown }).$ref;
  if (typeof ref === 'string') {
    const name = ref.split('/').pop() ?? ref;
    return `<a href="#schema-${attr(name)}">${text(name)}</a>`;
  }
  return `<code>${text(JSON.stringify(schema))}</code>`;
}

function json(value: unknown): string {
  return `<pre>${text(JSON.stringify(value, null, 2))}</pre>`;
}

// The description's markdown, kept simple: paragraphs, `code` and **bold**.
function paragraphs(markdown: string): string {
  return markdown
    .split(/\n{2,}/)
    .map((p) => `<p>${inline(p)}</p>`)
    .join('\n');
}

function inline(markdown: string): string {
  return text(markdown)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}

function text(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function attr(value: string): string {
  return text(value).replace(/[^A-Za-z0-9_.-]/g, '_');
}
