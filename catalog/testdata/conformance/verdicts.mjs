// verdicts.mjs - computes the reference verdicts in verdicts.json by running
// every document in cases/*.yaml through the REAL, published Backstage catalog
// code (parser, envelope check, processors, policies, kind validators and the
// stitcher's search-key check). It is Callboard's own generator script; no
// Backstage code is copied here, it is loaded from node_modules.
//
// How to re-run (outside the repo, in a scratch directory):
//
//   mkdir -p /tmp/bsconf-be && cd /tmp/bsconf-be && npm init -y
//   npm install --ignore-scripts \
//     @backstage/catalog-model@1.10.3 \
//     @backstage/plugin-catalog-backend@4.0.5 \
//     @backstage/plugin-catalog-node@3.0.0 \
//     @backstage/plugin-catalog-backend-module-scaffolder-entity-model@0.2.26 \
//     @backstage/plugin-scaffolder-common@2.4.0 \
//     yaml@2.9.1
//   BACKSTAGE_NODE_DIR=/tmp/bsconf-be node /work/main/catalog/testdata/conformance/verdicts.mjs
//
// (BACKSTAGE_NODE_DIR defaults to /tmp/bsconf-be; it is the directory that holds
// the node_modules above. Node 20+ is fine; npm warns about engines, ignore it.)
//
// What runs for each YAML file, in the order the catalog backend runs it for an
// entity read from a `file:` location:
//
//  1. Parse: @backstage/plugin-catalog-node parseEntityYaml (yaml.parseAllDocuments
//     with {merge: false}). A document with YAML errors -> error "YAML error at
//     <loc>, <first error>"; a non-object root -> "Expected object at root, got
//     <typeof>"; a document whose JSON value is null (empty / comment-only) is
//     skipped (no verdict entry). We call yaml.parseAllDocuments ourselves only
//     to learn each document's index, and assert that our per-document view
//     agrees exactly with what parseEntityYaml yielded.
//  2. Emit: the real ProcessorOutputCollector (catalog-backend internals) receives
//     the entity exactly as FileReaderProcessor would emit it: EntityEnvelope
//     schema check, "metadata.annotations must be a valid object" check, and the
//     managed-by-location / managed-by-origin-location annotations are added.
//  3. The entity is JSON round-tripped (it is stored as JSON in refresh_state)
//     and processed by the real DefaultCatalogProcessingOrchestrator with the
//     processor list CatalogBuilder builds by default plus the scaffolder
//     entity-model module: PlaceholderProcessor, BuiltinKindsEntityProcessor,
//     <stub location reader>, AnnotateLocationEntityProcessor,
//     ScaffolderEntitiesProcessor; and the default policy chain of
//     CatalogBuilder.buildEntityPolicy: SchemaValidEntityPolicy,
//     DefaultNamespaceEntityPolicy, NoForeignRootFieldsEntityPolicy,
//     FieldFormatEntityPolicy(makeValidator()). Catalog rules (allowed kinds per
//     location) are NOT applied (allow-all), because they are configuration.
//     The FileReader/UrlReader processors are replaced by a stub whose
//     readLocation() accepts every target, so Location targets are not read
//     (whether a target exists is not a property of the document). The
//     PlaceholderProcessor gets a reader that always fails, so a real
//     $text/$json/$yaml placeholder makes the document invalid here; the cases
//     avoid those.
//  4. Stitch: the real buildEntitySearch (catalog-backend internals) is run on
//     the processed entity plus its own outgoing relations, uid and etag, as
//     performStitching does. It throws "Entity has duplicate keys that vary only
//     in casing, ...". Backstage runs this after processing succeeded; a throw
//     means the entity never reaches final_entities, so we count it as invalid.
//
// Output: verdicts.json, an array of
//   {"file": "cases/x.yaml", "doc": N, "valid": bool, "message": "..."}
// where N is the 0-based index in yaml.parseAllDocuments(text) (empty documents
// are counted but produce no entry). "message" is the error Backstage records
// (String(error), including the "; caused by ..." chain), or "" when valid.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

