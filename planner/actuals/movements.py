"""MRR movements per segment and month, as ChartMogul defines them, reconciling exactly.

Each customer's change in MRR between two month ends is one movement (ChartMogul's
"net MRR movements", one per customer and period):

- **new business**: MRR goes from 0 to > 0 for a customer who never paid before;
- **reactivation**: MRR goes from 0 to > 0 for a customer who paid before and churned;
- **expansion**: MRR rises, from > 0;
- **contraction**: MRR falls but stays > 0 (e.g. cancelling one of two subscriptions);
- **churn**: MRR falls to 0 (the customer's last subscription ended).

So ``opening + new + expansion + reactivation - contraction - churned = closing`` for
every segment and month, exactly (amounts are whole cents), and likewise for customer
counts: ``opening + new + reactivated - churned = closing``.

References
----------
ChartMogul, "Data Table and MRR Movements" (help.chartmogul.com, article 203299912) and
"How ChartMogul classifies MRR movements" (article 201244842).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.actuals.mrr import CustomerMrr
from planner.io import write_text

__all__ = ["Movements", "movements", "KINDS"]

#: movement kinds, in bridge order; the sign with which each enters the closing MRR
KINDS = {"new": 1, "expansion": 1, "reactivation": 1, "contraction": -1, "churned": -1}
_CHUNK = 65_536  # customers at a time: bounds the temporaries at 8 x chunk x months bytes


@dataclass(frozen=True, eq=False)
class Movements:
    """MRR bridge per segment and month.

    Attributes
    ----------
    source, currency : str
    months : ndarray of datetime64[M], shape (n_months,)
    segments : tuple of str
    cents : dict of str -> ndarray of int64, shape (n_segments, n_months)
        ``opening``, ``new``, ``expansion``, ``reactivation``, ``contraction``,
        ``churned``, ``closing``: MRR in cents; contraction and churned are positive
        amounts lost.
    counts : dict of str -> ndarray of int64, shape (n_segments, n_months)
        Customers: ``opening``, ``closing`` and the number of customers with each
        movement.
    notes : tuple of str
    """

    source: str
    currency: str
    months: np.ndarray
    segments: tuple[str, ...]
    cents: dict
    counts: dict
    notes: tuple[str, ...] = ()

    def amount(self, kind: str, segment: str | None = None) -> np.ndarray:
        """One line of the bridge in currency, shape (n_months,): a segment or the company."""
        data = self.cents[kind] if segment is None else self.cents[kind][[self.segments.index(segment)]]
        return data.sum(axis=0) / 100.0

    def count(self, kind: str, segment: str | None = None) -> np.ndarray:
        """Customers of one line, shape (n_months,): a segment or the company."""
        data = self.counts[kind] if segment is None else self.counts[kind][[self.segments.index(segment)]]
        return data.sum(axis=0)

    def unreconciled(self) -> list[tuple[str, str]]:
        """(segment, month) pairs where the bridge does not add up, in MRR or customers (none)."""
        c, n = self.cents, self.counts
        money = c["opening"] + sum(sign * c[k] for k, sign in KINDS.items()) != c["closing"]
        people = n["opening"] + n["new"] + n["reactivation"] - n["churned"] != n["closing"]
        bad = np.argwhere(money | people)
        return [(self.segments[s], str(self.months[m])) for s, m in bad]

    def rows(self, by_segment: bool = True) -> list[dict]:
        """The bridge as JSON-ready rows (month, segment, MRR of each line, customers)."""
        out = []
        groups = [(s, [i]) for i, s in enumerate(self.segments)] if by_segment else [("all", list(range(len(self.segments))))]
        for name, index in groups:
            for m, month in enumerate(self.months):
                row = {"month": str(month), "segment": name}
                for kind in ("opening",) + tuple(KINDS) + ("closing",):
                    row[f"{kind}_mrr"] = round(int(self.cents[kind][index, m].sum()) / 100.0, 2)
                for kind in ("opening",) + tuple(KINDS) + ("closing",):
                    row[f"{kind}_customers"] = int(self.counts[kind][index, m].sum())
                out.append(row)
        return out

    def to_csv(self, path, by_segment: bool = True) -> None:
        """Write :meth:`rows` as CSV (atomically)."""
        import csv
        import io


        rows = self.rows(by_segment)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        write_text(path, buffer.getvalue())


def movements(book: CustomerMrr) -> Movements:
    """Classify every customer's month-end MRR change into ChartMogul's five movements.

    Parameters
    ----------
    book : CustomerMrr
        From :meth:`Ledger.monthly_mrr` or :func:`read_mrr_table`.

    Returns
    -------
    Movements
        Per segment and month; reconciles exactly (see :meth:`Movements.unreconciled`).
    """
    n_seg, n_months = len(book.segments), len(book.months)
    names = ("opening",) + tuple(KINDS) + ("closing",)
    cents = {k: np.zeros((n_seg, n_months), dtype=np.int64) for k in names}
    counts = {k: np.zeros((n_seg, n_months), dtype=np.int64) for k in names}
    for s, rows in enumerate(book.segment_slices()):
        for lo in range(rows.start, rows.stop, _CHUNK):
            chunk = slice(lo, min(lo + _CHUNK, rows.stop))
            for kind, (money, people) in _classify(book.cents[chunk], book.opening[chunk]).items():
                cents[kind][s] += money
                counts[kind][s] += people
    return Movements(book.source, book.currency, book.months, book.segments, cents, counts, book.notes)


def _classify(cur: np.ndarray, opening: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Movements of a block of customers: kind -> (cents per month, customers per month).

    ``cur`` (customers, months) int64 month-end MRR; ``opening`` (customers,) the month before.
    """
    prev = np.concatenate([opening[:, None], cur[:, :-1]], axis=1)
    paid_before = np.maximum.accumulate(prev > 0, axis=1)  # paid at some month end before this one
    delta = cur - prev
    up, down = delta > 0, delta < 0
    was, now = prev > 0, cur > 0
    masks = {
        "new": up & ~was & ~paid_before,
        "reactivation": up & ~was & paid_before,
        "expansion": up & was,
        "contraction": down & now,
        "churned": down & ~now,
    }
    out = {k: ((np.where(m, np.abs(delta), 0)).sum(axis=0), m.sum(axis=0)) for k, m in masks.items()}
    out["opening"] = (prev.sum(axis=0), was.sum(axis=0))
    out["closing"] = (cur.sum(axis=0), now.sum(axis=0))
    return out


