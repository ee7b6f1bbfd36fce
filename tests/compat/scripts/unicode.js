export const meta = { name: 't', description: 'UTF-16 strings' };
const s = 'a😀b💡c';
log(s.length, s.slice(0, 2).length, s.indexOf('b'), s.charCodeAt(1), s.codePointAt(1), s.at(-1), [...s].length, s.split('').length);
log(s.padEnd(10, '·'), s.substring(1, 3), s.replace('b', 'B'), s.toUpperCase(), 'x'.padStart(4, '😀'), s.split('b'), s.lastIndexOf('c'));
log(JSON.stringify(s), JSON.stringify({ [s]: s.length }), Array.from(s).join('|'), s.includes('😀'), s.startsWith('a😀'), s.endsWith('💡c'));
return { len: s.length, parts: s.split('b') };