// The corpus folder (holding cases/ and verdicts.json) is the first
// argument, this script's folder by default: ../conformance-extra uses it too.
const here = process.argv[2] ? path.resolve(process.argv[2]) : path.dirname(fileURLToPath(import.meta.url));
const casesDir = path.join(here, 'cases');
const outFile = path.join(here, 'verdicts.json');

const nodeDir = process.env.BACKSTAGE_NODE_DIR || '/tmp/bsconf-be';
const req = createRequire(path.join(nodeDir, 'package.json'));

const catalogModel = req('@backstage/catalog-model');
const catalogNode = req('@backstage/plugin-catalog-node');
const { ConfigReader } = req('@backstage/config');
const { ScmIntegrations } = req('@backstage/integration');
const { ScaffolderEntitiesProcessor } = req(
  '@backstage/plugin-catalog-backend-module-scaffolder-entity-model',
);

// catalog-backend internals are not in its package "exports"; load by file.
const backendDist = path.dirname(req.resolve('@backstage/plugin-catalog-backend'));
const fromBackend = p => req(path.join(backendDist, p));
const { DefaultCatalogProcessingOrchestrator } = fromBackend(
  'processing/DefaultCatalogProcessingOrchestrator.cjs.js',
);
const { ProcessorOutputCollector } = fromBackend('processing/ProcessorOutputCollector.cjs.js');
const { buildEntitySearch } = fromBackend('database/operations/stitcher/buildEntitySearch.cjs.js');
const { BuiltinKindsEntityProcessor } = fromBackend('processors/BuiltinKindsEntityProcessor.cjs.js');
const { AnnotateLocationEntityProcessor } = fromBackend(
  'processors/AnnotateLocationEntityProcessor.cjs.js',
);
const {
  PlaceholderProcessor,
  jsonPlaceholderResolver,
  yamlPlaceholderResolver,
  textPlaceholderResolver,
} = fromBackend('processors/PlaceholderProcessor.cjs.js');

// Use the very same `yaml` module instance that parseEntityYaml uses.
const catalogNodeReq = createRequire(req.resolve('@backstage/plugin-catalog-node'));
const yaml = catalogNodeReq('yaml');

function versionOf(name, r = req) {
  const pj = r.resolve(`${name}/package.json`);
  return JSON.parse(fs.readFileSync(pj, 'utf8')).version;
}

const silentLogger = {
  child: () => silentLogger,
  debug() {},
  info() {},
  warn() {},
  error() {},
};

const config = new ConfigReader({});
const integrations = ScmIntegrations.fromConfig(config);

const failingReader = {
  async readUrl(url) {
    throw new Error(`conformance harness does not read ${url}`);
  },
  async readTree() {
    throw new Error('conformance harness does not read trees');
  },
  async search() {
    throw new Error('conformance harness does not search');
  },
};

// Stands in for FileReaderProcessor / UrlReaderProcessor: accepts every target.
const stubLocationReader = {
  getProcessorName: () => 'ConformanceStubLocationReader',
  async readLocation() {
    return true;
  },
};

const processors = [
  new PlaceholderProcessor({
    resolvers: {
      json: jsonPlaceholderResolver,
      yaml: yamlPlaceholderResolver,
      text: textPlaceholderResolver,
    },
    reader: failingReader,
    integrations,
  }),
  new BuiltinKindsEntityProcessor(),
  stubLocationReader,
  new AnnotateLocationEntityProcessor({ integrations }),
  new ScaffolderEntitiesProcessor(),
];

const policy = catalogModel.EntityPolicies.allOf([
  new catalogModel.SchemaValidEntityPolicy(),
  new catalogModel.DefaultNamespaceEntityPolicy(),
  new catalogModel.NoForeignRootFieldsEntityPolicy(),
  new catalogModel.FieldFormatEntityPolicy(catalogModel.makeValidator()),
]);

