"""The review's coded notes (matcher.notes) are said in both languages.

Every ``note(code, english, **params)`` call in matcher/ and api/ is found by walking the
code's syntax trees; each code needs ``note.<code>`` in the Vietnamese and the English
catalogue, those entries may only use the parameters the call passes, and each renders
with sample parameters. The Vietnamese is Vietnamese (diacritics), the effects' covariates
have words in both languages, and notes never reach a provider's pages.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from api.web import i18n
from api.web.i18n import Translator
from matcher.matching.seat_prices import NOTES
from matcher.notes import note
from matcher.review.effects import BALANCE_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "matcher").rglob("*.py"), *(ROOT / "api").rglob("*.py")])
NOTES_MODULE = "matcher.notes"
VIETNAMESE = re.compile(r"[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]",
                        re.IGNORECASE)


def _note_names(tree: ast.Module, module: str) -> set[str]:
    """The names ``note`` is imported under in this module (none: it makes no notes)."""
    names = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:  # from .notes import note
                base = package.split(".")
                source = ".".join(base[:len(base) - node.level + 1] + ([source] if source else []))
            if source == NOTES_MODULE:
                names |= {a.asname or a.name for a in node.names if a.name == "note"}
    return names


def _codes(arg: ast.expr) -> list[str] | None:
    """The literal code(s) of a call's first argument; None when it is not literal."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.IfExp):
        a, b = _codes(arg.body), _codes(arg.orelse)
        return None if a is None or b is None else a + b
    return None


def _factory(call: ast.Call, function: ast.FunctionDef) -> tuple[str, int, str] | None:
    """A wrapper that builds the code from one of its parameters, ``note(f"effects.{code}",
    english, **params)``: (prefix, that parameter's position, suffix), else None."""
    arg = call.args[0] if call.args else None
    if not isinstance(arg, ast.JoinedStr):
        return None
    parts = arg.values
    names = [a.arg for a in function.args.args]
    if function.name == "__init__":
        names = names[1:]  # self
    holes = [i for i, v in enumerate(parts) if isinstance(v, ast.FormattedValue)]
    if len(holes) != 1 or not isinstance(parts[holes[0]].value, ast.Name):
        return None
    param = parts[holes[0]].value.id
    if param not in names or any(not isinstance(v, ast.Constant) for i, v in enumerate(parts)
                                 if i != holes[0]):
        return None
    prefix = "".join(v.value for v in parts[:holes[0]])
    suffix = "".join(v.value for v in parts[holes[0] + 1:])
    return prefix, names.index(param), suffix


