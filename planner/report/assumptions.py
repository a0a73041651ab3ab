"""Every input of a scenario as rows for the report and the workbook: value or distribution.

:func:`assumption_rows` walks the validated :class:`~planner.scenario.model.Scenario`
(company, segments, headcount, opex, committed rounds, funding plans) and returns one
:class:`Assumption` per input, in file order. An uncertain input keeps its
:class:`~planner.scenario.spec.Param`, so its distribution and its P10/P50/P90 can be shown.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from planner.format import SYMBOLS
from planner.scenario.spec import Param

KINDS = ("money", "percent", "count", "months", "days", "ratio", "text")


@dataclass(frozen=True)
class Assumption:
    """One input of a scenario.

    Attributes
    ----------
    section : str
        Where it belongs (``Segment smb``, ``Headcount``, ``Funding plan one_round``...).
    name : str
        What it is.
    kind : str
        One of :data:`KINDS`: how to format the value.
    value : float, Param or str
        The number, the uncertain input (a :class:`~planner.scenario.spec.Param`) or text.
    """

    section: str
    name: str
    kind: str
    value: object

    @property
    def uncertain(self) -> bool:
        return isinstance(self.value, Param)

    def quantiles(self) -> tuple[float, float, float] | None:
        """P10, P50, P90 of an uncertain input (clipped to its valid range), else None."""
        if not self.uncertain:
            return None
        p = self.value
        q = np.asarray(p.dist.ppf(np.array([0.1, 0.5, 0.9])), dtype=float)
        q = np.clip(q, -np.inf if p.low is None else p.low, np.inf if p.high is None else p.high)
        return float(q[0]), float(q[1]), float(q[2])

    def text(self, currency: str) -> str:
        """The value as text: a number, the distribution (``pert(low=...)``) or the text itself."""
        if self.uncertain:
            return self.value.dist.describe()
        return format_value(self.value, self.kind, currency)


def format_quantile(value: float, kind: str, currency: str) -> str:
    """A quantile of an uncertain input, to 3 significant digits: ``$1,690``, ``0.234%``, ``4.99``."""
    v = float(value)
    rounded = float(f"{v:.3g}") if kind != "percent" else float(f"{100 * v:.3g}") / 100
    return format_value(rounded, kind, currency)


def format_value(value, kind: str, currency: str) -> str:
    """An input's value for people: ``$41,600``, ``3.5%``, ``12 months``, ``1,200``."""
    if isinstance(value, str):
        return value
    if value is None:
        return "-"
    v = float(value)
    if kind == "money":
        symbol = SYMBOLS.get(currency)
        digits = 0 if v == round(v) else 2
        text = f"{abs(v):,.{digits}f}"
        sign = "-" if v < 0 else ""
        return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"
    if kind == "percent":
        return f"{100 * v:.4g}%"
    if kind == "months":
        return f"{v:g} month{'' if v == 1 else 's'}"
    if kind == "days":
        return f"{v:g} days"
    if kind == "count":
        return f"{v:,.6g}"
    return f"{v:g}"


def _month_text(start: np.datetime64, index: int) -> str:
    return str(start + int(index))


def _series_rows(section: str, name: str, kind: str, series, start) -> list[Assumption]:
    """Rows of a monthly amount: one value, a start and a growth rate, or dated steps."""
    if series is None:
        return []
    if series.kind == "constant":
        return [Assumption(section, f"{name} (monthly)", kind, series.value)]
    if series.kind == "growth":
        per = "year" if series.growth_is_annual else "month"
        return [Assumption(section, f"{name} (monthly, first month)", kind, series.start),
                Assumption(section, f"{name}: growth per {per}", "percent", series.monthly_growth)]
    return [Assumption(section, f"{name} (monthly) from {_month_text(start, m)}", kind, v)
            for m, v in series.steps]


