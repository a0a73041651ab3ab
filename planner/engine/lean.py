"""The lean engine: the operations of a geometric scenario, months-major, computing only what is kept.

A scenario is *geometric* when every segment is one the month loop a modeller would
write by hand: monthly contracts billed monthly and paid on invoice, constant churn and
constant expansion and contraction rates (so every cohort's per-unit trajectory is
geometric from age 1 on, :func:`planner.engine.revenue.geometric_tail`), no funnel, no
opening book from actuals, no process noise, and people on dated hires. For such a
scenario the full engine's deferred revenue is exactly zero, its billings equal its
revenue and everything invoiced is due in the month billed; its cohorts are layered by
the recursion :func:`~planner.engine.revenue.layer_geometric`.

The lean engine computes the series it is asked for with the full engine's formulas,
each cell from the same operands by the same operations (and the same NumPy kernels: a
power's exponent is an array, never one number, which NumPy would square at 2), and
leaves out what is exactly zero or not asked for (churn and expansion flows, deferred
revenue, the go-to-market series, receivables). So its numbers are the full engine's to
the bit (``tests/test_lean_engine.py``), only fewer of them, and sooner:

- its arrays are *months-major*, (months, paths): the month recursions (cohorts, the
  opening book, cash) step a contiguous row of every path per NumPy call; it hands out
  its series as (paths, months) views of them, which
  :func:`planner.simulation.simulate_plans` copies month by month into result arrays
  laid out by path, like the full engine's (sums over them then add in the same order);
- it runs on :func:`chunk_paths` paths at a time (several blocks of draws), so that a
  month's step is one call over thousands of paths rather than one per block;
- the temporaries of a chunk are slots of one allocation (:class:`Scratch`).
"""
from __future__ import annotations

import numpy as np

from planner.arrays import TILE_MONTHS, assign, month_tiles
from planner.engine.costs import commissions, department_rows, headcount, role_counts, segment_cogs
from planner.engine.financing import running_balance
from planner.engine.revenue import new_price, opening_slices
from planner.engine.retention import constant_survival, mrr_rates, per_starter
from planner.engine.sampling import BLOCK, Inputs
from planner.engine.totals import company_total
from planner.scenario.model import Scenario, Segment
from planner.scenario.spec import Param

#: cells (paths x months x segments) the lean engine works on at once: 16 blocks of a
#: one-segment five-year plan, arrays of 8 MB, a few of them per segment alive at a time
CHUNK_CELLS = 16 * BLOCK * 60


