"""``voidmail stats``: what was answered, how, how fast, and at what cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from voidmail import store
from voidmail.config import LlmSettings
from voidmail.review import SUGGEST_AFTER, SUGGEST_RATE


async def collect(st: store.Store, since_seconds: float, llm: LlmSettings) -> dict[str, Any]:
    """Totals, latency, LLM use and an hourly table for the last ``since_seconds``."""
    since = datetime.now(UTC) - timedelta(seconds=since_seconds)
    totals = dict(await st.pool.fetchrow(st.queries["stats_totals"], since) or {})
    latency = dict(await st.pool.fetchrow(st.queries["stats_latency"], since) or {})
    limits = dict(await st.pool.fetchrow(st.queries["stats_rate_limited"], since) or {})
    hourly = [dict(r) for r in await st.pool.fetch(st.queries["stats_hourly"], since)]
    lanes = [dict(r) for r in await st.pool.fetch(st.queries["stats_lanes"], since)]
    reviews = [dict(r) for r in await st.pool.fetch(st.queries["stats_reviews"], since)]
    for row in reviews:
        decided = row["approved"] + row["edited"] + row["discarded"]
        row["approved_rate"] = round(row["approved"] / decided, 3) if decided else None
        row["could_send"] = decided >= SUGGEST_AFTER and row["approved"] >= SUGGEST_RATE * decided
        row["wait_seconds"] = _round(row["wait_seconds"])
        row["edited_similarity"] = _round(row["edited_similarity"])
    cost = (
        totals["prompt_tokens"] * llm.price_input_per_million
        + totals["completion_tokens"] * llm.price_output_per_million
    ) / 1_000_000
    return {
        "since": since,
        **totals,
        "estimated_cost_usd": round(cost, 4),
        "llm_requests": limits.get("llm_requests", 0),
        "rate_limited": limits.get("rate_limited", 0),
        "replies": latency.get("replies", 0),
        "latency_p50_seconds": _round(latency.get("p50")),
        "latency_p95_seconds": _round(latency.get("p95")),
        "hourly": hourly,
        "lanes": lanes,
        "reviews": reviews,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)


def render(report: dict[str, Any]) -> str:
    """The report for a person at a terminal."""
    r = report
    lines = [
        f"since {r['since']:%Y-%m-%d %H:%M} UTC",
        f"  mails in            {r['mails_in']}",
        f"  answered by FAQ     {r['answered_faq']}",
        f"  answered by LLM     {r['answered_llm']}",
        f"  answered by orders  {r['answered_order']}",
        f"  handed to people    {r['handed_to_people']}",
        f"  ignored             {r['ignored']}",
        f"  dead letters        {r['dead_letters']}",
        f"  still waiting       {r['waiting']}",
        f"  tokens in / out     {r['prompt_tokens']} / {r['completion_tokens']}"
        f"  (about US$ {r['estimated_cost_usd']:.4f})",
        f"  LLM requests, 429s  {r['llm_requests']}, {r['rate_limited']}",
        "  arrival → reply     "
        + (
            f"p50 {r['latency_p50_seconds']:.2f} s, p95 {r['latency_p95_seconds']:.2f} s"
            f" over {r['replies']} replies"
            if r["latency_p50_seconds"] is not None
            else "no replies yet"
        ),
    ]
    if r["lanes"]:
        lines += ["", "  LLM lane class     mails  answered  ignored  waiting   tokens"]
        for lane in r["lanes"]:
            lines.append(
                f"  {lane['lane_class']:<16} {lane['mails']:>7} {lane['answered']:>9}"
                f" {lane['ignored']:>8} {lane['waiting']:>8} {lane['tokens']:>8}"
            )
    if r["reviews"]:
        lines += ["", "  drafts (route/intent)  drafts  approved  edited  discarded  pending  wait"]
        for v in r["reviews"]:
            wait = f"{v['wait_seconds'] / 60:.0f} min" if v["wait_seconds"] is not None else "-"
            lines.append(
                f"  {v['route'] + '/' + v['intent']:<22} {v['drafts']:>6} {v['approved']:>9}"
                f" {v['edited']:>7} {v['discarded']:>10} {v['pending']:>8}  {wait}"
            )
            if v["could_send"]:
                lines.append(
                    f"    {v['approved_rate']:.0%} of {v['route']}/{v['intent']} drafts went out "
                    f'unchanged: review.{v["route"]} = "send" could be set for it'
                )
    if r["hourly"]:
        lines += ["", "  hour (UTC)         in  faq  llm  human  ignored  dead"]
        for h in r["hourly"]:
            lines.append(
                f"  {h['hour']:%Y-%m-%d %H:00}  {h['mails_in']:>4} {h['faq']:>4} {h['llm']:>4}"
                f" {h['human']:>6} {h['ignored']:>8} {h['dead']:>5}"
            )
    return "\n".join(lines)
