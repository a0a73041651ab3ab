// Drive yaml-language-server over stdio as VS Code does: open each YAML file given and
// print its diagnostics (FILE: N diagnostics, then one line each).
// usage: node yls_check.js SERVER [--yaml 1.2|1.1] [--hover LINE:COL] [--complete LINE:COL] FILE...
// SERVER: the yaml-language-server script (node_modules/yaml-language-server/bin/yaml-language-server)
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');

const serverPath = process.argv[2];
const args = process.argv.slice(3);
let hover = null, complete = null, version = '1.2';
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--hover') hover = args[++i].split(':').map(Number);
  else if (args[i] === '--complete') complete = args[++i].split(':').map(Number);
  else if (args[i] === '--yaml') version = args[++i];
  else files.push(path.resolve(args[i]));
}
const server = spawn('node', [serverPath, '--stdio']);
let buf = Buffer.alloc(0);
let id = 0;
const pending = new Map();
const diags = new Map();
function send(msg) {
  const body = JSON.stringify(Object.assign({ jsonrpc: '2.0' }, msg));
  server.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
function request(method, params) {
  return new Promise((resolve) => { const i = ++id; pending.set(i, resolve); send({ id: i, method, params }); });
}
server.stdout.on('data', (chunk) => {
  buf = Buffer.concat([buf, chunk]);
  for (;;) {
    const head = buf.indexOf('\r\n\r\n');
    if (head < 0) return;
    const len = Number(/Content-Length: (\d+)/.exec(buf.slice(0, head).toString())[1]);
    if (buf.length < head + 4 + len) return;
    const msg = JSON.parse(buf.slice(head + 4, head + 4 + len).toString());
    buf = buf.slice(head + 4 + len);
    if (msg.id !== undefined && pending.has(msg.id) && msg.method === undefined) {
      pending.get(msg.id)(msg.result); pending.delete(msg.id);
    } else if (msg.method === 'textDocument/publishDiagnostics') {
      diags.set(msg.params.uri, msg.params.diagnostics);
    } else if (msg.method === 'workspace/configuration') {
      send({ id: msg.id, result: msg.params.items.map(() => ({ yamlVersion: version, validate: true, hover: true, completion: true })) });
    } else if (msg.id !== undefined && msg.method) {
      send({ id: msg.id, result: null });
    }
  }
});
server.stderr.on('data', (d) => process.stderr.write(d));
(async () => {
  await request('initialize', { processId: process.pid, rootUri: null, capabilities: { workspace: { configuration: true }, textDocument: { hover: { contentFormat: ['markdown'] }, completion: { completionItem: { documentationFormat: ['markdown'] } } } } });
  send({ method: 'initialized', params: {} });
  send({ method: 'workspace/didChangeConfiguration', params: { settings: { yaml: { yamlVersion: version, validate: true, hover: true, completion: true } } } });
  for (const f of files) {
    const uri = 'file://' + f;
    send({ method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: 'yaml', version: 1, text: fs.readFileSync(f, 'utf8') } } });
  }
  const deadline = Date.now() + 20000;
  while (Date.now() < deadline && files.some((f) => !diags.has('file://' + f))) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 1500));
  for (const f of files) {
    const d = diags.get('file://' + f) || [{ message: 'NO DIAGNOSTICS RECEIVED', range: { start: { line: -1 } } }];
    console.log(`${path.basename(f)}: ${d.length} diagnostics`);
    for (const x of d) console.log(`  ${x.range.start.line + 1}: ${x.message.replace(/\n/g, ' | ')}`);
  }
  const uri = 'file://' + files[0];
  if (hover) {
    const h = await request('textDocument/hover', { textDocument: { uri }, position: { line: hover[0] - 1, character: hover[1] } });
    console.log('HOVER:', h && h.contents ? (h.contents.value || JSON.stringify(h.contents)) : h);
  }
  if (complete) {
    const c = await request('textDocument/completion', { textDocument: { uri }, position: { line: complete[0] - 1, character: complete[1] } });
    const items = (c && c.items) || c || [];
    for (const it of items.slice(0, 20)) console.log('COMPLETE:', it.label, '|', typeof it.documentation === 'object' ? it.documentation.value : it.documentation);
  }
  server.kill();
  process.exit(0);
})();