def _functions(tree: ast.Module):
    """Every function with the name it is called by (a class's __init__: the class)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                    yield node.name, item
        elif isinstance(node, ast.FunctionDef) and node.name != "__init__":
            yield node.name, node


def collect_calls(sources: list[tuple[str, str, str]] | None = None) -> dict[str, set[str]]:
    """Every code passed to note(...) in matcher/ and api/ (``sources``: (module, where,
    text) to read instead), with the parameters passed. A wrapper that makes the code from
    a parameter (an exception class that builds its note) is followed to its callers."""
    if sources is None:
        sources = [(".".join(p.relative_to(ROOT).with_suffix("").parts),
                    str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in SOURCES]
    found: dict[str, set[str]] = {}
    bad: list[str] = []
    factories: dict[str, tuple[str, int, str]] = {}
    trees = [(module, where, ast.parse(text)) for module, where, text in sources]
    for module, where, tree in trees:
        names = _note_names(tree, module)
        if module == NOTES_MODULE or not names:
            continue
        in_factory: set[int] = set()
        for name, function in _functions(tree):
            for node in ast.walk(function):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id in names and _factory(node, function)):
                    factories[name] = _factory(node, function)
                    in_factory.add(id(node))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in names) or id(node) in in_factory:
                continue
            codes = _codes(node.args[0]) if node.args else None
            if codes is None:
                bad.append(f"{where}:{node.lineno}: the code is not a literal string")
                continue
            if any(k.arg is None for k in node.keywords):
                bad.append(f"{where}:{node.lineno}: parameters passed with ** cannot be checked")
            for code in codes:
                found.setdefault(code, set()).update(k.arg for k in node.keywords if k.arg)
    for _, where, tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in factories:
                continue
            prefix, position, suffix = factories[name]
            codes = _codes(node.args[position]) if len(node.args) > position else None
            if codes is None:
                bad.append(f"{where}:{node.lineno}: {name}(...) needs a literal code")
                continue
            for code in codes:
                found.setdefault(prefix + code + suffix, set()).update(
                    k.arg for k in node.keywords if k.arg)
    assert bad == [], "every note() needs a literal code and named parameters:\n" + "\n".join(bad)
    return found


CALLS = collect_calls()


def test_the_walk_finds_the_review_notes():
    """Not vacuous: the codes of every part of the review are found, with their parameters."""
    for code in ("predictions.out_of_fold", "calibration.drift_fewer", "fairness.flag",
                 "league.test", "quality.simulated", "pricing.idle_waiting", "pricing.off",
                 "review.effects_not_computed"):
        assert code in CALLS, code
    assert CALLS["fairness.flag"] == {"dimension", "level", "metric", "n", "p_holm"}
    assert len(CALLS) >= 39


def test_the_walk_follows_a_wrapper_that_builds_the_code():
    """An exception that makes its note from a code parameter is followed to its raisers."""
    wrapper = (
        "from matcher.notes import note\n"
        "class Unavailable(ValueError):\n"
        "    def __init__(self, code, english, **params):\n"
        "        self.note = note(f'effects.{code}', english, **params)\n")
    raiser = ("from x.wrapper import Unavailable\n"
              "raise Unavailable('no_overlap', 'no overlap in {n}', n=3)\n")
    found = collect_calls([("x.wrapper", "wrapper.py", wrapper), ("x.raiser", "r.py", raiser)])
    assert found == {"effects.no_overlap": {"n"}}
    with pytest.raises(AssertionError, match="needs a literal code"):
        collect_calls([("x.wrapper", "wrapper.py", wrapper),
                       ("x.raiser", "r.py", raiser.replace("'no_overlap'", "code"))])
    with pytest.raises(AssertionError, match="not a literal"):
        collect_calls([("x.m", "m.py", "from matcher.notes import note\nnote(c, 'x')\n")])


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_code_has_words_in_both_catalogues(lang):
    words = i18n.catalogue(lang)
    missing = sorted(code for code in CALLS if f"note.{code}" not in words)
    assert missing == [], f"locales/{lang}: no note.<code> for {missing}"


def _fields(template: str) -> dict[str, str]:
    """Each placeholder's name and format, nested placeholders of formats included."""
    out = {}
    for _, name, spec, _ in string.Formatter().parse(template):
        if name is None:
            continue
        out[name] = spec or ""
        out.update({k: "" for k in _fields(spec or "") if k not in out})
    return out


def _sample(spec: str, words: dict[str, str]):
    kind, _, prefix = spec.partition("=")
    if kind in ("key", "keys"):
        # Codes whose words are plain (a key with placeholders is not a code's name).
        codes = sorted(k[len(prefix) + 1:] for k, text in words.items()
                       if k.startswith(prefix + ".") and "{" not in text)
        assert codes, f"no catalogue key under {prefix}"
        return codes[0] if kind == "key" else ", ".join(codes[:2])
    if kind == "word":
        return "x"
    if kind == "date":
        return "2026-01-31"
    if kind == "p":
        return 0.00004
    if kind.endswith("%"):
        return 0.05
    if kind in ("money",) or kind.endswith("f"):
        return 12.345
    return 7


