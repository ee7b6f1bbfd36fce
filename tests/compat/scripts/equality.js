export const meta = { name: 't', description: 'focused case' };
const vals = [0, -0, '', '0', 'a', null, undefined, NaN, false, true, [], {}, [0], 1, '1'];
const rows = [];
for (const a of vals) {
  rows.push(vals.map((b) => (a == b ? 'L' : '-') + (a === b ? 'S' : '-')).join(''));
}
log(rows.join('|'));
log(vals.map((v) => (v ? 'T' : 'F')).join(''));
log(vals.map((v) => typeof v).join(','));
log(typeof log, typeof Math, typeof JSON, typeof process, typeof require, typeof fetch, typeof setTimeout, typeof undeclaredThing, typeof (() => 1), typeof Map, typeof new Map(), typeof null);
log('b' > 'a', 'B' > 'a', '10' < '9', 10 < 9, '10' < 9, null >= 0, undefined >= 0, NaN < 1, [2] > 1);
log(!!'', !!'x', !0, !![], null ?? 'd', 0 ?? 'd', '' || 'd', 0 || null, 1 && 'x', 0 && 'x', null?.x, undefined?.[0]);
log('a' in { a: 1 }, 'b' in { a: 1 }, 0 in [5], 3 in [5], 'length' in []);
return { ok: true };
