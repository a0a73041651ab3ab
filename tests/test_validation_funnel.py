"""Bad funnel, team and driver input: every problem located and explained, all at once."""
from __future__ import annotations

import pytest

import planner
from planner import ScenarioError

BASE = """name: f
start: 2027-01
horizon_months: 12
opening: {cash: 1}
segments:
  mm:
    price: {arpa: 10}
    acquisition:
      funnel:
        leads: {inbound: 100}
        stages:
          mql: {rate: 0.3}
          sql: {rate: 0.2}
          opportunity: {rate: 0.5}
          won: {rate: 0.3}
        speed_to_lead: {sdr_role: SDR, leads_per_sdr: 200}
        sales_capacity: {ae_role: AE, quota_deals_per_month: 2}
    retention: {model: constant, monthly_churn: 0.02}
  smb:
    price: {arpa: 10}
    acquisition: {new_customers: 1}
    retention: {model: constant, monthly_churn: 0.02}
costs:
  headcount:
    - {role: SDR, department: sales, salary: 1, start: 1}
    - {role: AE, department: sales, salary: 1, start: 1}
"""


def problems(text):
    with pytest.raises(ScenarioError) as info:
        planner.parse_scenario(text, "f.yaml")
    return [str(p) for p in info.value.problems]


def test_the_base_is_valid():
    sc = planner.parse_scenario(BASE, "f.yaml")
    assert sc.segments[0].funnel.speed.sdr_role == "SDR"
    assert sc.role("SDR").segment == "mm" and sc.role("AE").segment == "mm"


