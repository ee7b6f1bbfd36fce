export const meta = { name: 't', description: 'focused case' };
function makeCounter(start = 0) {
  let n = start;
  return { next: () => ++n, reset() { n = start; return n; } };
}
const c = makeCounter(5);
c.next(); c.next();
log(c.next(), c.reset(), c.next());
const memo = {};
const fib = (n) => (n < 2 ? n : (memo[n] ??= fib(n - 1) + fib(n - 2)));
log(fib(30), fib(50));
let shadow = 'outer';
{
  let shadow = 'inner';
  log(shadow);
}
if (true) { const shadow = 'if-block'; log(shadow); }
log(shadow);
function useOuter() { log(shadow); { let shadow = 'nested'; log(shadow); } return shadow; }
log(useOuter());
let total = 0;
const add = (x) => { total += x; return total; };
add(2); add(3);
log(total);
const adders = [];
for (let i = 0; i < 3; i++) { let base = i * 10; adders.push((x) => base + x + i); }
log(adders.map((f) => f(1)).join(','));
let tally = 0;
for (const n of [1, 2, 3]) { let count = 0; [n, n].forEach(() => { count++; tally++; }); log('count', count); }
log(tally);
const compose = (...fns) => (x) => fns.reduceRight((acc, f) => f(acc), x);
log(compose((x) => x + 1, (x) => x * 2)(5));
function outerFn() { return innerFn(); function innerFn() { return 'inner hoisted'; } }
log(outerFn());
const self = { name: 'obj', greet() { return 'hi ' + self.name; } };
log(self.greet());
var hoistedVar;
log(hoistedVar, typeof notYet);
var notYet = 1;
return { total, fib: fib(20) };
