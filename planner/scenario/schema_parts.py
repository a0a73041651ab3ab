"""JSON Schema pieces the fields share: numbers as editors read them, flags, enums with their
meanings, and the ``{dist: ...}`` mapping.

Editors (VS Code's YAML extension and every other yaml-language-server client) read YAML
1.2; the loader reads YAML 1.1 (PyYAML). Where the two read the same text differently the
schema accepts what the loader accepts: ``14_000_000`` is text to an editor, so a number
field also takes text of digits grouped in threes (:data:`~planner.scenario.yamltree.GROUPED_NUMBER`),
and a flag also takes ``yes``/``no``/``on``/``off``. ``enumDescriptions`` is the VS Code
extension keyword that yaml-language-server shows next to each value in completion and
hover (JSON Schema itself has no per-value description; validators ignore it).

yaml-language-server's hover shows the first description among the schemas a value
matches, the innermost first: so the alternatives of a scalar (a number, grouped digits,
an interval) carry a ``$comment`` rather than a description, and the hover shows the
field's meaning.
"""
from __future__ import annotations

from planner.scenario.distributions import FAMILIES
from planner.scenario.yamltree import GROUPED_NUMBER

#: what PyYAML reads as true / false besides ``true`` and ``false`` (YAML 1.1 booleans);
#: YAML 1.2 readers leave them as text
FLAG_WORDS = {True: ("yes", "Yes", "YES", "on", "On", "ON"),
              False: ("no", "No", "NO", "off", "Off", "OFF")}

#: the families of ``dist:``, as a reader needs them
FAMILY_MEANINGS = {
    "normal": "normal: symmetric around mean, with standard deviation sd (can draw negative "
              "values)",
    "lognormal": "lognormal: skewed to the right, always > 0; by median and p90, or by mean and sd",
    "triangular": "triangular: between low and high, most likely at mode",
    "pert": "PERT: a smooth curve between low and high peaked at mode (thinner tails than "
            "triangular)",
    "uniform": "uniform: every value between low and high equally likely",
    "truncnorm": "truncated normal: a normal (mean, sd) cut to the range low to high",
    "beta": "beta by mean and sd: a rate between 0 and 1",
    "poisson": "Poisson: whole-number counts around mean",
    "binomial": "binomial: successes in n trials of probability p",
    "choice": "choice: one of values, each with its weight (probability)",
}

#: the parameters of the families
PARAMETER_MEANINGS = {
    "mean": "the mean (average) of the draws",
    "sd": "the standard deviation of the draws",
    "median": "the median: half the draws are below it",
    "p90": "the 90th percentile: 90% of the draws are below it (above the median)",
    "low": "the smallest value drawn",
    "mode": "the most likely value",
    "high": "the largest value drawn",
    "n": "the number of trials (a whole number)",
    "p": "the probability of success in each trial, 0 to 1",
    "values": "the values it can take",
    "weights": "the probability of each value, one per value (they should add up to 1)",
}


def _grouped_name(integer: bool, negative: bool) -> str:
    return ("grouped_integer" if integer else "grouped_number") + ("" if negative else "_nonnegative")


def grouped_number_schema(*, integer: bool = False, negative: bool = True) -> dict:
    """Text of digits grouped by ``_`` in threes (``14_000_000``), read as a number: a
    reference into :func:`grouped_number_defs`.

    Parameters
    ----------
    integer : bool
        Whole numbers only (no decimal part).
    negative : bool
        Allow a leading minus (False where the field's lower bound is >= 0).
    """
    return {"$ref": f"#/$defs/{_grouped_name(integer, negative)}"}


def grouped_number_defs() -> dict:
    """The ``$defs`` :func:`grouped_number_schema` refers to (name -> schema)."""
    out = {}
    for integer in (False, True):
        for negative in (True, False):
            pattern = GROUPED_NUMBER
            if integer:
                pattern = pattern.replace(r"(\.[0-9]+)?", r"(\.0+)?")  # 1_000.0 is whole
            if not negative:
                pattern = pattern.replace("[-+]?", r"\+?", 1)
            kind = "whole number" if integer else "number"
            sign = "" if negative else " (not negative)"
            out[_grouped_name(integer, negative)] = {
                "type": "string", "pattern": pattern,
                "$comment": f"a {kind}{sign} written with its digits grouped by _ in threes, "
                               f"e.g. 14_000_000 (editors read it as text, planner as the number)"}
    return out


def number_schema(*, integer: bool = False, negative: bool = True, grouped: bool = True,
                  **bounds) -> dict:
    """A JSON number (bounded by ``bounds``: minimum, exclusiveMaximum, ...), and with
    ``grouped`` also its digits grouped by ``_`` (:func:`grouped_number_schema`)."""
    number = {"type": "integer" if integer else "number", **bounds}
    if not grouped:
        return number
    return {"anyOf": [number, grouped_number_schema(integer=integer, negative=negative)]}


#: a number in a 90% interval, as :func:`~planner.scenario.distributions.parse_interval`
#: reads it (no grouped digits there)
_NUMBER_TEXT = r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]{1,3})?"


def interval_schema() -> dict:
    """A 90% interval ``"LOW to HIGH"``: two plain numbers around `` to ``."""
    return {"type": "string", "pattern": rf"^\s*{_NUMBER_TEXT}\s* to \s*{_NUMBER_TEXT}\s*$",
            "$comment": "a 90% interval 'LOW to HIGH' (lognormal if LOW > 0, else normal)"}


def flag_schema() -> dict:
    """true / false, or one of YAML 1.1's :data:`FLAG_WORDS` (text to an editor)."""
    words = FLAG_WORDS[True] + FLAG_WORDS[False]
    return {"anyOf": [{"type": "boolean", "description": "true or false"},
                      {"type": "string", "pattern": "^(" + "|".join(words) + ")$",
                       "description": "yes / on (true) or no / off (false)"}]}


def enum_schema(choices: tuple[str, ...], meanings: dict[str, str] | None, doc: str) -> dict:
    """A string that is one of ``choices``, each value with its meaning.

    ``meanings`` maps every choice to what it means; a single choice (the ``model:`` or
    ``type:`` that names a variant) may go without, its meaning is then ``doc``.
    """
    if meanings is None:
        if len(choices) != 1 or not doc:
            raise ValueError(f"choices {choices} need their meanings")
        meanings = {choices[0]: doc}
    return {"type": "string", "enum": list(choices),
            "enumDescriptions": [meanings[c] for c in choices]}


def distribution_schema() -> dict:
    """JSON Schema of the ``{dist: ...}`` mapping: one variant per family and parameter set."""
    variants = []
    for family, (shapes, _) in FAMILIES.items():
        for shape in shapes:
            props = {"dist": {"const": family, "description": FAMILY_MEANINGS[family]}}
            for name in shape:
                value = number_schema()
                if family == "choice":
                    value = {"type": "array", "items": value, "minItems": 1}
                props[name] = {**value, "description": PARAMETER_MEANINGS[name]}
            variants.append({"type": "object", "properties": props,
                             "required": ["dist", *shape], "additionalProperties": False,
                             "description": f"{FAMILY_MEANINGS[family]}; keys: {', '.join(shape)}"})
    return {"description": "A distribution, sampled once per simulated path: dist names the "
                           "family, the other keys its parameters.", "oneOf": variants}