const orchestrator = new DefaultCatalogProcessingOrchestrator({
  processors,
  integrations,
  logger: silentLogger,
  // Only used by readLocation(), which the stub above never calls through.
  parser: async function* unusedParser() {},
  policy,
  rulesEnforcer: { isAllowed: () => true },
});

const errText = e => String(e);

function locationFor(relFile) {
  // A stable synthetic path, so messages do not depend on the checkout path.
  return { type: 'file', target: `/conformance/${relFile}` };
}

function parentLocationEntity(location) {
  const ref = catalogModel.stringifyLocationRef(location);
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Location',
    metadata: {
      name: 'conformance-harness-parent-location',
      namespace: 'default',
      annotations: {
        [catalogModel.ANNOTATION_LOCATION]: ref,
        [catalogModel.ANNOTATION_ORIGIN_LOCATION]: ref,
      },
    },
    spec: { type: location.type, target: location.target },
  };
}

// Mirror of what parseEntityYaml decides for one yaml Document (used only to
// map parseEntityYaml's output back to document indexes; checked below).
function classify(doc) {
  if (doc.errors?.length) return { kind: 'error' };
  let json;
  try {
    json = doc.toJSON();
  } catch {
    return { kind: 'throws' };
  }
  if (json === null) return { kind: 'skip' };
  const isPlain =
    typeof json === 'object' &&
    !Array.isArray(json) &&
    (Object.getPrototypeOf(json) === Object.prototype || Object.getPrototypeOf(json) === null);
  return isPlain ? { kind: 'entity', json } : { kind: 'error' };
}

let stitchCounter = 0;

async function judgeEntity(emitted, location, parent) {
  // 2. Emission into the parent's ProcessorOutputCollector.
  const collector = new ProcessorOutputCollector(silentLogger, parent);
  collector.generic()(emitted);
  const collected = collector.results();
  if (collected.errors.length) {
    return { valid: false, message: collected.errors.map(errText).join('\n') };
  }
  if (collected.deferredEntities.length !== 1) {
    return {
      valid: false,
      message: 'harness: entity was not emitted (same ref as the parent location?)',
    };
  }
  const unprocessed = JSON.parse(JSON.stringify(collected.deferredEntities[0].entity));

  // 3. Processing.
  const result = await orchestrator.process({ entity: unprocessed, state: {} });
  if (!result.ok) {
    return { valid: false, message: result.errors.map(errText).join('\n') };
  }

  // 4. Stitching (search rows).
  const entity = JSON.parse(JSON.stringify(result.completedEntity));
  const selfRef = catalogModel.stringifyEntityRef(entity);
  const rels = new Map();
  for (const r of result.relations) {
    if (catalogModel.stringifyEntityRef(r.source) !== selfRef) continue;
    const targetRef = catalogModel.stringifyEntityRef(r.target);
    rels.set(`${r.type}\0${targetRef}`, { type: r.type, targetRef });
  }
  entity.relations = [...rels.values()].sort((a, b) =>
    a.type === b.type ? (a.targetRef < b.targetRef ? -1 : 1) : a.type < b.type ? -1 : 1,
  );
  stitchCounter += 1;
  const uid = `00000000-0000-4000-8000-${String(stitchCounter).padStart(12, '0')}`;
  entity.metadata.uid = uid;
  if (!entity.metadata.etag) entity.metadata.etag = 'conformance-etag';
  try {
    buildEntitySearch(uid, entity);
  } catch (e) {
    return { valid: false, message: errText(e) };
  }
  return { valid: true, message: '' };
}

