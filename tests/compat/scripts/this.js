export const meta = { name: 't', description: 'this in object methods' };
const tally = {
  count: 0,
  items: [],
  add(name, by = 1) { this.count += by; this.items.push(name); return this; },
  summary() { return `${this.count} from ${this.items.map((x) => x.toUpperCase()).join('+')}`; },
  later: function () { return [1, 2].map((n) => n + this.count); },
};
tally.add('a').add('b', 2);
const detached = tally.summary;
log(tally.summary(), tally.later().join(','), typeof detached);
log(tally.summary.call({ count: 9, items: ['z'] }), tally.add.apply(tally, ['c', 3]).count, tally.summary.bind({ count: 0, items: [] })());
function Counter() { return { n: 0, inc() { this.n++; return this.n; } }; }
const c = Counter();
c.inc(); c.inc();
log(c.inc());
return { count: tally.count, items: tally.items };
