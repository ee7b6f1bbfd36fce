export const meta = { name: 't', description: 'tricky transpilation cases' };
const out = [];
for (let i = 0, j = 5; i < j; i++, j--) out.push(`${i}${j}`);
let a, b;
a = b = 5;
const arr = [1, 2, 3];
let idx = 0;
arr[idx++] *= 10;
arr[idx] += 5;
const obj = { count: 1, 'odd key': 2 };
obj.count += 1; obj['odd key']++; ++obj.count;
const key = 'dyn';
obj[key] = obj[key] ?? 0;
obj[key]--;
delete obj['odd key'];
log(out.join(' '), a, b, arr, idx, JSON.stringify(obj), 'count' in obj, 'odd key' in obj);
const fnsAsync = [];
for (const n of [1, 2]) fnsAsync.push(async () => `${n}:${(await agent('n' + n)).length}`);
log((await Promise.all(fnsAsync.map((f) => f()))).join(' '));
const iife = (() => { const hidden = 'iife'; return hidden.toUpperCase(); })();
const asyncIife = await (async () => { return 'async iife'; })();
log(iife, asyncIife);
function depth(n) { return n <= 0 ? 0 : 1 + depth(n - 1); }
log(depth(50));
const { 0: firstChar, length } = 'hello';
log(firstChar, length);
const sortedEntries = Object.entries({ b: 2, a: 1, c: 3 }).sort(([x], [y]) => x.localeCompare(y));
log(JSON.stringify(sortedEntries), JSON.stringify(Array.from(new Map([[1, 'a']]).entries())), [...new Set('hello')].join(''));
const nestedTpl = `outer ${`inner ${1 + 1} ${[1, 2].map((x) => `<${x}>`).join('')}`} done`;
log(nestedTpl, '\u{1F600}'.length > 0, 'tab\there', "quote's", 'back\\slash');
let declaredOnly;
log(typeof declaredOnly === 'undefined', declaredOnly === undefined, declaredOnly == null);
let x = 1;
function shadowing() { const before = x; if (before) { let x = 'inner'; return before + x; } return 'no'; }
log(shadowing(), x);
function useBeforeDeclare() { return helperConst(3); }
const helperConst = (n) => n * 3;
log(useBeforeDeclare());
{
  function blockFn() { return 'block function'; }
  log(blockFn());
}
for (const n of [1, 2, 3, 4]) {
  switch (n % 2) {
    case 0:
      continue;
    default:
      log('odd', n);
  }
}
const res = { list: [{ v: { w: 'deep' } }] };
const getList = () => res.list;
log(getList()?.[0]?.v?.w, getList().at(5)?.v.w, res.nope?.[0].v.w ?? 'fallback');
let count = 0;
const inc = () => count++;
inc(); inc();
const val = count > 1 ? (count = 100) : (count = -1);
log(count, val);
var hoisted = 'top';
if (true) { var hoisted = 'reassigned in block'; }
log(hoisted);
const results = [];
for (const [i, item] of ['x', 'y'].entries()) results.push(() => `${i}=${item}`);
log(results.map((f) => f()).join(','));
let total = 0;
for (let k = 0; k < 3; k++) { setTotal(k); }
function setTotal(k) { total += k; }
log(total);
const pow = 2 ** 3 ** 2;
let expo = 2; expo **= 3;
log(pow, expo, (-2) ** 2, 7 / 2 | 0, ~~3.7, 1 / 3 * 3 === 1);
return { out, obj };
