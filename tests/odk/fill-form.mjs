// Fills an XForm with @getodk/xforms-engine (the engine of ODK Web Forms) and writes the
// submission XML it prepares: a second engine beside JavaRosa (FillForm.java), with its own
// number formatting and geotrace separators.
//
//   node fill-form.mjs FORM.xml MEDIA_DIR ANSWERS OUT.xml
//
// ANSWERS has one `question<TAB>value` per line, as for FillForm.java; photo questions get a
// file of that name. Exits 2 naming the question when an answer breaks a constraint or a
// choice does not exist.
import { readFile, writeFile } from 'node:fs/promises';
import { join, basename } from 'node:path';
import { JSDOM } from 'jsdom';

// The engine parses XML with the DOM of its host: a small DOM for Node.
const { window } = new JSDOM('<!doctype html><html></html>');
globalThis.document ??= window.document;
for (const name of ['DOMParser', 'XMLSerializer', 'Node', 'Element', 'Document', 'XMLDocument', 'Text', 'Attr']) {
  if (!(name in globalThis) && window[name]) globalThis[name] = window[name];
}

// The engine's bundle is built for browsers: its XPath parser (tree-sitter, WebAssembly inlined
// as a data URL) must not take the Node.js branch of its loader, which reads files through a
// `fs` the bundle left out. Node.js is hidden from it while it loads.
// (Node's own fetch is loaded first, as it reads that version when it loads.)
new Response('');
const nodeVersion = process.versions.node;
Object.defineProperty(process.versions, 'node', { value: undefined, configurable: true });
const { createInstance } = await import('@getodk/xforms-engine');

const [formPath, mediaDir, answersPath, outPath] = process.argv.slice(2);
const fail = (message) => {
  console.error(message);
  process.exit(2);
};
const answers = new Map(
  (await readFile(answersPath, 'utf8'))
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => [l.slice(0, l.indexOf('\t')), l.slice(l.indexOf('\t') + 1)]),
);
const fetchFormAttachment = async (url) => {
  const bytes = await readFile(join(mediaDir, basename(String(url))));
  return new Response(bytes, { headers: { 'content-type': 'text/csv' } });
};
const form = await readFile(formPath, 'utf8');
const instance = await createInstance(form, { form: { fetchFormAttachment } });
Object.defineProperty(process.versions, 'node', { value: nodeVersion, configurable: true });
const root = instance.root;

const used = new Set();
// Answers in document order, so that each question's relevance sees the answers before it.
const visit = (node) => {
  const name = node.currentState.reference.split('/').pop();
  const value = answers.get(name);
  if (value !== undefined && node.currentState.relevant) {
    used.add(name);
    if (node.nodeType === 'select') {
      const wanted = value.trim().split(/\s+/);
      for (const v of wanted) if (!node.getValueOption(v)) fail(`${name}: no choice ${v}`);
      node.selectValues(wanted);
    } else if (node.nodeType === 'upload') {
      node.setValue(new File([new Uint8Array([0xff, 0xd8])], value, { type: 'image/jpeg' }));
    } else if (node.nodeType === 'input') {
      node.setValue(value);
    }
    if (node.validationState?.constraint?.valid === false) {
      fail(`${name}: the form refuses ${value}`);
    }
  }
  for (const child of node.currentState.children ?? []) visit(child);
};
visit(root);
for (const name of answers.keys()) {
  if (!used.has(name)) fail(`${name}: not asked (not in the form, or not relevant)`);
}
const payload = await root.prepareInstancePayload();
const data = payload.data[0] ?? payload.data;
const xml = data.get ? await data.get('xml_submission_file').text() : String(data);
if (payload.status !== 'ready') {
  fail(`the submission is not ready: ${JSON.stringify(payload.violations ?? payload.status)}`);
}
await writeFile(outPath, xml);
