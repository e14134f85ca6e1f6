"""The run store's tables behind the supervisor report and the collection plans.

Declared on the run store's ``MetaData``; built by the Alembic revision ``0007_supervision``.

- ``snapshots``: the AR measures of each run on its as-of date (:func:`arsync.jobs.engine.
  portfolio.position`), per scope (``""`` = the team, else a collector) and currency — the
  trend over the last runs is read from here.
- ``stage_history``: when each open item was first seen at each portal status (the status
  date the portal showed), kept from run to run: what the payment-date estimate learns the
  stage durations from.
- ``plans`` / ``plan_items``: a collection plan (week or month) and every item expected in it;
  ``plan_actuals``: per collector, customer and currency what was planned, what was expected
  (weighted by its probability) and what was collected, brought up to date by each later run.
"""

from __future__ import annotations

import sqlalchemy as sa

from arsync.jobs.pipeline.storemeta import meta

snapshots = sa.Table(
    "snapshots",
    meta,
    sa.Column("run_id", sa.String(40), sa.ForeignKey("runs.run_id"), primary_key=True),
    sa.Column("scope", sa.String(80), primary_key=True),  # "" = the team, else a collector
    sa.Column("currency", sa.String(5), primary_key=True),
    sa.Column("measure", sa.String(40), primary_key=True),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("value", sa.Float, nullable=False),  # money in minor units, days, percent
)

stage_history = sa.Table(
    "stage_history",
    meta,
    sa.Column("company_code", sa.String(4), primary_key=True),
    sa.Column("fiscal_year", sa.String(4), primary_key=True),
    sa.Column("document_no", sa.String(10), primary_key=True),
    sa.Column("line_item", sa.String(3), primary_key=True),
    sa.Column("status", sa.String(14), primary_key=True),
    sa.Column("customer", sa.String(10), nullable=False),
    sa.Column("entered", sa.Date, nullable=False),
    sa.Column("first_run", sa.String(40), nullable=False),
)

plans = sa.Table(
    "plans",
    meta,
    sa.Column("plan_id", sa.String(60), primary_key=True),  # week-2026-11-23 / month-2026-11-23
    sa.Column("kind", sa.String(8), nullable=False),  # week | month
    sa.Column("period_start", sa.Date, nullable=False),  # first day in the plan
    sa.Column("period_end", sa.Date, nullable=False),  # last day in the plan
    sa.Column("as_of", sa.Date, nullable=False),  # the data it was made from
    sa.Column("run_id", sa.String(40)),  # the run whose frames it used
    sa.Column("made_at", sa.DateTime, nullable=False),
)

plan_items = sa.Table(
    "plan_items",
    meta,
    sa.Column("plan_id", sa.String(60), sa.ForeignKey("plans.plan_id"), primary_key=True),
    sa.Column("company_code", sa.String(4), primary_key=True),
    sa.Column("fiscal_year", sa.String(4), primary_key=True),
    sa.Column("document_no", sa.String(10), primary_key=True),
    sa.Column("line_item", sa.String(3), primary_key=True),
    sa.Column("customer", sa.String(10), nullable=False),
    sa.Column("collector", sa.String(80), nullable=False),
    sa.Column("currency", sa.String(5), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),  # minor units, local currency
    sa.Column("expected_date", sa.Date, nullable=False),
    sa.Column("source", sa.String(10), nullable=False),  # portal | promise | history | due_date
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("probability", sa.Float, nullable=False),  # collected within the plan's period
)

plan_actuals = sa.Table(
    "plan_actuals",
    meta,
    sa.Column("plan_id", sa.String(60), sa.ForeignKey("plans.plan_id"), primary_key=True),
    sa.Column("collector", sa.String(80), primary_key=True),
    sa.Column("customer", sa.String(10), primary_key=True),
    sa.Column("currency", sa.String(5), primary_key=True),
    sa.Column("planned", sa.BigInteger, nullable=False),  # items expected in the period
    sa.Column("expected", sa.BigInteger, nullable=False),  # weighted by their probability
    sa.Column("collected", sa.BigInteger, nullable=False),  # cleared in SAP in the period
    sa.Column("collected_planned", sa.BigInteger, nullable=False),  # of which planned items
    sa.Column("measured_on", sa.Date, nullable=False),  # the run date it was measured on
)
