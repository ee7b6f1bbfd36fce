export const meta = { name: 't', description: 'focused case' };
function risky(kind) {
  if (kind === 'type') throw new TypeError('bad type');
  if (kind === 'range') throw new RangeError('out of range');
  if (kind === 'str') throw 'plain string';
  if (kind === 'obj') throw { code: 42 };
  if (kind === 'null') return null.prop;
  if (kind === 'call') return undefined();
  return 'fine';
}
for (const kind of ['type', 'range', 'str', 'obj', 'null', 'none']) {
  try {
    log('ok', risky(kind));
  } catch (e) {
    log('caught', typeof e, e instanceof Error, e instanceof TypeError, e?.name, e?.message, e?.code, String(e));
  } finally {
    log('finally', kind);
  }
}
const e = new Error('boom', { cause: 'root' });
log(e.name, e.message, e.cause, `${e}`, e instanceof Error, JSON.stringify(e), Object.keys(e).length);
e.extra = 1;
log(e.extra, JSON.stringify({ err: e }));
try { JSON.parse('{bad'); } catch (err) { log(err.name, err instanceof SyntaxError); }
try { JSON.parse(''); } catch (err) { log(err.name); }
try { [].reduce((a, b) => a); } catch (err) { log(err.name, err.message); }
try { 'x'.repeat(-1); } catch (err) { log(err.name); }
try { Date.now(); } catch (err) { log('date', err.message); }
try { Math.random(); } catch (err) { log('random', err.message); }
try { new Date(); } catch (err) { log('new date', err.message); }
const nested = () => { try { throw new Error('inner'); } catch (x) { throw new Error('outer: ' + x.message); } };
try { nested(); } catch (x) { log(x.message); }
let flow = '';
try { flow += 'a'; } catch { flow += 'b'; } finally { flow += 'c'; }
log(flow);
throw new Error('uncaught at the end');