def _retention_rows(section: str, r) -> list[Assumption]:
    rows = [Assumption(section, "retention model", "text", r.model)]
    if r.model == "constant":
        rows.append(Assumption(section, "churn per month", "percent", r.monthly_churn))
    elif r.model == "curve":
        rows.append(Assumption(section, "survival curve (age in months: share)", "text",
                               ", ".join(f"{a}: {100 * s:.4g}%" for a, s in r.curve)))
    else:
        rows += [Assumption(section, "sBG alpha", "ratio", r.alpha), Assumption(section, "sBG beta", "ratio", r.beta),
                 Assumption(section, "sBG period", "months", r.period_months)]
        if r.log_cov is not None:
            rows.append(Assumption(section, "sBG covariance of (ln alpha, ln beta)", "text",
                                   "; ".join(", ".join(f"{v:.4g}" for v in row) for row in r.log_cov)))
    return rows


def _delay_text(lag) -> str | None:
    """A funnel delay in words, or None when it is a plain number of months."""
    if lag.weights is not None:
        return ", ".join(f"{m} mo: {100 * w:.3g}%" for m, w in lag.weights)
    return None


def _delay_rows(section: str, name: str, lag) -> list[Assumption]:
    text = _delay_text(lag)
    if text is not None:
        return [Assumption(section, f"{name} (months: share)", "text", text)]
    rows = [Assumption(section, f"{name}, average", "months", lag.mean)]
    if isinstance(lag.sd, Param) or lag.sd:
        rows.append(Assumption(section, f"{name}, standard deviation (gamma)", "months", lag.sd))
    return rows


def _funnel_rows(s: str, f, start) -> list[Assumption]:
    """The go-to-market funnel of a segment: sources, stages, speed to lead, capacity."""
    rows = _series_rows(s, "paid lead spend", "money", f.paid_spend, start)
    if f.cost_per_lead is not None:
        rows.append(Assumption(s, "cost per lead", "money", f.cost_per_lead))
    rows += _series_rows(s, "inbound leads", "count", f.inbound, start)
    if f.has_leads:
        for name, label in (("mql", "lead -> MQL"), ("sql", "MQL -> SQL (passed to sales)"),
                            ("opportunity", "SQL -> opportunity")):
            stage = getattr(f, name)
            rows.append(Assumption(s, f"{label} rate", "percent", stage.rate))
            if isinstance(stage.delay.mean, Param) or stage.delay.mean:
                rows += _delay_rows(s, f"{label} time", stage.delay)
        rows.append(Assumption(s, "win rate (opportunity -> won)", "percent", f.win_rate))
        rows += _delay_rows(s, "sales cycle", f.sales_cycle)
        rows.append(Assumption(s, "pipeline in flight at the start", "text",
                               "yes (warm start)" if f.warm_start else "no (starts empty)"))
    if f.speed is not None:
        sp = f.speed
        rows.append(Assumption(s, "speed to lead applies to", "text", f"the {sp.applies_to} stage"))
        if sp.response_minutes is not None:
            rows.append(Assumption(s, "response time, minutes", "ratio", sp.response_minutes))
        if sp.sdr_role is not None:
            rows += [Assumption(s, "SDR team", "text", sp.sdr_role),
                     Assumption(s, "leads one SDR contacts per month", "count", sp.leads_per_sdr),
                     Assumption(s, "response while SDRs keep up, minutes", "ratio", sp.base_minutes),
                     Assumption(s, "response beyond SDR capacity, minutes", "ratio", sp.overflow_minutes)]
        rows += [Assumption(s, "stage rate measured at a response of, minutes", "ratio", sp.measured_at),
                 Assumption(s, "response curve (minutes: odds multiplier)", "text",
                            ", ".join(f"{m:g}: {v:g}" for m, v in sp.curve))]
    if f.capacity is not None:
        c = f.capacity
        rows += [Assumption(s, "AE team", "text", c.ae_role),
                 Assumption(s, "AE ramp to full productivity", "months", c.ramp_months)]
        if c.quota_deals is not None:
            rows.append(Assumption(s, "quota per AE, deals per month", "count", c.quota_deals))
        else:
            rows.append(Assumption(s, "quota per AE, new ARR per month", "money", c.quota_new_arr))
        rows += [Assumption(s, "quota attainment", "percent", c.attainment),
                 Assumption(s, "deals beyond AE capacity", "text",
                            "carried over" if c.carry_over else "lost")]
    if f.self_serve is not None:
        rows += _series_rows(s, "self-serve trials", "count", f.self_serve.trials, start)
        rows.append(Assumption(s, "trial -> paying", "percent", f.self_serve.conversion))
        rows += _delay_rows(s, "trial length", f.self_serve.delay)
    return rows