def chunk_paths(scenario: Scenario) -> int:
    """Paths the lean engine runs at once: whole blocks of draws, at least one."""
    cells = BLOCK * scenario.horizon * len(scenario.segments)
    return BLOCK * max(1, CHUNK_CELLS // cells)

#: segment series the lean engine computes, shape (paths, months, segments)
SEGMENT = frozenset(("customers", "new_customers", "mrr", "new_mrr", "revenue", "cogs",
                     "collections"))
#: company series it computes, shape (paths, months)
COMPANY = frozenset(("sm_expense", "rnd_expense", "cs_expense", "ga_expense", "bad_debt",
                     "headcount", "operating_cash_flow"))
#: financing series are computed by :func:`planner.engine.core.finance` from these
FINANCING = frozenset(("equity_raised", "debt_drawn", "debt_repaid", "interest", "debt_fees",
                       "debt_balance", "cash", "insolvent", "cash_if_funded", "equity_book"))


def applies(scenario: Scenario, wanted: set[str]) -> bool:
    """Whether the lean engine gives every series in ``wanted`` of ``scenario``."""
    return (not scenario.process_noise and scenario.horizon >= 3
            and wanted <= SEGMENT | COMPANY | FINANCING
            and all(role.driver is None for role in scenario.roles)
            and all(_geometric(segment) for segment in scenario.segments))


def _geometric(segment: Segment) -> bool:
    """Monthly terms and invoices paid when issued, constant rates, no funnel or actuals."""
    return (segment.funnel is None and segment.retention.model == "constant"
            and segment.term_months == 1 and segment.billing_months == 1
            and segment.mrr_curve is None and segment.opening_slices is None
            and _certain(segment.payment_terms_days, 0.0))


def operations(scenario: Scenario, inputs: Inputs, wanted: set[str],
               into: dict[str, np.ndarray] | None = None,
               totals_into: dict[str, np.ndarray] | None = None,
               cash_into: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """:func:`planner.engine.core.operations` of a geometric scenario (see :func:`applies`):
    the series in ``wanted`` and those cash and the funding plans are made of.

    ``into``: arrays, shape (paths, months, segments), that segment series are written
    into instead of new arrays. ``totals_into``: arrays, shape (paths, months), laid out
    by path, that the company totals of segment series are written into (the series
    themselves are returned too). ``cash_into``: (paths, months), laid out by path, where
    the cash of a plan with no money coming in is written (the opening cash plus the
    operating cash flow month by month, as :func:`~planner.engine.financing.apply_plan`
    adds them); the operating cash flow is then None unless it is wanted. All three are
    written in one pass over the months, a tile of months at a time, while the tile is
    in cache.

    Returns
    -------
    dict of ndarray
        ``mrr``, ``revenue`` and ``cogs`` (paths, months, segments) and the other
        segment series in ``wanted``; :data:`COMPANY` (paths or 1, months: one row when
        the same on every path; ``bad_debt`` and ``ga_expense`` only when they or
        ``equity_book`` are wanted); the openings ``opening_cash``,
        ``opening_deferred_revenue``, ``opening_receivables``, ``opening_pipeline``
        (paths,). The series are transposed views of months-major arrays.
    """
    into = {} if into is None else into
    horizon = inputs.horizon
    # a segment's new customers, collections and COGS
    scratch = Scratch(horizon + 1, inputs.paths, 3 * len(scenario.segments) + 1)
    per_segment = [_segment(segment, inputs, wanted, scratch) for segment in scenario.segments]
    # collections and COGS as whole arrays only when read: else a tile of months at a time
    for s in per_segment:
        if "collections" in wanted:
            s["collections"] = _collections(s, out=scratch.empty(s["revenue"].shape))
        if wanted & {"cogs", "equity_book"}:
            s["cogs"] = _cogs(s, out=scratch.empty(s["revenue"].shape))
    out = {name: _stack([s[name] for s in per_segment], into.get(name))
           for name in SEGMENT if name in wanted or name in ("mrr", "revenue")
           or (name == "cogs" and "equity_book" in wanted)}
    counts = role_counts(scenario, inputs, _no_driver, {})
    paid = [np.zeros((1, horizon)) if seg.commission is None else
            _commissions(seg, s["new_mrr"], inputs)
            for seg, s in zip(scenario.segments, per_segment)]
    # department_rows works on (paths, months): give it views, take its rows back months-major
    revenue = _total([s["revenue"] for s in per_segment])
    depts, _ = department_rows(scenario, inputs, counts, revenue.T,
                               [s["programme_spend"] for s in per_segment], paid)
    depts = {name: _months_major(row) for name, row in depts.items()}
    company = {"sm_expense": depts["sales"] + depts["marketing"], "rnd_expense": depts["rnd"],
               "cs_expense": depts["cs"]}
    if wanted & {"bad_debt", "ga_expense", "equity_book"}:  # a pass over every cell each: when read
        company["bad_debt"] = sum(s["revenue"] * s["bad_debt_rate"] for s in per_segment)
        company["ga_expense"] = depts["ga"] + company["bad_debt"]
    cash_opex = depts["sales"] + depts["marketing"] + depts["rnd"] + depts["cs"] + depts["ga"]
    out["opening_cash"] = inputs.full(inputs.value(scenario.opening_cash))[:, 0]
    flow = scratch.empty((horizon, inputs.paths)) \
        if cash_into is None or "operating_cash_flow" in wanted else None
    out["cash_finite"] = _by_month_tiles(per_segment, cash_opex, flow,
                                         {} if totals_into is None else totals_into,
                                         cash_into, out["opening_cash"])
    out |= {name: value.T for name, value in company.items()}
    out["operating_cash_flow"] = None if flow is None else flow.T
    out["headcount"] = headcount(counts, inputs)
    # nothing unearned or unpaid at the start: billed monthly, paid when billed
    for name in ("opening_deferred_revenue", "opening_receivables", "opening_pipeline"):
        out[name] = np.zeros(inputs.paths)
    return out


def _no_driver(of: str, segment: str | None) -> np.ndarray:  # pragma: no cover - guarded by applies
    raise AssertionError("the lean engine has no role sized by a driver")


def _months_major(array: np.ndarray) -> np.ndarray:
    """``array`` (rows, months) as (months, rows), contiguous when it has several of each."""
    out = array.T
    return out if min(out.shape) == 1 or out.flags.c_contiguous else np.ascontiguousarray(out)


def _full(array: np.ndarray, paths: int) -> np.ndarray:
    """A months-major ``array`` (months, paths or 1) with a column per path."""
    return array if array.shape[1] == paths else np.repeat(array, paths, axis=1)


def _row(value: np.ndarray) -> np.ndarray:
    """An input's value, (paths or 1, 1), as a months-major row (1, paths or 1)."""
    return value.T


def _stack(arrays: list[np.ndarray], out: np.ndarray | None) -> np.ndarray:
    """The segments' months-major arrays (months, paths) as one (paths, months, segments):
    written into ``out``; without it, of one segment a view, of several a months-major stack."""
    if out is None and len(arrays) == 1:
        return arrays[0].T[:, :, None]
    if out is None:
        paths, months = arrays[0].shape[1], arrays[0].shape[0]
        out = np.empty((len(arrays), months, paths)).transpose(2, 1, 0)
    for k, array in enumerate(arrays):
        assign(out[:, :, k], array.T)
    return out


def _total(terms: list[np.ndarray]) -> np.ndarray:
    """:func:`~planner.engine.totals.company_total` of the segments' series; of one segment
    the series itself (``0.0 + x`` is ``x`` to the bit for the non-negative ``x`` here)."""
    return terms[0] if len(terms) == 1 else company_total(terms)


def _commissions(segment: Segment, new_mrr: np.ndarray, inputs: Inputs) -> np.ndarray:
    """:func:`~planner.engine.costs.commissions` of a segment, (paths, months), block by
    block as the full engine computes it (its spread may be a BLAS product, whose last bits
    could depend on how many rows it is given)."""
    by_path = np.ascontiguousarray(new_mrr.T)
    return np.concatenate([
        commissions(segment.commission, by_path[first:first + BLOCK],
                    Inputs(inputs.scenario, inputs.draws[first:first + BLOCK]))
        for first in range(0, inputs.paths, BLOCK)])


def _segment(segment: Segment, inputs: Inputs, wanted: set[str], scratch: "Scratch") -> dict[str, np.ndarray]:
    """One geometric segment's series, months-major: shape (months, paths) each
    (programme spend: (paths or 1, months), as department_rows takes it).

    As :func:`planner.engine.revenue.segment_revenue` computes them: deferred revenue is
    zero, so billings are the revenue, all collected in the month billed (the full
    engine's additions of 0.0 to these non-negative numbers change no bit). Customers
    are layered only when kept or costed per customer.
    """
    paths = inputs.paths
    per_customer = not _certain(segment.cost_per_customer, 0.0)
    keys = ["customers", "mrr"] if "customers" in wanted or per_customer else ["mrr"]
    reuse = "customers" not in keys and "new_customers" not in wanted
    new_customers, new_mrr, spend = _new_business(segment, inputs, reuse, scratch)
    new_customers, new_mrr = _full(new_customers, paths), _full(new_mrr, paths)
    unit = _unit_profile(segment, inputs, keys)
    (start_age, customers, mrr), = opening_slices(segment, inputs)  # one slice: monthly terms
    book = OpeningBook(segment, start_age, inputs)
    out = {"new_mrr": new_mrr, "programme_spend": spend}
    if not reuse:  # else the same array as new_mrr
        out["new_customers"] = new_customers
    for key, new, opening in (("customers", new_customers, customers), ("mrr", new_mrr, mrr)):
        if key in keys:
            # new business is layered in its own array when nothing else reads it
            spare = f"new_{key}" not in wanted and (key == "customers" or segment.commission is None)
            out[key] = _layered(new, unit[key], book.adder(key, _row(opening)[0]), book.months,
                                in_place=spare)
    del new_customers  # fewer arrays alive at once: each is fresh memory
    out["revenue"] = out["mrr"]
    out["bad_debt_rate"] = bad_debt = _row(inputs.value(segment.bad_debt_rate))
    out["collected"] = 1.0 - bad_debt
    out["hosting"] = _row(inputs.value(segment.hosting_pct))
    # no cost per customer: the full engine adds 0.0 * customers, which changes no bit
    out["cost_per_customer"] = _row(inputs.value(segment.cost_per_customer)) if per_customer else None
    return out


def _unit_profile(segment: Segment, inputs: Inputs, keys: list[str]) -> dict[str, np.ndarray]:
    """:func:`~planner.engine.retention.trajectory` of a new cohort at ages 0, 1 and 2
    (a geometric profile is layered from them), months-major: (3, paths or 1) per key.

    The same functions on the same operands: survival is computed an age at a time on a
    row of every path (the power's exponent an array, as the full engine's is) rather
    than on (paths, 3), whose rows of three cost NumPy a loop each."""
    churn = _row(inputs.value(segment.retention.monthly_churn))  # (1, paths or 1)
    surv = np.concatenate([constant_survival(churn, np.full(churn.shape, float(age)))
                           for age in range(3)])
    surv = per_starter(surv, surv[:1])
    exp_rate, con_rate = mrr_rates(segment, np.arange(3), inputs)
    growth = 1.0 + exp_rate - con_rate
    per_customer = _months_major(np.cumprod(growth, axis=1) / growth[:, :1])
    return {"customers": surv, "mrr": surv * per_customer} if "customers" in keys else \
        {"mrr": surv * per_customer}


def _collections(s: dict, rows: slice = slice(None), out: np.ndarray | None = None) -> np.ndarray:
    """A segment's collections (``s``: :func:`_segment`'s series) in months ``rows``:
    what is billed less bad debt, paid when billed. With no bad debt the revenue itself
    (``x * 1.0`` is ``x`` to the bit), written into ``out`` if given, else a view."""
    if s["collected"].shape == (1, 1) and s["collected"][0, 0] == 1.0:
        if out is None:
            return s["revenue"][rows]
        out[...] = s["revenue"][rows]
        return out
    return np.multiply(s["revenue"][rows], s["collected"], out=out)


def _cogs(s: dict, rows: slice = slice(None), out: np.ndarray | None = None) -> np.ndarray:
    """A segment's COGS in months ``rows`` (``out`` used without a cost per customer)."""
    if s["cost_per_customer"] is None:
        return np.multiply(s["hosting"], s["revenue"][rows], out=out)
    return segment_cogs(s["hosting"], s["cost_per_customer"], s["revenue"][rows], s["customers"][rows])


def _by_month_tiles(per_segment: list[dict], cash_opex: np.ndarray, flow: np.ndarray | None,
                    totals_into: dict[str, np.ndarray], cash_into: np.ndarray | None,
                    opening_cash: np.ndarray) -> bool | None:
    """One pass over the months, a tile at a time (:func:`~planner.arrays.month_tiles`),
    so that what is made of a tile is made, read and dropped while it is in cache:

    - the company totals of segment series into ``totals_into`` (name: (paths, months),
      laid out by path), added as :func:`~planner.engine.totals.segment_total` adds them;
    - collections less COGS less the cash operating expense ``cash_opex`` (months,
      paths or 1), as the full engine subtracts them, into ``flow`` (months, paths), or
      a tile of its own when None; collections and COGS not made whole are made here;
    - cash (``cash_into``, (paths, months) laid out by path, unless None): the opening
      balance ``opening_cash`` (paths,) plus the flows month by month.

    Returns whether every cash balance is finite (None without ``cash_into``): checked
    on each tile while it is in cache.
    """
    months, paths = per_segment[0]["revenue"].shape
    totals = np.empty((TILE_MONTHS, paths))
    flows = np.empty((TILE_MONTHS, paths)) if flow is None else None
    balances = np.empty((TILE_MONTHS, paths))
    balance = opening_cash.astype(float)  # a copy
    finite = None if cash_into is None else True
    for first, stop in month_tiles(months):
        rows, n = slice(first, stop), stop - first
        for name, target in totals_into.items():
            target[:, rows] = company_total([s[name][rows] for s in per_segment], out=totals[:n]).T
        collections = _total([s["collections"][rows] if "collections" in s else _collections(s, rows)
                              for s in per_segment])
        cogs = _total([s["cogs"][rows] if "cogs" in s else _cogs(s, rows) for s in per_segment])
        tile = np.subtract(collections, cogs, out=flows[:n] if flow is None else flow[rows])
        np.subtract(tile, cash_opex[rows], out=tile)
        if cash_into is not None:
            balance = running_balance(balance, tile, balances)
            cash_into[:, rows] = balances[:n].T
            finite = finite and bool(np.isfinite(balances[:n]).all())
    return finite


class Scratch:
    """Months-major arrays of one chunk carved out of one allocation.

    Fresh memory costs its page faults on every call, and the C allocator gives big
    freed blocks back to the system when several are freed together; one block of all
    the chunk's temporaries is kept by it and reused by the next chunk and call.

    Parameters
    ----------
    rows, paths : int
        The largest array: (rows, paths).
    slots : int
        How many arrays the block holds (past them, new arrays).
    """

    def __init__(self, rows: int, paths: int, slots: int):
        self._block = np.empty((slots, rows, paths))
        self._taken = 0

    def empty(self, shape: tuple[int, ...]) -> np.ndarray:
        """An uninitialised array of ``shape``: a slot of the block if it fits one."""
        _, rows, paths = self._block.shape
        if len(shape) != 2 or shape[1] != paths or shape[0] > rows or self._taken == len(self._block):
            return np.empty(shape)
        self._taken += 1
        return self._block[self._taken - 1, :shape[0]]

    def multiply(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``a * b`` in a slot."""
        return np.multiply(a, b, out=self.empty(np.broadcast_shapes(a.shape, b.shape)))

    def divide(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``a / b`` in a slot."""
        return np.divide(a, b, out=self.empty(np.broadcast_shapes(a.shape, b.shape)))


def _scaled(array: np.ndarray, by: np.ndarray) -> np.ndarray:
    """``array * by``, written over ``array`` when it has the product's shape (``array``
    is not read again)."""
    fits = np.broadcast_shapes(array.shape, by.shape) == array.shape
    return np.multiply(array, by, out=array if fits else None)


def _new_business(segment: Segment, inputs: Inputs, reuse: bool, scratch: "Scratch"
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`~planner.engine.revenue.new_business` of a segment without a funnel:
    new customers and their MRR months-major (months, paths or 1), and the programme
    spend (paths or 1, months). ``reuse``: the MRR may be written over the customers
    (nobody reads them)."""
    price = new_price(segment, inputs)
    if segment.marketing_budget is not None:
        spend, cac = inputs.series(segment.marketing_budget), _row(inputs.value(segment.cac))
        if spend.shape[0] == 1 and price.shape[0] == 1 and cac.shape[1] > 1:
            return (*_bought_by_runs(spend[0], price[0], cac[0], reuse, scratch), spend)
        customers = scratch.divide(_months_major(spend), cac)
    else:
        spend = np.zeros((1, inputs.horizon))
        customers = _months_major(inputs.series(segment.new_customers))
    price = _months_major(price)
    return customers, (_scaled(customers, price) if reuse else customers * price), spend


def _bought_by_runs(spend: np.ndarray, price: np.ndarray, cac: np.ndarray, reuse: bool,
                    scratch: "Scratch") -> tuple[np.ndarray, np.ndarray]:
    """New customers ``spend / cac`` and their MRR ``customers * price``, months-major
    (months, paths), of a budget and a price the same on every path (months,) and a CAC
    per path (paths,): computed for the first month of each run of months in which the
    budget and the price keep the same bits, and copied to the run's other months (the
    same operands give the same quotient and product, so the same numbers as every cell
    computed; a division costs several multiplications). ``reuse``: the MRR written
    over the customers."""
    months = spend.shape[0]
    customers = scratch.empty((months, cac.shape[0]))
    mrr = customers if reuse else np.empty_like(customers)
    for first, stop in _runs(spend, price):
        np.divide(spend[first], cac, out=customers[first])
        np.multiply(customers[first], price[first], out=mrr[first])
        if reuse:
            mrr[first + 1:stop] = mrr[first]
        else:
            customers[first + 1:stop] = customers[first]
            mrr[first + 1:stop] = mrr[first]
    return customers, mrr


def _runs(*rows: np.ndarray) -> list[tuple[int, int]]:
    """``(first, stop)`` of each run of months in which every row (months,) keeps its bits
    (compared as bits: 0.0 and -0.0 differ, a NaN equals itself)."""
    months = rows[0].shape[0]
    changes = np.zeros(months, dtype=bool)
    changes[0] = True
    for row in rows:
        bits = np.ascontiguousarray(row, dtype=float).view(np.uint64)
        changes[1:] |= bits[1:] != bits[:-1]
    firsts = np.flatnonzero(changes)
    return list(zip(firsts.tolist(), np.append(firsts[1:], months).tolist()))


#: cells (months x paths) of the opening book computed at once: a few months of every
#: path, so that its temporaries stay in a core's cache and its NumPy calls are few
BOOK_CELLS = 1 << 16


class OpeningBook:
    """The opening book of a geometric segment a few months at a time: what
    :func:`~planner.engine.retention.trajectory` gives it at its ages (survival
    ``(1 - churn) ** age`` relative to the first age, times the MRR per customer), for
    :data:`BOOK_CELLS` cells at a time, so that no (months, paths) array of it is made.

    Parameters
    ----------
    segment : Segment
    start_age : int
        Its age the month before the start.
    inputs : Inputs
    """

    def __init__(self, segment: Segment, start_age: int, inputs: Inputs):
        churn = _row(inputs.value(segment.retention.monthly_churn))[0]  # (paths or 1,)
        paths = inputs.paths
        self._base, self._gone = 1.0 - churn, np.broadcast_to(churn >= 1.0, (paths,))
        self._any_gone = bool(self._gone.any())
        ages = np.arange(start_age, start_age + inputs.horizon + 1)
        self._ages = ages.astype(float)
        #: months computed at once
        self.months = max(1, min(inputs.horizon, BOOK_CELLS // paths))
        # the ages as arrays of every path: with one number as exponent NumPy squares
        # where age is 2 instead of calling its power function, as the full engine does
        self._exponent = np.empty((self.months, paths))
        self._first = self._survival(0, 1, np.empty((1, paths)))[0]
        self._starts = self._first > 0
        self._all_start = bool(self._starts.all())
        self._term = np.empty((self.months, paths))
        exp_rate, con_rate = mrr_rates(segment, ages, inputs)
        growth = 1.0 + exp_rate - con_rate
        self._per_customer = _months_major(np.cumprod(growth, axis=1) / growth[:, :1])

    def _survival(self, first: int, stop: int, out: np.ndarray) -> np.ndarray:
        """:func:`~planner.engine.retention.constant_survival` at age indices
        ``first..stop-1``, into ``out`` (stop - first, paths)."""
        exponent = self._exponent[:stop - first]
        for row, age in zip(exponent, self._ages[first:stop]):
            row.fill(age)
        np.power(self._base, exponent, out=out)
        if self._any_gone:  # everyone leaves in their first month: alive only at age 0
            out[:, self._gone] = (self._ages[first:stop, None] == 0).astype(float)
        return out

    def adder(self, key: str, opening: np.ndarray):
        """``add(t, rows)``: adds to ``rows`` (months, paths) the book's ``key``
        (``customers`` or ``mrr``) at months ``t..t+months-1``, for ``opening`` of it at
        the start (paths or 1,)."""
        def add(t: int, rows: np.ndarray) -> None:
            term = self._survival(t + 1, t + 1 + rows.shape[0], self._term[:rows.shape[0]])
            # retention.per_starter, cell by cell
            if self._all_start:
                term /= self._first
            else:
                np.divide(term, self._first, out=term, where=self._starts)
                term[:, ~self._starts] = 0.0
            if key == "mrr":
                term *= self._per_customer[t + 1:t + 1 + rows.shape[0]]
            term *= opening
            rows += term
        return add


def _layered(new: np.ndarray, profile: np.ndarray, add_book, book_months: int,
             in_place: bool = False) -> np.ndarray:
    """The cohorts of ``new`` (months, paths) on the geometric ``profile`` (3 ages,
    paths or 1), months-major: :func:`~planner.engine.revenue.layer_geometric`'s recursion
    (written over ``new`` if ``in_place`` and the profile starts at 1), plus the opening
    book (``add_book(t, rows)``, :meth:`OpeningBook.adder`) added to ``book_months``
    months at a time after their cohorts."""
    head, scale, second = profile
    ratio = np.divide(second, scale, out=np.zeros_like(scale), where=scale != 0)
    # the cohort of the month; a unit profile starts at 1 (x / x), and 1.0 * x is x
    if np.all(head == 1.0):
        out = new if in_place else new.copy()
    else:  # not over new: the recursion reads the cohorts as won
        out = np.multiply(head, new)
    months = new.shape[0]
    stock, carried = np.zeros(new.shape[1]), np.empty(new.shape[1])
    for t in range(months):  # four operations a month, in place
        np.multiply(scale, stock, out=carried)  # the earlier cohorts' units this month
        stock *= ratio
        stock += new[t]  # before out[t] changes: it may be the same row
        out[t] += carried
        if (t + 1) % book_months == 0 or t + 1 == months:  # the book on the months done
            first = t - t % book_months
            add_book(first, out[first:t + 1])
    return out


def _certain(value, number: float) -> bool:
    return not isinstance(value, Param) and float(value) == number
