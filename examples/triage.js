// A Claude Code-style workflow script: runs unchanged on flowdsl (`flowdsl run examples/triage.js`).
export const meta = {
  name: 'triage',
  description: 'Classify failing tests by cause, then propose one fix per cluster',
  whenToUse: 'After a red CI run with many failures',
  phases: [{ title: 'Classify' }, { title: 'Propose' }],
};

const CAUSE = {
  type: 'object',
  properties: {
    cause: { type: 'string', enum: ['flaky', 'regression', 'environment', 'test-bug'] },
    confidence: { type: 'integer', minimum: 1, maximum: 5 },
  },
  required: ['cause', 'confidence'],
};

const failures = args?.failures ?? ['test_login', 'test_upload', 'test_quota', 'test_retry'];

phase('Classify');
const verdicts = await Promise.all(
  failures.map((name) => agent(`Why does ${name} fail? Read its log first.`, { label: name, schema: CAUSE })),
);

const clusters = new Map();
failures.forEach((name, i) => {
  const v = verdicts[i];
  if (!v) return;
  if (!clusters.has(v.cause)) clusters.set(v.cause, []);
  clusters.get(v.cause).push(name);
});
log(`${failures.length} failures in ${clusters.size} clusters`);

phase('Propose');
const proposals = {};
for (const [cause, names] of [...clusters.entries()].sort()) {
  proposals[cause] = await agent(`Propose one fix for these ${cause} failures: ${names.join(', ')}`, {
    label: `fix ${cause}`,
  });
}
return { clusters: Object.fromEntries(clusters), proposals };
