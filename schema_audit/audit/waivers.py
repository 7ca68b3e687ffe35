"""Waivers: a deviation the stakeholders accepted, with a reason, an owner and an expiry.

The seed's "Decision Required" is exactly this: a design fork someone signs
off. A waived FAIL or PARTIAL becomes WAIVED (not failing) with the reason in
every output; an expired waiver no longer applies and says so; a waiver that
matches nothing, or only passing findings, is itself reported, because stale
waivers hide the next regression.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from schema_audit.audit.findings import Finding, new_evidence
from schema_audit.enums import Status
from schema_audit.spec.model import IdIndex, Spec

# finding ids about the migration history itself (not the schema): only a history yields them
HISTORY = "migrations."


def apply_waivers(
    spec: Spec,
    findings: list[Finding],
    as_of: str,
    stopped: str | None = None,
    *,
    has_history: bool = True,
) -> list[Finding]:
    """``findings`` with the waived ones replaced (WAIVED, or an expiry noted), in order,
    then findings about the waivers themselves (stale, expired).

    A waiver is only called stale when what it waives was judged: one whose findings are all
    DEFERRED, or (``stopped``: why a replay stopped) one that matches nothing or nothing
    deviating on a replay that stopped before the rest of the history, is DEFERRED like the
    findings of that replay, never a FAIL about a rule that did not run. Likewise a waiver of a
    migration-history finding (``migrations.…``, written by `init` from a history) on a source
    without one (``has_history`` False: a live database) is DEFERRED, not stale."""
    final, out = waive(
        spec,
        findings,
        as_of,
        stopped,
        has_history=has_history,
        indices=range(len(spec.waivers)),
        unsettled=unsettled_tables(findings),
    )
    return final + out


def unsettled_tables(findings: Sequence[Finding]) -> set[str]:
    """Tables whose existence the source could not settle (a DEFERRED table finding): a
    rule cannot have run on them."""
    return {
        _qualified(f.id.removeprefix("tables."))
        for f in findings
        if f.kind == "table" and f.status == Status.DEFERRED and f.id.startswith("tables.")
    }


def waive(
    spec: Spec,
    findings: Sequence[Finding],
    as_of: str,
    stopped: str | None,
    *,
    has_history: bool,
    indices: Sequence[int],
    unsettled: set[str],
) -> tuple[list[Finding], list[Finding]]:
    """:func:`apply_waivers` for the waivers at ``indices`` (ascending) only: (``findings``
    with those waived, the findings about those waivers), ``unsettled`` the
    :func:`unsettled_tables` of the whole audit. Waivers whose patterns can match none of
    the same findings are applied to one part of an audit's findings each (``api``, for a
    judging shared with a child) as one pass over all of them would."""
    id_list = [f.id for f in findings]
    final = list(findings)
    waivers = spec.waivers
    position, matches = _matcher(id_list, [waivers[i].pattern for i in indices])
    out: list[Finding] = []
    # read once: init's spec has a waiver per rule finding present at init (14,536 at 5,000
    # tables), each waived here
    deviation = (Status.FAIL, Status.PARTIAL)
    undecided, waived = Status.DEFERRED, Status.WAIVED
    for index in indices:
        waiver = waivers[index]
        matched = [final[position[i]] for i in matches(waiver.pattern)]
        who = f" (owner {waiver.owner})" if waiver.owner else ""
        place = waiver.location.split(":")
        file, line = place[0], int(place[1])
        deviating = [f for f in matched if f.status in deviation]
        expired = bool(waiver.expires and waiver.expires < as_of)
        problem = None
        historyless = not has_history and not matched and waiver.pattern.startswith(HISTORY)
        open_table = None if matched else _deferred_table(waiver.pattern, unsettled)
        deferred = (
            historyless
            or bool(open_table)
            or (
                not expired
                and not deviating
                and bool(stopped or any(f.status == undecided for f in matched))
            )
        )
        if open_table:
            problem = (
                f"waiver for {waiver.pattern!r} matches no finding: its table {open_table} "
                "is DEFERRED, so the rule could not run on it"
            )
        elif historyless:
            problem = (
                f"waiver for {waiver.pattern!r} is about the migration history, which this "
                "source does not have: DEFERRED until an audit of the history judges it"
            )
        elif deferred:
            problem = f"waiver for {waiver.pattern!r} {_unjudged(matched, stopped)}"
        elif not matched:
            problem = f"waiver for {waiver.pattern!r} matches no requirement (stale: remove it)"
        elif expired:
            problem = f"waiver for {waiver.pattern!r} expired on {waiver.expires}{who}: the deviation counts again"
            for finding in deviating:
                final[position[finding.id]] = replace(
                    finding,
                    message=f"{finding.message} (waiver expired on {waiver.expires}: {waiver.reason})",
                )
        elif not deviating:
            problem = f"waiver for {waiver.pattern!r} matches only passing findings (stale: the deviation is gone)"
        else:
            until = f" until {waiver.expires}" if waiver.expires else ""
            for finding in deviating:
                final[position[finding.id]] = finding.with_evidence(
                    [new_evidence("spec", file, line, None, None, f"waiver: {waiver.reason}")],
                    status=waived,
                    message=f"{finding.message} — WAIVED{who}{until}: {waiver.reason} "
                    f"(was {finding.status})",
                )
        if problem:
            out.append(
                Finding(
                    id=f"waivers.{index}",
                    kind="waiver",
                    table=None,
                    name=waiver.pattern,
                    status=Status.DEFERRED if deferred else Status.FAIL,
                    severity="low",
                    message=problem,
                    evidence=[new_evidence("spec", file, line, None, None, waiver.reason)],
                )
            )
    return final, out


def _matcher(
    id_list: list[str], patterns: list[str]
) -> tuple[dict[str, int], Callable[[str], list[str]]]:
    """The last position of each finding id a waiver may match, and what ``match_ids`` answers
    for a pattern (an id once for each finding of that id).

    Patterns without ``*`` or ``?`` (all of init's: one exact id per finding present at init)
    only ever match ids equal to one of them, so only those ids are kept: the positions of
    every id (235,000 at 5,000 tables, 14,536 of them waived) were 0.09–0.11 CPU s of
    ``apply_waivers``' 0.22–0.27. A glob needs every id: the whole index, as before."""
    if any("*" in p or "?" in p for p in patterns):
        # the last finding of an id (dict() keeps the last of equal keys, built in C)
        position = dict(zip(id_list, range(len(id_list)), strict=True))
        return position, IdIndex(id_list, position).match
    wanted = set(patterns)
    position = {}
    counts: dict[str, int] = {}
    for i in [i for i, fid in enumerate(id_list) if fid in wanted]:  # the filter in one pass
        fid = id_list[i]
        position[fid] = i
        counts[fid] = counts.get(fid, 0) + 1
    return position, lambda pattern: [pattern] * counts.get(pattern, 0)


def _qualified(name: str) -> str:
    return name if "." in name else f"public.{name}"


def _deferred_table(pattern: str, unsettled: set[str]) -> str | None:
    """The DEFERRED table a rule waiver (``rules.SEC003.auth.users…``) is about, if any."""
    if not pattern.startswith("rules.") or not unsettled:
        return None
    rest = pattern.split(".", 2)[2] if pattern.count(".") >= 2 else ""
    # init quotes a mixed-case name (`rules.SCH001.public."Polling"`); finding ids do not
    rest = rest.replace('"', "")
    # the first in order of the DEFERRED tables that are ``rest`` or a prefix of it ending
    # at a dot: of ``rest`` and its prefixes before each dot, the least one that is DEFERRED
    # (a static audit DEFERs every table on its owner: init's 1,000-table spec sorted the
    # 1,000 and tested each for each of its 100 rule waivers matching nothing, ≈ 0.02 CPU s
    # after the judging child answered)
    found = [rest[:i] for i, c in enumerate(rest) if c == "." and rest[:i] in unsettled]
    return min(found + [rest] if rest in unsettled else found, default=None)


def _unjudged(matched: list[Finding], stopped: str | None) -> str:
    """Why a waiver cannot be called stale yet, in the words of the DEFERRED findings."""
    if stopped:
        what = "matches no finding" if not matched else "matches no deviation"
        return f"{what} on the part of the history that replayed; DEFERRED: {stopped}"
    return "matches only DEFERRED findings: whether it is still needed is not judged yet"
