export const meta = { name: 't', description: 'focused case' };
const out = [];
for (let i = 0; i < 10; i++) {
  if (i === 2) continue;
  if (i === 6) break;
  out.push(i);
}
let j = 0;
while (true) { j++; if (j > 3) break; }
let k = 0;
do { k++; if (k === 2) continue; out.push('k' + k); } while (k < 4);
log(out.join(','), j, k);
function grade(n) {
  switch (true) {
    case n >= 90: return 'A';
    case n >= 80: return 'B';
    default: return 'C';
  }
}
function fall(x) {
  const seen = [];
  switch (x) {
    case 1: seen.push('one');
    case 2: seen.push('two'); break;
    case 3: { seen.push('three'); break; }
    default: seen.push('other');
    case 4: seen.push('four');
  }
  return seen.join('+');
}
log(grade(95), grade(85), grade(10), fall(1), fall(2), fall(3), fall(4), fall(9), fall('1'));
const label = (v) => { switch (typeof v) { case 'number': case 'bigint': return 'num'; case 'string': return 'str'; default: return 'other'; } };
log(label(1), label('x'), label(null));
const fns = [];
for (let i = 0; i < 3; i++) fns.push(() => i);
for (const x of ['a', 'b']) fns.push(() => x);
var vs = [];
for (var v = 0; v < 2; v++) vs.push(() => v);
log(fns.map((f) => f()).join(''), vs.map((f) => f()).join(''));
let total = 0;
[1, 2, 3].forEach((n) => { total += n; });
const counter = (() => { let c = 0; return { inc: () => ++c, get: () => c }; })();
counter.inc(); counter.inc();
log(total, counter.get(), hoisted(2), typeof later, later);
function hoisted(n) { return n * 10; }
var later = 'set';
let acc = '';
for (const ch of 'héllo') acc = ch + acc;
for (const [key, val] of new Map([['a', 1], ['b', 2]])) acc += key + val;
for (const idx in ['x', 'y']) acc += idx;
log(acc);
const seen = [];
for (const n of [1, 2, 3, 4, 5]) {
  switch (n) {
    case 1: seen.push('one');
    case 2: if (n === 2) continue; seen.push('1or2');
    case 3: { seen.push('three-ish'); break; }
    default: seen.push('d' + n);
  }
  seen.push('after' + n);
}
log(seen.join(' '));
return { out, total };
