export const meta = { name: 't', description: 'focused case' };
const { a = 1, b: { c = 2, d } = {}, ...rest } = { b: { d: 4 }, e: 5, f: null };
log(a, c, d, JSON.stringify(rest));
const { x = 'dx', y = 'dy' } = { x: null, y: undefined };
log(x, y);
const [p, [q, r = 'r0'] = [], ...tail] = [1, [2], 3, 4];
log(p, q, r, tail);
function f({ name, tags = [] } = {}, [first = 'none'] = [], ...more) {
  return `${name}:${tags.length}:${first}:${more.length}`;
}
log(f(), f({ name: 'n', tags: [1] }, ['z'], 1, 2), f(undefined, undefined));
const g = (m, n = m * 2, o = n + 1) => [m, n, o];
log(g(1), g(1, 5), g(1, undefined, 0));
let s1 = 1, s2 = 2;
[s1, s2] = [s2, s1];
log(s1, s2);
const obj = {};
({ k: obj.k, l: obj.l = 'L' } = { k: 'K' });
log(JSON.stringify(obj));
const arr = [...'hi', ...[1, 2], ...new Set([3])];
const o2 = { ...null, ...undefined, ...'ab', ...[9] };
log(arr, JSON.stringify(o2), Math.max(...arr.filter((v) => typeof v === 'number')));
const sum = (...nums) => nums.reduce((acc, v) => acc + v, 0);
log(sum(), sum(1, 2, 3), sum(...[4, 5]));
const extra = (one) => one;
log(extra(1, 2, 3), ((a1, b1) => b1)(1));
try { const { z } = null; } catch (err) { log(err.name); }
return { a, rest, tail };