async function judgeFile(relFile) {
  const buffer = fs.readFileSync(path.join(here, relFile));
  const location = locationFor(relFile);
  const parent = parentLocationEntity(location);

  // 1. The real parser. FileReaderProcessor iterates it inside a try/catch;
  // Document.toJSON() can throw (e.g. an alias to an undefined anchor), which
  // ends the iteration: FileReaderProcessor then emits "file <target> could not
  // be read, <error>" and the remaining documents are never emitted.
  const parsed = [];
  let readError;
  try {
    for (const r of catalogNode.parseEntityYaml(buffer, location)) parsed.push(r);
  } catch (e) {
    readError = `Error: ${location.type} ${location.target} could not be read, ${e}`;
  }

  // Index mapping.
  let docs;
  try {
    docs = yaml.parseAllDocuments(buffer.toString('utf8'), { merge: false }).filter(d => d);
  } catch (e) {
    // parseEntityYaml reports a single error for the whole file in this case.
    assert.equal(parsed.length, 1);
    return [{ file: relFile, doc: 0, valid: false, message: errText(parsed[0].error) }];
  }
  const expected = [];
  docs.forEach((doc, index) => {
    const c = classify(doc);
    if (c.kind !== 'skip') expected.push({ index, ...c });
  });
  const firstThrow = expected.findIndex(e => e.kind === 'throws');
  if (firstThrow === -1) {
    assert.equal(readError, undefined, `${relFile}: unexpected parser exception`);
    assert.equal(parsed.length, expected.length, `${relFile}: parser output count mismatch`);
  } else {
    assert.ok(readError, `${relFile}: expected the parser to throw`);
    assert.equal(parsed.length, firstThrow, `${relFile}: parser output count mismatch`);
  }

  const out = [];
  for (let i = 0; i < expected.length; i++) {
    const p = parsed[i];
    const e = expected[i];
    if (firstThrow !== -1 && i >= firstThrow) {
      out.push({
        file: relFile,
        doc: e.index,
        valid: false,
        message:
          i === firstThrow
            ? readError
            : `not emitted: reading stopped at document ${expected[firstThrow].index}; ${readError}`,
      });
      continue;
    }
    if (e.kind === 'error') {
      assert.equal(p.type, 'error', `${relFile} doc ${e.index}: expected a parse error`);
      out.push({ file: relFile, doc: e.index, valid: false, message: errText(p.error) });
      continue;
    }
    assert.equal(p.type, 'entity', `${relFile} doc ${e.index}: expected an entity`);
    assert.deepEqual(p.entity, e.json, `${relFile} doc ${e.index}: entity mismatch`);
    // An entity that cannot even be serialized (an alias to a node that
    // contains it) is an invalid document, not a reason to stop.
    let verdict;
    try {
      verdict = await judgeEntity(p, location, parent);
    } catch (err) {
      verdict = { valid: false, message: 'harness: ' + err };
    }
    out.push({ file: relFile, doc: e.index, ...verdict });
  }
  return out;
}

async function main() {
  const files = fs
    .readdirSync(casesDir)
    .filter(f => f.endsWith('.yaml'))
    .sort();
  const all = [];
  for (const f of files) {
    try {
      all.push(...(await judgeFile(`cases/${f}`)));
    } catch (err) {
      console.error('SKIP', f, String(err).split('\n')[0]);
    }
  }
  fs.writeFileSync(outFile, `${JSON.stringify(all, null, 2)}\n`);
  const valid = all.filter(v => v.valid).length;
  console.log(
    `wrote ${path.relative(process.cwd(), outFile) || outFile}: ${all.length} documents, ` +
      `${valid} valid, ${all.length - valid} invalid (files: ${files.length})`,
  );
  console.log(
    `packages: catalog-model ${versionOf('@backstage/catalog-model')}, ` +
      `plugin-catalog-backend ${versionOf('@backstage/plugin-catalog-backend')}, ` +
      `plugin-catalog-node ${versionOf('@backstage/plugin-catalog-node')}, ` +
      `scaffolder-common ${versionOf('@backstage/plugin-scaffolder-common')}, ` +
      `scaffolder-entity-model ${versionOf('@backstage/plugin-catalog-backend-module-scaffolder-entity-model')}, ` +
      `yaml ${versionOf('yaml', catalogNodeReq)}`,
  );
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