@pytest.mark.parametrize("code", sorted(CALLS))
@pytest.mark.parametrize("lang", i18n.LANGS)
def test_each_note_renders_with_only_the_parameters_it_is_given(lang, code):
    t = Translator(lang)
    template = t.messages[f"note.{code}"]
    fields = _fields(template)
    unknown = set(fields) - CALLS[code]
    assert unknown == set(), f"note.{code} ({lang}) uses {unknown}, not passed by the code"
    params = {name: _sample(spec, t.messages) for name, spec in fields.items()}
    text = t.note({"code": code, "params": params, "message": "English"})
    assert text and "{" not in text and "}" not in text, text
    if lang == "vi":
        assert VIETNAMESE.search(text), f"note.{code} is not Vietnamese: {text}"
        assert text != Translator("en").note({"code": code, "params": params})


def test_vietnamese_and_english_use_the_same_placeholders():
    vi, en = i18n.catalogue("vi"), i18n.catalogue("en")
    for key in (k for k in vi if k.startswith("note.")):
        assert _fields(vi[key]) == _fields(en[key]), key


def test_a_note_renders_its_parameters_in_the_readers_formats():
    flag = note("fairness.flag", "{dimension} = {level}: {metric} (n = {n}, p = {p_holm})",
                dimension="group", level="trafficking_returnee", metric="success", n=1234,
                p_holm=0.00002)
    assert flag["message"] == "group = trafficking_returnee: success (n = 1234, p = 2e-05)"
    vi = Translator("vi").note(flag)
    assert vi.startswith("Nhóm đối tượng = Nạn nhân bị mua bán trở về: tỷ lệ thành công")
    assert "n = 1.234" in vi and "< 0,0001" in vi
    en = Translator("en").note(flag)
    assert en.startswith("Group") and "n = 1,234" in en and "< 0.0001" in en
    drift = note("calibration.drift_fewer", "{n} {since} {observed} {low:.0f} {high:.0f}",
                 n=400, since="2026-02-03", observed=150, low=161.4, high=199.6)
    assert "03/02/2026" in Translator("vi").note(drift) and "161–200" in Translator(
        "vi").note(drift)
    steering = note("fairness.steering", "{tests}",
                    tests="placed_wage_vnd_day, suggested_first_in_wished_trade")
    assert Translator("vi").note(steering).endswith(
        "Thu nhập của cơ hội được kết nối (đồng/ngày), Gợi ý đầu tiên đúng nghề mong muốn.")


def test_a_plain_string_from_an_older_record_is_shown_as_it_is():
    t = Translator("vi")
    assert t.note("in-sample predictions") == "in-sample predictions"
    assert t.note(None) == ""
    with pytest.raises(KeyError):
        t.note({"code": "no.such.code", "params": {}})


def test_the_seat_price_notes_are_the_engines_words():
    """One text per state: the status note's catalogue entry is the suggestion's sentence."""
    for state, (vi, en) in NOTES.items():
        assert i18n.catalogue("vi")[f"note.pricing.{state}"] == vi
        assert i18n.catalogue("en")[f"note.pricing.{state}"] == en


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_every_balance_covariate_has_words(lang):
    words = i18n.catalogue(lang)
    missing = [c for c in BALANCE_COLUMNS if f"covariate.{c}" not in words]
    assert missing == []
    assert words["covariate.group=trafficking_returnee"].endswith(
        words["enum.group.trafficking_returnee"])
    if lang == "vi":
        plain = [c for c in BALANCE_COLUMNS if not VIETNAMESE.search(words[f"covariate.{c}"])]
        assert plain == [], f"not Vietnamese: {plain}"


def test_notes_and_covariate_names_never_reach_a_providers_pages():
    """A covariate's name can be a client's group: staff pages only."""
    provider = [*(i18n.LOCALES.parent / "templates" / "provider").glob("*.html"),
                ROOT / "api" / "web" / "pages_provider.py"]
    for path in provider:
        text = path.read_text(encoding="utf-8")
        assert "covariate." not in text and "t.note(" not in text, path.name
