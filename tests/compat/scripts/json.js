export const meta = { name: 't', description: 'focused case' };
const v = { s: 'q"uote\\ \n tab\t é \u2028', n: [1, 1.5, -0, NaN, Infinity, 1e21, 1e-7], u: undefined, f() {}, nil: null, b: true, nested: { arr: [undefined, () => 1, { x: undefined }] }, 3: 'three' };
log(JSON.stringify(v));
log(JSON.stringify(v, null, 2));
log(JSON.stringify([1, [2, { a: [] }], {}], null, '--'));
log(JSON.stringify({ a: 1, b: 2, c: { a: 3, d: 4 } }, ['a', 'c']));
log(JSON.stringify({ a: 1, b: 'x' }, (k, val) => (typeof val === 'number' ? val * 10 : val)));
log(JSON.stringify(undefined), JSON.stringify(() => 1), JSON.stringify('s'), JSON.stringify(null), JSON.stringify([undefined]), JSON.stringify({ toJSON() { return 'custom'; } }));
log(JSON.stringify(new Map([[1, 2]])), JSON.stringify(new Set([1])), JSON.stringify(new Date(0)), JSON.stringify({ d: new Date(Date.UTC(2024, 0, 2)) }));
const parsed = JSON.parse('{"b": 1, "a": [1, 2.0, 3.5, {"c": null}], "10": true, "1e2": 1e2}');
log(Object.keys(parsed).join(','), parsed.a[1], typeof parsed.a[1], parsed['1e2'], JSON.stringify(parsed));
log(JSON.parse('"str"'), JSON.parse(' [1] ').length, JSON.parse('12345678901234567890'), JSON.parse('true'), JSON.parse('{"a":1}', (k, val) => (k === 'a' ? val + 1 : val)).a);
for (const bad of ['{a:1}', "{'a':1}", '[1,]', 'NaN', 'undefined', '', '01']) {
  try { JSON.parse(bad); log('parsed?', bad); } catch (e) { log('error', e.name); }
}
return { v, parsed };