def _segment_rows(seg, start) -> list[Assumption]:
    s = f"Segment {seg.name}"
    rows = [Assumption(s, "customers at the start", "count", seg.opening_customers),
            Assumption(s, "MRR at the start", "money", seg.opening_mrr),
            Assumption(s, "average age of the book at the start", "months", seg.opening_age),
            Assumption(s, "ARPA (MRR per new customer)", "money", seg.arpa),
            Assumption(s, "price increase for new customers, per year", "percent", seg.annual_increase),
            Assumption(s, "contract term", "months", seg.term_months),
            Assumption(s, "billed every", "months", seg.billing_months),
            Assumption(s, "payment terms", "days", seg.payment_terms_days),
            Assumption(s, "bad debt (share of invoices)", "percent", seg.bad_debt_rate)]
    rows += _series_rows(s, "new customers", "count", seg.new_customers, start)
    rows += _series_rows(s, "marketing budget", "money", seg.marketing_budget, start)
    if seg.cac is not None:
        rows.append(Assumption(s, "CAC of the marketing budget", "money", seg.cac))
    if seg.funnel is not None:
        rows += _funnel_rows(s, seg.funnel, start)
    if seg.commission is not None:
        rows += [Assumption(s, "commission (share of first-year ACV)", "percent", seg.commission.rate),
                 Assumption(s, "commission paid over", "months", seg.commission.paid_over_months)]
    rows += _retention_rows(s, seg.retention)
    if seg.mrr_curve:
        rows.append(Assumption(s, "MRR per surviving customer by age (months: x start)", "text",
                               ", ".join(f"{a}: {v:.4g}" for a, v in seg.mrr_curve)))
    else:
        rows += [Assumption(s, "expansion per month", "percent", seg.expansion_rate),
                 Assumption(s, "contraction per month", "percent", seg.contraction_rate)]
    rows += [Assumption(s, "hosting COGS (share of revenue)", "percent", seg.hosting_pct),
             Assumption(s, "COGS per customer per month", "money", seg.cost_per_customer)]
    return rows


def _plain(value) -> str:
    """A number as text, or "an uncertain number" for a distribution (its row follows)."""
    return "an uncertain number" if isinstance(value, Param) else f"{value:,.4g}"


def _cost_rows(sc) -> list[Assumption]:
    rows = []
    for role in sc.roles:
        s = f"Headcount: {role.role} ({role.department})"
        if role.driver is not None:
            d = role.driver
            of = d.of.replace("_", " ") + (f" of {d.segment}" if d.segment else "")
            lag = f"{d.lag_months} month{'' if d.lag_months == 1 else 's'}"
            rule = f"1 per {_plain(d.per)} {of}, rounded up; hiring lag {lag}"
            rows += [Assumption(s, "sized by a driver", "text", rule + (f"; at least {d.minimum}" if d.minimum else ""))]
            if isinstance(d.per, Param):
                rows.append(Assumption(s, f"{d.of.replace('_', ' ')} per person", "count", d.per))
        else:
            hires = ", ".join(f"{_month_text(sc.start, m)}: {n:+d}" for m, n in role.hires) or "none"
            rows += [Assumption(s, "people at the start", "count", role.start),
                     Assumption(s, "hires", "text", hires)]
        if role.segment is not None:
            rows.append(Assumption(s, "works for segment", "text", role.segment))
        rows += [Assumption(s, "salary per year", "money", role.salary),
                 Assumption(s, "burden (share of salary)", "percent", role.burden),
                 Assumption(s, "raise per year", "percent", role.annual_raise)]
    for line in sc.opex:
        s = f"Opex: {line.name} ({line.department})"
        rows += _series_rows(s, "amount", "money", line.monthly, sc.start)
        if isinstance(line.pct_of_revenue, Param) or line.pct_of_revenue:
            rows.append(Assumption(s, "share of revenue", "percent", line.pct_of_revenue))
    return rows


_FIELD_KINDS = {"amount": "money", "pre_money": "money", "arr_at_least": "money", "annual_rate": "percent",
                "fee": "percent", "option_pool": "percent", "arr_multiple": "ratio",
                "runway_below_months": "months", "interest_only_months": "months", "amortisation_months": "months"}