@pytest.mark.parametrize("old, new, expected", [
    pytest.param("        stages:\n", "        qualification: bant\n        stages:\n",
                 ["f.yaml:14: segments.mm.acquisition.funnel.stages.sql.rate: is set by qualification; "
                  "give one or the other",
                  "f.yaml:16: segments.mm.acquisition.funnel.stages.won.rate: is set by qualification; "
                  "give one or the other"], id="qualification-and-rates"),
    pytest.param("          won: {rate: 0.3}\n", "",
                 ["f.yaml:11: segments.mm.acquisition.funnel.stages.won.rate: is required when the funnel "
                  "has leads (or set qualification)"], id="missing-win-rate"),
    pytest.param("sdr_role: SDR,", "sdr_role: SDRs,",
                 ["f.yaml:16: segments.mm.acquisition.funnel.speed_to_lead.sdr_role: no headcount role "
                  "named 'SDRs'; did you mean 'SDR'?"], id="unknown-sdr-role"),
    pytest.param("{sdr_role: SDR, leads_per_sdr: 200}", "{sdr_role: SDR}",
                 ["f.yaml:16: segments.mm.acquisition.funnel.speed_to_lead.leads_per_sdr: is required "
                  "with sdr_role (leads one SDR contacts a month)"], id="sdr-without-capacity"),
    pytest.param("{sdr_role: SDR, leads_per_sdr: 200}", "{base_minutes: 3}",
                 ["f.yaml:16: segments.mm.acquisition.funnel.speed_to_lead: needs response_minutes, or "
                  "sdr_role and leads_per_sdr (missing sdr_role and leads_per_sdr)"], id="no-response-time"),
    pytest.param("{ae_role: AE, quota_deals_per_month: 2}", "{ae_role: AE}",
                 ["f.yaml:17: segments.mm.acquisition.funnel.sales_capacity: needs exactly one of "
                  "quota_deals_per_month, quota_new_arr_per_month (got none)"], id="no-quota"),
    pytest.param("leads: {inbound: 100}", "leads: {}",
                 ["f.yaml:9: segments.mm.acquisition.funnel: needs leads (paid or inbound) or "
                  "self_serve trials"], id="nothing-to-win-from"),
    pytest.param("{role: AE, department: sales, salary: 1, start: 1}",
                 "{role: AE, department: sales, salary: 1, driver: {of: wins, segment: mm, per: 5}}",
                 ["f.yaml:17: segments.mm.acquisition.funnel.sales_capacity.ae_role: the AE role 'AE' "
                  "must be driven by this segment's leads or mqls or sqls or opportunities (it is driven "
                  "by wins of mm, which depends on the team itself)"], id="ae-driven-by-its-own-wins"),
    pytest.param("{role: SDR, department: sales, salary: 1, start: 1}",
                 "{role: SDR, department: sales, salary: 1, start: 2, driver: {of: leads, segment: mm, per: 50}}",
                 ["f.yaml:25: costs.headcount[0].driver: a driven role's size comes from its driver: "
                  "remove start and hires (use minimum for a floor)"], id="driver-and-start"),
    pytest.param("{role: AE, department: sales, salary: 1, start: 1}",
                 "{role: AE, department: sales, salary: 1, driver: {of: leads, segment: smb, per: 5}}",
                 ["f.yaml:17: segments.mm.acquisition.funnel.sales_capacity.ae_role: the AE role 'AE' "
                  "must be driven by this segment's leads or mqls or sqls or opportunities (it is driven "
                  "by leads of smb)",
                  "f.yaml:26: costs.headcount[1].driver.of: segment 'smb' has no funnel, so there are no "
                  "leads to follow"], id="driver-without-funnel"),
    pytest.param("{role: SDR, department: sales, salary: 1, start: 1}",
                 "{role: SDR, department: sales, salary: 1, start: 1, segment: smb}",
                 ["f.yaml:16: segments.mm.acquisition.funnel.speed_to_lead.sdr_role: role 'SDR' works "
                  "for segment 'smb', not 'mm'"], id="team-of-another-segment"),
    pytest.param("{role: AE, department: sales, salary: 1, start: 1}",
                 "{role: SDR, department: sales, salary: 1, start: 1}",
                 ["f.yaml:17: segments.mm.acquisition.funnel.sales_capacity.ae_role: no headcount role "
                  "named 'AE'; roles are SDR",
                  "f.yaml:26: costs.headcount[1].role: another role is already called 'SDR'; role names "
                  "must differ"], id="duplicate-role"),
    pytest.param("{sdr_role: SDR, leads_per_sdr: 200}", "{response_minutes: 2}",
                 ["f.yaml:16: segments.mm.acquisition.funnel.speed_to_lead.measured_at_minutes: is "
                  "required when the response time is set directly: the response time at which the "
                  "stage's rate was measured"], id="direct-response-without-reference"),
    pytest.param("leads_per_sdr: 200}", "leads_per_sdr: 200, base_minutes: 30, overflow_minutes: 10}",
                 ["f.yaml:16: segments.mm.acquisition.funnel.speed_to_lead.overflow_minutes: must not be "
                  "shorter than base_minutes (30): leads beyond SDR capacity wait longer (got 10)"],
                 id="overflow-before-base"),
    pytest.param("{role: AE, department: sales,", "{role: AE, department: rnd,",
                 ["f.yaml:17: segments.mm.acquisition.funnel.sales_capacity.ae_role: the AE role 'AE' is "
                  "in rnd; a sales team belongs in sales or marketing (its cost is part of CAC)"],
                 id="team-outside-sales"),
    pytest.param("        speed_to_lead:", "        sales_cycle: {weights: {2: -1, 3: 2}}\n        speed_to_lead:",
                 ["f.yaml:16: segments.mm.acquisition.funnel.sales_cycle.weights[2]: must be >= 0 (got -1)"],
                 id="negative-cycle-weight"),
    pytest.param("leads_per_sdr: 200}", "leads_per_sdr: 200, curve: {5: 0, 10: 1}}",
                 ["f.yaml:16: segments.mm.acquisition.funnel.speed_to_lead.curve[5]: must be > 0 (got 0)"],
                 id="zero-on-the-curve"),
    pytest.param("        leads: {inbound: 100}\n", "        self_serve: {trials: 100, conversion: 0.1}\n",
                 ["f.yaml:11: segments.mm.acquisition.funnel.stages: applies only to a funnel with leads "
                  "(this one has only self-serve trials)",
                  "f.yaml:16: segments.mm.acquisition.funnel.speed_to_lead: applies only to a funnel with "
                  "leads (this one has only self-serve trials)",
                  "f.yaml:17: segments.mm.acquisition.funnel.sales_capacity: applies only to a funnel with "
                  "leads (this one has only self-serve trials)"], id="sales-stages-without-leads"),
])
def test_bad_funnel_input(old, new, expected):
    assert old in BASE
    got = problems(BASE.replace(old, new, 1))
    assert got == expected


def test_all_problems_at_once():
    text = BASE.replace("sdr_role: SDR,", "sdr_role: SDRs,").replace("quota_deals_per_month: 2", "quota_deals_per_month: -2") \
        .replace("won: {rate: 0.3}", "won: {rate: 1.3}")
    got = problems(text)
    assert len(got) == 3
    assert [g.split(":")[1] for g in got] == ["15", "16", "17"]


def test_a_team_can_serve_only_one_segment():
    text = BASE.replace("""  smb:
    price: {arpa: 10}
    acquisition: {new_customers: 1}""", """  smb:
    price: {arpa: 10}
    acquisition:
      funnel:
        leads: {inbound: 10}
        stages: {mql: {rate: 0.3}, sql: {rate: 0.2}, opportunity: {rate: 0.5}, won: {rate: 0.3}}
        sales_capacity: {ae_role: AE, quota_deals_per_month: 2}""")
    got = problems(text)
    assert any("role 'AE' already works for segment 'mm'; give each segment its own team" in g for g in got), got