def movements_text(mv: Movements, by_segment: bool = True) -> str:
    """The bridge as a terminal table, to the cent: one block per segment (or the company)."""
    heads = ("opening", "new", "expansion", "reactivation", "contraction", "churned", "closing")
    width = 13
    lines = [f"MRR movements from {mv.source} ({mv.currency}), {mv.months[0]} to {mv.months[-1]}"]
    groups = [(s, [i]) for i, s in enumerate(mv.segments)] if by_segment else [("all segments", list(range(len(mv.segments))))]
    for name, index in groups:
        lines += ["", f"  {name}", "    " + f"{'month':<8}" + "".join(f"{h:>{width}}" for h in heads)
                  + f"{'customers':>{width}}"]
        for m, month in enumerate(mv.months):
            cells = "".join(f"{int(mv.cents[h][index, m].sum()) / 100:>{width},.2f}" for h in heads)
            lines.append(f"    {str(month):<8}{cells}{int(mv.counts['closing'][index, m].sum()):>{width},}")
    bad = mv.unreconciled()
    lines += ["", "Reconciled: opening + new + expansion + reactivation - contraction - churned = closing, "
              "every month and segment." if not bad else f"NOT reconciled in {len(bad)} segment-months: {bad[:5]}"]
    lines += [f"Note: {n}" for n in mv.notes]
    return "\n".join(lines) + "\n"
