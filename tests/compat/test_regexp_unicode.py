"""RegExp over UTF-16 strings: code units without ``u``, code points and ``\\p{…}`` with it.

Each table is one script run once under Node and once under flowdsl; the script applies
every RegExp operation (test, exec, match, replace, split, search, matchAll, an exec loop
with lastIndex) to each case and prints strings as code units, so a surrogate out of place
shows up in the diff.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

_TABLE = r"""
const hex = (s) => {
  if (typeof s !== 'string') return String(s);
  const out = [];
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i).toString(16));
  return out.join('.');
};
const arr = (a) => (a === null ? 'null' : '[' + [...a].map(hex).join(',') + ']');
const named = (g) => (g ? Object.keys(g).map((k) => k + '=' + hex(g[k])).join(',') : '-');
return args.cases.map(([source, flags, input]) => {
  const make = (extra) => new RegExp(source, flags + extra);
  const g = flags.includes('g') ? '' : 'g';
  let re;
  try { re = make(''); } catch (e) { return `${source}/${flags} ${e.name}`; }
  const out = [`${source}/${flags}`, re.test(input), re.lastIndex];
  const x = make('').exec(input);
  out.push(x ? `${x.index} ${arr(x)} ${named(x.groups)}` : 'null');
  if (x && flags.includes('d')) out.push(JSON.stringify(x.indices), named(x.indices.groups));
  out.push(arr(input.match(make(''))));
  out.push(hex(input.replace(make(g), '[$&]')), hex(input.replace(make(''), "<$`|$'>")));
  out.push(hex(input.replace(make(g), (m, ...rest) =>
    `{${m.length}@${rest.find((v) => typeof v === 'number')}}`)));
  out.push(arr(input.split(make(''))), input.search(make('')));
  out.push([...input.matchAll(make(g))].map((m) => `${m.index}:${hex(m[0])}`).join(' '));
  const it = make(g);
  const seen = [];
  let m;
  while (seen.length < 12 && (m = it.exec(input)) !== null) seen.push(`${m.index}/${it.lastIndex}`);
  out.push(seen.join(' '));
  return out.join(' | ');
});
"""

E, S = "😀", "💡"

# code units without u, code points with it: ., classes, escapes, empty matches, flags
UNITS_AND_POINTS = [
    ["^.$", "", E], ["^.$", "u", E], ["^..$", "", E], ["^..$", "u", E],
    [".", "g", f"a{E}b"], [".", "gu", f"a{E}b"], ["^.$", "su", E], ["^.$", "s", E],
    ["[😀]", "", E], ["[😀]", "u", E], ["^[😀]$", "", E], ["^[😀]$", "u", E],
    ["^[😀]+$", "", E + E], ["[😀-😂]", "u", "x😁y"], ["[😀-😂]", "", "x"],
    ["^[a-z😀-😂]+$", "u", "ab😁c"], ["[^a]", "g", E], ["[^a]", "gu", E],
    ["\\S", "g", E], ["\\S", "gu", E], ["\\W+", "gu", f"a{E}b"], ["\\D", "g", E],
    ["\\u{1F600}", "u", E], ["\\u{1F600}", "", E], ["\\u{3}", "", "uuu"],
    ["^\\u{3}$", "", "uuu"], ["\\u{110000}", "u", ""], ["\\u{61}", "u", "a"],
    ["\\uD83D\\uDE00", "u", E], ["\\uD83D\\uDE00", "", E], ["\\uD83D", "", E],
    ["\\uD83D", "u", E], ["\\uDE00", "u", "\ude00x"], ["\\uD83D", "u", "x\ud83d"],
    [".", "gu", "\ud83dx"], ["[\\uD83D\\uDE00-\\uD83D\\uDE02]", "u", "😁"],
    ["a", "g", f"{E}a{E}a"], ["😀", "g", f"a{E}b{E}"], ["(?:)", "g", E], ["(?:)", "gu", E],
    ["", "gu", f"{E}x"], ["", "", f"{E}a"], ["", "u", f"{E}a"], ["x*", "g", f"{E}x{E}"],
    ["x*", "gu", f"{E}x{E}"], ["😀", "y", E + E], [".", "yu", E + E], [".", "gy", f"{E}a"],
    ["a", "gy", "aab"], ["\\b", "g", f"a{E}b"], ["^b", "gm", f"a\nb{E}\nb"],
    ["(?<=😀)a", "", f"{E}a"], ["(?<=.)a", "u", f"{E}a"], ["(?<=.)a", "", f"{E}a"],
    ["(.)(.)", "", E], ["(.)(.)", "u", E + S], ["(?<hi>.)(?<lo>.)", "d", f"x{E}"],
    ["(?<c>.)", "du", f"x{E}"], ["(a)|(😀)", "dg", f"{E}a"], ["b", "d", f"{E}b"],
    ["é", "i", "É"], ["\\u{1F600}", "iu", E], ["σ", "iu", "Σ"], ["\\a", "", "a"],
    ["\\a", "u", "a"], ["\\A", "", "A"], ["\\p{L}", "", "p{L}"], ["\\P", "", "P"],
    ["💡|😀", "g", f"{S}{E}"], ["[💡😀]", "gu", f"{S}x{E}"], ["[💡😀]", "g", f"{S}x{E}"],
]

# \p{…} and \P{…} under u (scripts, categories, binary properties, bad names)
PROPERTIES = [
    ["\\p{L}+", "u", "héllo wörld 123"], ["\\p{Lu}", "gu", "Hello World"],
    ["\\P{L}+", "gu", "ab12cd"], ["\\p{Emoji}", "gu", f"a{E}1{S}#"],
    ["\\p{Emoji_Presentation}", "gu", f"a{E}1{S}"], ["\\p{EPres}", "gu", f"a{E}1"],
    ["\\p{Extended_Pictographic}", "gu", f"x{E}©"], ["\\P{Emoji}+", "gu", f"ab{E}cd"],
    ["\\p{Script=Greek}+", "u", "abc αβγ"], ["\\p{sc=Cyrillic}", "gu", "Привет"],
    ["\\p{scx=Hira}", "gu", "ひらがなー"], ["\\p{Script_Extensions=Latin}+", "u", "ab"],
    ["\\p{gc=Nd}", "gu", "1٣𝟙"], ["\\p{General_Category=Letter}", "gu", "a1"],
    ["\\p{Letter}", "gu", "aé𝐀"], ["[\\p{L}\\d]+", "gu", "ab12_cd"],
    ["[^\\p{L}]", "gu", "ab12"], ["\\p{ASCII}+", "u", f"abc{E}"], ["\\p{Any}", "gu", f"a{E}"],
    ["\\p{Nd}", "u", "٣"], ["\\p{Lu}", "iu", "a"], ["\\p{White_Space}", "gu", "a b\u3000"],
    ["\\p{RI}", "gu", "🇫🇷"], ["\\p{Lowercase}", "gu", "aB"], ["\\p{Alpha}+", "u", "ab1"],
    ["\\p{Sc}", "gu", "$€5"], ["\\p{P}", "gu", "a,b!"], ["\\p{punct}", "gu", "a,b"],
    ["\\p{L}", "gu", "𝐀𝐁"], ["\\p{Ll}", "u", "𝐚"], ["\\p{Cs}", "u", "\ud800"],
    ["(?<e>\\p{Emoji_Presentation})", "gu", f"hi {E} there {S}"],
    ["\\p{letter}", "u", "a"], ["\\p{Greek}", "u", "α"], ["\\p{L", "u", "a"],
    ["\\p{Script=Nope}", "u", "a"], ["\\p{gc=Nope}", "u", "a"], ["\\p{}", "u", "a"],
]


@pytest.mark.parametrize("cases", [UNITS_AND_POINTS, PROPERTIES], ids=["units", "properties"])
def test_regexp_table_matches_node(
    cases: list[list[str]], js: Callable[..., Path],
    oracle_diff: Callable[[Path, Any], list[str]],
) -> None:
    assert oracle_diff(js(_TABLE), {"cases": cases}) == []


_LITERALS = r"""
const e = '😀';
log(e.length, /^.$/.test(e), /^.$/u.test(e), /^..$/.test(e), /[😀]/u.exec(e)[0] === e);
log('a😀b'.replace(/./gu, '<$&>'), 'a😀b'.split(/(?:)/u).length, 'a😀b'.split('').length);
log('x😀y'.search(/y/), 'x😀y'.match(/\p{Emoji_Presentation}/u).index, /\p{Lu}/u.test('É'));
const r = /./gu;
r.exec('😀a');
log(r.lastIndex, r.exec('😀a')[0], r.lastIndex);
return [...'😀a😀'.matchAll(/\P{Emoji_Presentation}|😀/gu)].map((m) => m.index);
"""


def test_regexp_literals_match_node(
    js: Callable[..., Path], oracle_diff: Callable[[Path, Any], list[str]],
) -> None:
    assert oracle_diff(js(_LITERALS), {}) == []


def test_dot_sees_code_units_without_u_and_code_points_with_it(
    run_js: Callable[..., Any],
) -> None:
    result = run_js("const e = '😀';\nreturn [/^.$/.test(e), /^.$/u.test(e), "
                    "'a😀b'.match(/./g).length, 'a😀b'.match(/./gu).length, "
                    "/\\p{Emoji}/u.test(e), /\\P{L}/u.test('a')];\n")
    assert result.value == [False, True, 4, 3, True, False]


def test_property_patterns_still_meet_the_backtracking_rule(run_js: Callable[..., Any]) -> None:
    result = run_js("return new RegExp('^(\\\\p{L}+)+$', 'u').test('aaaa');\n")
    assert result.status == "failed"
    assert "refused" in (result.error or "")
