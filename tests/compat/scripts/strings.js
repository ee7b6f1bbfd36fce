export const meta = { name: 't', description: 'focused case' };
const s = '  Hello, World  ';
log(`[${s.trim()}] [${s.trimStart()}] [${s.trimEnd()}]`, s.length, s.trim().toUpperCase(), s.toLowerCase());
const t = 'abcdef';
log(t[0], t[10], t.charAt(2), t.charCodeAt(0), t.at(-1), t.slice(-3), t.slice(2, -1), t.substring(4, 1), t.substr(1, 3), t.indexOf('cd'), t.lastIndexOf('x'));
log(t.startsWith('ab'), t.endsWith('ef'), t.includes('cde'), t.padStart(9, '*'), t.padEnd(8), t.padStart(10, 'xy'), '5'.padStart(3, '0'), 'ab'.repeat(3));
log('a-b-c'.split('-'), 'a-b-c'.split('-', 2), 'abc'.split(''), ''.split(','), 'a,b,'.split(','), 'x'.split());
log('aaa'.replace('a', 'b'), 'aaa'.replaceAll('a', 'b'), 'a.b.c'.replaceAll('.', '/'), 'price: $5'.replace('$5', '$$10'), 'abc'.replace('b', (m) => m.toUpperCase()));
log('Ünïcödé'.normalize('NFD').length, 'straße'.toUpperCase(), 'İ'.toLowerCase().length, 'abc'.localeCompare('abd'), 'a'.localeCompare('B'), 'b'.localeCompare('a'));
log(String(null), String(undefined), String(true), String([1, [2]]), String(12.50), `${[1, 2]}${null}${undefined}`, 'x' + {}, 'x' + null);
log('abc'.concat(1, [2]), 'a\tb'.length, 'line1\nline2'.split('\n').length, 'こんにちは'.length, 'こんにちは'[2], '€'.charCodeAt(0));
const tpl = `multi
line ${1 + 1} \${not}`;
log(tpl, tpl.length);
return { s: s.trim(), parts: 'k=v;x=y'.split(';').map((p) => p.split('=')) };
