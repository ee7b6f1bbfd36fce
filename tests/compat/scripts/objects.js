export const meta = { name: 't', description: 'focused case' };
const o = { b: 1, a: 2, 10: 'ten', 2: 'two', '-1': 'neg', '01': 'lead', 1.5: 'x' };
log(Object.keys(o).join(','), JSON.stringify(o));
o.z = 3; o[5] = 'five'; delete o.a;
log(Object.entries(o).map(([k, v]) => k + '=' + v).join(' '));
const copy = { ...o, b: 'over', extra: [1, 2] };
log(JSON.stringify(copy), Object.values({ x: 1, y: [2] }).length);
const merged = Object.assign({}, { a: 1 }, null, { b: 2 }, { a: 3 });
log(JSON.stringify(merged), JSON.stringify(Object.fromEntries([['k', 1], ['j', [2]]])));
const counts = {};
for (const w of 'the cat the hat the end'.split(' ')) counts[w] = (counts[w] || 0) + 1;
log(JSON.stringify(counts));
for (const k in { q: 1, 3: 2, p: 3 }) log('key', k, typeof k);
const nested = { a: { b: { c: [1, { d: 'deep' }] } } };
log(nested.a.b.c[1].d, nested?.a?.x?.y, nested.a?.['b'].c.length, nested.missing?.call());
log(o.hasOwnProperty('z'), o.hasOwnProperty('nope'), Object.hasOwn(o, 'b'), String({}), `${{}}`, String([1, [2, 3]]));
const key = 'dyn';
const comp = { [key + 1]: 1, [`${key}2`]: 2, f(x) { return x * 2; }, g: (y) => y + 1 };
log(JSON.stringify(comp), comp.f(4), comp.g(4));
let missing;
try { missing.prop; } catch (e) { log(e instanceof TypeError, e.name, e.message); }
try { null.x = 1; } catch (e) { log(e.name, e.message); }
return { keys: Object.keys(o), copy };