_MONTH_FIELDS = ("month", "not_before", "deadline")
_FIELD_LABELS = {"arr_multiple": "pre-money ARR multiple", "pre_money": "pre-money valuation",
                 "arr_at_least": "raised when ARR reaches", "not_before": "not before",
                 "interest_only_months": "interest-only period", "amortisation_months": "amortisation period",
                 "runway_below_months": "raised when runway falls below", "annual_rate": "interest rate per year",
                 "fee": "arrangement fee (share of principal)", "option_pool": "option-pool top-up"}


def _label(field: str) -> str:
    return _FIELD_LABELS.get(field, field.replace("_", " "))


def _instrument_rows(section: str, inst, start) -> list[Assumption]:
    """Rows of a funding instrument, read from its dataclass fields (valuation flattened)."""
    label = f"{type(inst).__name__.replace('Round', ' round').replace('Debt', ' debt').strip()} {inst.name}"
    rows = []
    for f in dataclasses.fields(inst):
        value = getattr(inst, f.name)
        if f.name == "name" or value is None:
            continue
        if f.name == "valuation":
            rows += [Assumption(section, f"{label}: {_label(v.name)}", _FIELD_KINDS[v.name],
                                getattr(value, v.name)) for v in dataclasses.fields(value)
                     if getattr(value, v.name) is not None]
        elif f.name in _MONTH_FIELDS:
            rows.append(Assumption(section, f"{label}: {_label(f.name)}", "text",
                                   _month_text(start, value)))
        else:
            rows.append(Assumption(section, f"{label}: {_label(f.name)}",
                                   _FIELD_KINDS.get(f.name, "ratio"), value))
    return rows


def assumption_rows(scenario) -> list[Assumption]:
    """Every input of a scenario, section by section, in file order.

    Returns
    -------
    list of Assumption
        Company (start, horizon, cash), each segment, headcount roles, opex lines,
        committed rounds and each funding plan's instruments. Uncertain inputs hold
        their :class:`~planner.scenario.spec.Param`.
    """
    sc = scenario
    rows = [Assumption("Company", "start month", "text", str(sc.start)),
            Assumption("Company", "horizon", "months", sc.horizon),
            Assumption("Company", "currency", "text", sc.currency),
            Assumption("Company", "cash at the start", "money", sc.opening_cash),
            Assumption("Company", "minimum cash balance", "money", sc.minimum_cash)]
    for seg in sc.segments:
        rows += _segment_rows(seg, sc.start)
    rows += _cost_rows(sc)
    for r in sc.rounds:
        rows.append(Assumption("Committed rounds", f"{r.name} in {_month_text(sc.start, r.month)}", "money",
                               r.amount))
    for plan in sc.plans:
        section = f"Funding plan {plan.name}" + (" (default)" if plan.name == sc.default_plan else "")
        for inst in plan.instruments:
            rows += _instrument_rows(section, inst, sc.start)
        if not plan.instruments:
            rows.append(Assumption(section, "instruments", "text", "none (committed rounds only)"))
    return rows + _sampling_rows(sc, rows)


def _sampling_rows(sc, rows: list[Assumption]) -> list[Assumption]:
    """Sampling method, rank correlations, and any uncertain input not shown above (by its path)."""
    s = "Sampling"
    out = [Assumption(s, "paths (default)", "count", sc.paths), Assumption(s, "seed (default)", "text", str(sc.seed))]
    if getattr(sc, "sampling", None):
        out.append(Assumption(s, "method", "text", sc.sampling.replace("_", " ")))
    corr = getattr(sc, "correlation", None)
    if corr is not None:
        names = {p.index: p.path for p in sc.params}
        for i, a in enumerate(corr.columns):
            for j in range(i + 1, len(corr.columns)):
                if corr.rank[i, j] != 0:
                    out.append(Assumption(s, f"rank correlation: {names.get(a, a)} ~ {names.get(corr.columns[j])}",
                                          "ratio", float(corr.rank[i, j])))
    shown = {a.value.index for a in rows if a.uncertain}
    out += [Assumption("Other uncertain inputs", p.path, "ratio", p) for p in sc.params
            if p.index not in shown and ".log_cov.z_" not in p.path]
    return out


