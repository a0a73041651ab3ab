"""The funnel in charts, the report and the workbook; headcount from simulated roles.

Drawn and written for the bundled bottom-up example (scenarios/bottom_up_funnel.yaml: a
self-serve SMB segment, a mid-market funnel with SDR-driven speed to lead and AE
capacity, an enterprise funnel with AE capacity; SDR and customer-success teams sized by
drivers). Numbers on the charts and in the tables are checked against quantiles computed
here directly from the simulated series.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import planner
from planner.charts import available_charts, draw_chart, figure_bytes, plot_funnel, plot_headcount, write_standard_charts
from planner.charts.costs import department_headcount
from planner.charts.funnel import first_and_last_year, plan_years
from planner.errors import PlannerError
from planner.analysis.funnel import funnel_summary
from planner.report import render_html, report_warnings
from planner.report.summary import RUN_SERIES, summarise
from test_report import CHROMIUM, open_in_chromium

ROOT = Path(__file__).resolve().parent.parent
BOTTOM_UP = ROOT / "scenarios" / "bottom_up_funnel.yaml"
STAGE_LABELS = ["Leads", "MQLs", "SQLs", "Opportunities", "Wins (sales-led)", "Trials", "Self-serve wins"]


@pytest.fixture(scope="module")
def result():
    return planner.simulate(planner.load_scenario(BOTTOM_UP), paths=300, seed=7)


@pytest.fixture(scope="module")
def report_html(result):
    return render_html(result, generated="2030-01-01")


def _title(ax) -> str:
    return " ".join(ax.get_title(loc="left").split())      # titles wrap to narrow panels


def _subtitle(ax) -> str:
    return " ".join(next(t.get_text() for t in ax.texts if t.get_gid() == "subtitle").split())


def _legend(ax) -> list[str]:
    legend = ax.get_legend()
    return [" ".join(t.get_text().split()) for t in legend.get_texts()] if legend else []


def _year_total(result, name: str, year: int, segments=("smb", "midmarket", "enterprise")) -> np.ndarray:
    """Per-path total of ``name`` over plan year ``year`` (0-based), added over ``segments``."""
    return sum(result.segment(name, s)[:, 12 * year:12 * year + 12].sum(axis=1) for s in segments)


def test_plan_years():
    months = np.arange("2027-01", "2029-07", dtype="datetime64[M]")
    assert plan_years(months) == [("FY2027", 0, 11), ("FY2028", 12, 23), ("FY2029 (6 months)", 24, 29)]
    assert first_and_last_year(months) == [("FY2027", 0, 11), ("FY2029 (6 months)", 24, 29)]
    assert first_and_last_year(months[3:27]) == [("FY2028", 0, 11), ("FY2029", 12, 23)]
    assert plan_years(months[:7]) == first_and_last_year(months[:7]) == [("FY2027 (7 months)", 0, 6)]


def test_funnel_chart_has_years_months_and_capacity(result):
    axes = plot_funnel(result)
    png = figure_bytes(axes, "png")
    from PIL import Image
    assert Image.open(io.BytesIO(png)).size == (2000, 1125)                 # every chart: 10 x 5.625 in at 200 dpi
    left, middle, right = axes
    assert [_title(ax) for ax in axes] == ["Funnel in FY2027 and FY2031", "Volume by stage, per month", "AE capacity used"]
    assert "bottom-up-funnel" in _subtitle(left) and "300 paths, seed 7" in _subtitle(left)

    # left: two bars per stage (2027, 2031), P50 of the year's total, the share of the stage above
    assert [t.get_text() for t in left.get_yticklabels()] == STAGE_LABELS
    assert _legend(left) == ["FY2027", "FY2031"]
    assert len(left.patches) == 2 * len(STAGE_LABELS)
    widths = [p.get_width() for p in left.patches]
    leads_2031 = _year_total(result, "leads", 4)
    assert widths[1] == pytest.approx(np.median(leads_2031))
    wins_2031, opps_2031 = _year_total(result, "wins", 4), _year_total(result, "opportunities", 4)
    assert widths[9] == pytest.approx(np.median(wins_2031))
    values = [t.get_text() for t in left.texts if t.get_gid() == "value"]
    assert len(values) == 2 * len(STAGE_LABELS) and "(" not in values[0]          # leads: nothing above
    share = np.median(wins_2031 / opps_2031)
    assert values[9].endswith(f"({share:.0%})")
    trial_share = np.median(_year_total(result, "trial_wins", 4) / _year_total(result, "trials", 4))
    assert values[13].endswith(f"({trial_share:.1%})")                          # below 10%: one decimal

    # middle: P50 monthly volume of each stage on a log axis
    assert middle.get_yscale() == "log"
    assert _legend(middle) == STAGE_LABELS
    wins = next(line for line in middle.lines if line.get_label() == "Wins (sales-led)")
    total_wins = sum(result.segment("wins", s) for s in result.segments)
    np.testing.assert_allclose(wins.get_ydata(), np.median(total_wins, axis=0))

    # right: deals won / AE capacity for the two segments with sales capacity, and the 100% line
    labels = _legend(right)
    assert labels[0].startswith("midmarket: at capacity in 2031-12 on") and labels[1].startswith("enterprise:")
    assert labels[2] == "100%: ready deals wait or are lost"
    used = result.segment("wins", "midmarket") / result.segment("ae_capacity", "midmarket")
    np.testing.assert_allclose(right.lines[0].get_ydata(), np.median(used, axis=0))
    share_full = np.mean(used[:, -1] >= 0.995)
    assert f"on {share_full:.0%} of paths" in labels[0]
    assert right.get_ylim() == (0, 1.12)


def test_funnel_chart_of_one_segment(result):
    axes = plot_funnel(result, segment="smb")                               # self-serve only, no AEs
    assert len(axes) == 2
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["Trials", "Self-serve wins"]
    assert "segment smb" in _subtitle(axes[1])
    axes = plot_funnel(result, segment="enterprise")
    assert [t.get_text() for t in axes[0].get_yticklabels()] == STAGE_LABELS[:5]
    assert _legend(axes[2])[0].startswith("enterprise:")
    with pytest.raises(PlannerError, match="no segment named 'retail'"):
        plot_funnel(result, segment="retail")


def test_segment_without_a_funnel_is_named(tmp_path):
    text = BOTTOM_UP.read_text().replace(
        "      funnel:\n        self_serve:\n          trials: {start: 450, annual_growth: 0.2}\n"
        "          conversion: 0.035 to 0.06        # 90% interval: a trial becomes a paying customer\n"
        "          months: 1                        # 14-day trial, decided the month after\n",
        "      new_customers: 20\n")
    assert "new_customers: 20" in text
    path = tmp_path / "mixed.yaml"
    path.write_text(text)
    mixed = planner.simulate(planner.load_scenario(path), paths=50, seed=1)
    with pytest.raises(PlannerError, match="segment 'smb' has no funnel"):
        plot_funnel(mixed, segment="smb")
    left = plot_funnel(mixed)[0]
    # the company funnel adds up the funnel segments only: smb's 20 new customers a month are not deals won
    deals = _year_total(mixed, "wins", 0, ("midmarket", "enterprise"))
    assert left.patches[8].get_width() == pytest.approx(np.median(deals))
    assert "Trials" not in [t.get_text() for t in left.get_yticklabels()]


def test_standard_charts_include_the_funnel(result, tmp_path):
    assert "funnel" in available_charts(result) and "headcount" in available_charts(result)
    files = write_standard_charts(result, tmp_path, kinds=["funnel", "headcount"])
    assert [f.name for f in files] == ["funnel.png", "headcount.png"]
    run = planner.simulate(result.scenario, paths=50, seed=7, keep=RUN_SERIES, by_segment=False)
    assert {"funnel", "headcount"}.isdisjoint(available_charts(run))      # driven roles need role_headcount
    with pytest.raises(PlannerError, match="needs series this result does not keep: role_headcount"):
        draw_chart("headcount", run)
    with pytest.raises(PlannerError, match="chart 'funnel' needs series"):
        draw_chart("funnel", run)


def test_headcount_from_simulated_roles(result):
    sc = result.scenario
    roles = result.by_role["role_headcount"]
    cs = [r.role for r in sc.roles].index("Customer Success")
    assert np.ptp(roles[:, -1, cs]) > 0                                     # driven: differs by path
    counts = department_headcount(result)
    sales = [i for i, r in enumerate(sc.roles) if r.department == "sales"]
    np.testing.assert_allclose(counts["sales"], np.median(roles[:, :, sales].sum(axis=2), axis=0))
    with pytest.raises(PlannerError, match="driver have no dated plan"):
        department_headcount(sc)
    ax = plot_headcount(result)
    assert _title(ax) == "Headcount by department (P50)"
    assert "P50 across paths" in _subtitle(ax) and "300 paths, seed 7" in _subtitle(ax)
    note = next(t.get_text() for t in ax.texts if t.get_gid() == "note")
    assert "SDR mid-market" in note and "Customer Success" in note
    tops = np.array([p.get_y() + p.get_height() for p in ax.patches[-len(result.months):]])
    np.testing.assert_allclose(tops, sum(counts.values()))


def test_report_has_the_funnel_section(result, report_html):
    html = report_html
    assert '<h2 id="funnel">Go-to-market funnel</h2>' in html and '<a href="#funnel">Funnel</a>' in html
    assert 'id="chart-funnel"' in html
    section = html[html.index('<h2 id="funnel">'):html.index('<h2 id="assumptions">')]
    assert [m for m in re.findall(r"<h3>Segment (\w+)</h3>", section)] == ["smb", "midmarket", "enterprise"]
    mid = section[section.index("<h3>Segment midmarket</h3>"):section.index("<h3>Segment enterprise</h3>")]
    leads = _year_total(result, "leads", 4, ("midmarket",))
    p10, p50, p90 = np.quantile(leads, (0.1, 0.5, 0.9))
    assert f"{p50:,.0f} [{p10:,.0f} .. {p90:,.0f}]" in mid
    share = np.median(_year_total(result, "mqls", 0, ("midmarket",)) / _year_total(result, "leads", 0, ("midmarket",)))
    assert f"{100 * share:.1f}% of leads" in mid
    for label in ("Wins (sales-led)", "Response to a new lead, minutes", "SDR capacity / arrivals",
                  "AE capacity used", "Open pipeline at year end", "CAC (fully loaded)"):
        assert label in mid
    used = np.median(_year_total(result, "wins", 4, ("midmarket",)) / _year_total(result, "ae_capacity", 4, ("midmarket",)))
    assert f"{100 * used:.1f}% [" in mid
    cac = np.median(_year_total(result, "acquisition_cost", 0, ("midmarket",))
                    / _year_total(result, "new_customers", 0, ("midmarket",)))
    assert planner.format.money(cac, "USD") + " [" in mid
    smb = section[section.index("<h3>Segment smb</h3>"):section.index("<h3>Segment midmarket</h3>")]
    assert "Trials" in smb and "Leads" not in smb and "AE capacity" not in smb
    assert "no go-to-market funnel" not in html


def test_capacity_warning(result):
    warnings = report_warnings(result, summarise(result), None)
    assert not any("account executives use" in w for w in warnings)        # midmarket below 95% at the P50
    tight = planner.load_scenario(BOTTOM_UP, ["segments.midmarket.acquisition.funnel.sales_capacity.attainment=0.3"])
    squeezed = planner.simulate(tight, paths=100, seed=7)
    warnings = report_warnings(squeezed, summarise(squeezed), None)
    assert any(w.startswith("Segment midmarket: account executives use 100% of their capacity in FY2031 (P50); "
                            "ready deals beyond it wait for a free AE") for w in warnings)


def test_workbook_funnel_sheets(result):
    from planner.report.workbook import build_workbook

    comparison = planner.compare(result.scenario, paths=50, seed=7)
    wb = build_workbook(result, comparison=comparison)
    assert wb.sheetnames[10:13] == ["Segments", "Funnel", "Funnel by year"]
    sheet = wb["Funnel"]
    header = [c.value for c in sheet[1]]
    assert header[0] == "Month" and "Leads P50, smb" not in header and "Trials P50, smb" in header
    assert sheet.freeze_panes == "B2" and sheet.max_row == 1 + len(result.months)
    col = header.index("Leads P50, midmarket") + 1
    assert sheet.cell(row=2 + 30, column=col).value == pytest.approx(np.median(result.segment("leads", "midmarket")[:, 30]))
    assert sheet.cell(row=2, column=col).number_format == "#,##0.0"
    col = header.index("CAC P50, enterprise") + 1
    cac = result.segment("cac", "enterprise")
    month = int(np.argmax(np.isnan(cac).any(axis=0))) if np.isnan(cac).any() else 0
    assert sheet.cell(row=2 + month, column=col).value == pytest.approx(np.nanmedian(cac[:, month]))
    assert sheet.cell(row=2, column=col).number_format.startswith('"$"#,##0')
    by_year = list(wb["Funnel by year"].iter_rows(values_only=True))
    assert by_year[0][:5] == ("Segment", "Metric", "FY2027 P10", "FY2027 P50", "FY2027 P90")
    won = next(r for r in by_year if r[:2] == ("midmarket", "Wins (sales-led)"))
    wins, opps = _year_total(result, "wins", 4, ("midmarket",)), _year_total(result, "opportunities", 4, ("midmarket",))
    assert won[6] == pytest.approx(np.median(wins)) and won[9] == pytest.approx(np.median(wins / opps))
    printed = funnel_summary(result)["segments"]["midmarket"][-1]          # what planner run prints
    assert won[5:8] == pytest.approx([printed["wins"][k] for k in ("p10", "p50", "p90")])


def test_chart_command_draws_the_funnel(tmp_path):
    from planner.cli import main

    res = CliRunner().invoke(main, ["chart", str(BOTTOM_UP), "--paths", "40", "--out", str(tmp_path),
                                    "--kind", "funnel"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "funnel.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install -y chromium)")
def test_funnel_report_renders_in_chromium(report_html, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(report_html, encoding="utf-8")
    check, errors = open_in_chromium(path, tmp_path)
    assert errors == []
    assert check["images"] == 11 and check["loaded"] == 11                  # 8 standard charts + the funnel
    #                                                                         + tornado and Sobol


def test_every_funnel_input_is_in_the_assumptions():
    from planner.report.assumptions import assumption_rows

    sc = planner.load_scenario(ROOT / "tests" / "scenarios" / "funnel_full.yaml")
    rows = assumption_rows(sc)
    names = {(r.section, r.name) for r in rows}
    assert ("Segment midmarket", "cost per lead") in names
    assert ("Segment enterprise", "sales cycle (months: share)") in names
    assert ("Segment midmarket", "quota per AE, new ARR per month") in names
    assert ("Segment midmarket", "commission (share of first-year ACV)") in names
    sdr = next(r for r in rows if r.section.startswith("Headcount: SDR mid-market") and r.name == "sized by a driver")
    assert sdr.text("USD") == "1 per 240 leads of midmarket, rounded up; hiring lag 2 months; at least 1"
    # every uncertain input appears under its own name, none only as a raw key path
    assert not any(r.section.startswith("Other") for r in rows)
