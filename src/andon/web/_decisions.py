"""The decision inbox and the audit trail: pages over ``andon.decisions``.

Approving and rejecting go through :class:`andon.decisions.DecisionService`, which refuses
an illegal transition and a change someone else made first; the page turns each refusal
into a sentence. A form carries a one-time token, so a form sent twice acts once.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from andon.decisions import (
    AuditLog,
    DecisionConflictError,
    DecisionExpiredError,
    DecisionFilter,
    DecisionNotFoundError,
    DecisionRecord,
    DecisionService,
    ForbiddenError,
    IllegalTransitionError,
    InvalidInputError,
    Role,
    Status,
    VerifyResult,
)
from andon.decisions.access import Principal as DecisionPrincipal
from andon.decisions.outcomes import summarise
from andon.errors import AuthError, DecisionError
from andon.store.decisions import DecisionRowFilter, DecisionTable
from andon.time import DAY_US
from andon.web._app import Console, page_error
from andon.web._decision_page import decision_view
from andon.web._figures import inbox_figures
from andon.web._session import csrf_valid

__all__ = ["add_decision_routes"]

STATUS_FILTERS = {
    "proposed": (Status.PROPOSED,),
    "approved": (Status.APPROVED, Status.EXECUTED),
    "rejected": (Status.REJECTED,),
    "all": (),
}
_RANK = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ENGINEER: 2, Role.ADMIN: 3}


def _rank(role: Any) -> int:
    try:
        return _RANK[Role(str(role))]
    except ValueError:
        return -1


def _explain(exc: Exception, record: DecisionRecord | None) -> str:
    """Return what a person should read when a decision could not be changed."""
    if isinstance(exc, IllegalTransitionError) and record is not None:
        who = f" by {record.decided_by}" if record.decided_by else ""
        when = ""
        return (
            f"This decision was already {record.status.value}{who}{when}; "
            "nothing was changed. The list below shows it as it is now."
        )
    if isinstance(exc, DecisionConflictError):
        return "Someone else changed this decision at the same moment; reload and look again."
    if isinstance(exc, DecisionExpiredError):
        return "This decision expired before it was decided; nothing was changed."
    if isinstance(exc, DecisionNotFoundError):
        return "There is no such decision (or it belongs to a site you cannot see)."
    if isinstance(exc, ForbiddenError | AuthError):
        return f"You may not do this: {exc}"
    if isinstance(exc, InvalidInputError):
        return str(exc)
    return f"That did not work: {exc}"


class DecisionPages:
    """The inbox and audit pages of one console."""

    def __init__(self, *, console: Console, decisions: DecisionService, audit: AuditLog) -> None:
        self.console = console
        self.decisions = decisions
        self.audit = audit
        self._verified: tuple[tuple[int, str], VerifyResult] | None = None

    def verify(self) -> VerifyResult:
        """Verify the chain, once per new head: the chain only grows at its head."""
        head = self.audit.head()
        if self._verified is None or self._verified[0] != head:
            self._verified = (head, self.audit.verify())
        return self._verified[1]

    def for_subject(self, path: str, who: Any) -> dict[str, Any]:
        """Return the equipment page's extra: its latest decisions and the risk they state."""
        records = self.decisions.list(
            DecisionFilter(subject_prefix=path), who=_as_principal(who), limit=10
        )
        records = [r for r in records if r.subject == path]
        risk: list[tuple[str, str]] = []
        for record in records:
            if record.app != "maintenance":
                continue
            evidence = record.evidence
            if evidence.get("failure_mode"):
                risk.append(("failure mode", str(evidence["failure_mode"])))
            p_fail, horizon = evidence.get("p_fail"), evidence.get("horizon_h")
            if isinstance(p_fail, int | float):
                within = f" within {horizon:g} h" if isinstance(horizon, int | float) else ""
                risk.append(("failure probability", f"{p_fail:.0%}{within}"))
            rul = evidence.get("rul_h")
            if isinstance(rul, int | float):
                low, high = evidence.get("rul_low_h"), evidence.get("rul_high_h")
                band = (
                    f" ({low:,.0f} to {high:,.0f} h)"
                    if isinstance(low, int | float) and isinstance(high, int | float)
                    else ""
                )
                risk.append(("remaining useful life", f"{rul:,.0f} h{band}"))
            notes = evidence.get("data_quality")
            if notes:
                risk.append(("cannot fully judge", "; ".join(str(n) for n in notes)))
            risk.append(("confidence", f"{record.confidence:.0%}"))
            risk.append(("proposal", record.title))
            break
        return {"risk": risk or None, "decisions": records}


def _missing_decision(console: Console, request: Request) -> HTMLResponse:
    return page_error(
        console,
        request,
        status=404,
        heading="No such decision",
        message="There is no such decision (or it belongs to a site you cannot see).",
    )


def _as_principal(who: Any) -> DecisionPrincipal:
    if isinstance(who, DecisionPrincipal):
        return who
    return DecisionPrincipal(username=who.username, role=Role(str(who.role)), sites=who.sites)


def add_decision_routes(
    app: FastAPI, console: Console, *, decisions: DecisionService, audit: AuditLog
) -> DecisionPages:
    """Add the inbox and audit pages to ``app``."""
    pages = DecisionPages(console=console, decisions=decisions, audit=audit)
    console.equipment_extra = pages.for_subject
    render = console.render
    render.env.globals.update(rank=_rank, form_token=console.forms.new)

    def inbox_page(
        request: Request,
        *,
        status: str = "proposed",
        app_name: str | None = None,
        flash: str = "",
        flash_kind: str = "info",
        code: int = 200,
    ) -> HTMLResponse:
        who, secret = console.principal(request)
        principal = _as_principal(who)
        status = status if status in STATUS_FILTERS else "proposed"
        records = decisions.list(
            DecisionFilter(statuses=STATUS_FILTERS[status], app=app_name),
            who=principal,
            limit=100,
        )
        if status == "proposed":
            # What is left to decide, the most valuable first; escalated ones stay in the list.
            records = sorted(records, key=lambda r: (-r.expected_value, -r.confidence))
        sites = None if principal.all_sites else tuple(principal.sites)
        track = summarise(decisions.repository.outcome_table(sites=sites, app=None))
        executions = decisions.executions.of_decisions(
            [r.id for r in records if r.status in {Status.APPROVED, Status.EXECUTED}]
        )
        status_of_apps = console.app_status() if console.app_status is not None else None
        return render.page(
            request,
            "inbox.html",
            console.context(
                request,
                who,
                secret,
                active="/inbox",
                title="Decisions",
                decisions=records,
                executions=executions,
                apps_status=status_of_apps,
                track=track,
                status=status,
                app=app_name,
                can_decide=principal.at_least(Role.OPERATOR),
                flash=flash,
                flash_kind=flash_kind,
            ),
            status_code=code,
        )

    def stale_form(request: Request, *, status: str = "proposed") -> HTMLResponse:
        return inbox_page(
            request,
            status=status,
            flash="This form is out of date (the page was open across a new login); "
            "nothing was changed. Please try again.",
            flash_kind="error",
            code=403,
        )

    @app.get("/inbox", response_class=HTMLResponse, include_in_schema=False)
    def inbox(request: Request, status: str = "proposed", app: str | None = None) -> HTMLResponse:
        notice = request.query_params.get("done", "")
        return inbox_page(
            request, status=status, app_name=app, flash=notice, flash_kind="ok" if notice else ""
        )

    async def decide(request: Request, decision_id: str, action: str) -> Response:
        who, secret = console.principal(request)
        form = await request.form()
        if not csrf_valid(secret, str(form.get("csrf", ""))):
            return stale_form(request)
        token = str(form.get("form", ""))
        reason = str(form.get("reason", "")).strip() or None
        current: DecisionRecord | None = None
        try:
            current = decisions.get(decision_id, who=_as_principal(who))
        except DecisionError as exc:
            return inbox_page(request, flash=_explain(exc, None), flash_kind="error", code=404)
        if not token or not console.forms.use(token):
            return inbox_page(
                request,
                status="all",
                flash=f"This form was already sent; the decision is {current.status.value}"
                + (f" by {current.decided_by}" if current.decided_by else "")
                + ". Nothing was done twice.",
                flash_kind="info",
                code=409,
            )
        now = console.now()
        try:
            if action == "approve":
                done = decisions.approve(
                    decision_id, who=_as_principal(who), reason=reason, now=now
                )
            else:
                done = decisions.reject(
                    decision_id, who=_as_principal(who), reason=reason or "", now=now
                )
        except (DecisionError, AuthError) as exc:
            latest: DecisionRecord | None = current
            try:
                latest = decisions.get(decision_id, who=_as_principal(who))
            except DecisionError:
                latest = current
            code = 403 if isinstance(exc, AuthError) else 409
            if isinstance(exc, InvalidInputError):
                code = 422
            return inbox_page(
                request, status="all", flash=_explain(exc, latest), flash_kind="error", code=code
            )
        message = f"{done.status.value.capitalize()}: {done.title} ({done.subject})."
        return RedirectResponse(f"/inbox?done={quote(message)}", status_code=303)

    @app.post("/inbox/{decision_id}/approve", include_in_schema=False)
    async def approve(request: Request, decision_id: str) -> Response:
        return await decide(request, decision_id, "approve")

    @app.post("/inbox/{decision_id}/reject", include_in_schema=False)
    async def reject(request: Request, decision_id: str) -> Response:
        return await decide(request, decision_id, "reject")

    @app.post("/inbox/{decision_id}/retry", include_in_schema=False)
    async def retry(request: Request, decision_id: str) -> Response:
        who, secret = console.principal(request)
        form = await request.form()
        if not csrf_valid(secret, str(form.get("csrf", ""))):
            return stale_form(request, status="approved")
        principal = _as_principal(who)
        try:
            record = decisions.get(decision_id, who=principal)
            if not principal.at_least(record.required_role):
                msg = f"retrying needs the {record.required_role.value} role"
                raise ForbiddenError(msg)
            decisions.executions.retry(decision_id, actor=principal.username, now=console.now())
        except (DecisionError, AuthError) as exc:
            code = 403 if isinstance(exc, AuthError) else 409
            return inbox_page(
                request, status="approved", flash=_explain(exc, None), flash_kind="error", code=code
            )
        message = f"Sent again at the next round: {record.title} ({record.subject})."
        return RedirectResponse(f"/inbox?status=approved&done={quote(message)}", status_code=303)

    @app.get("/decisions/{decision_id}", response_class=HTMLResponse, include_in_schema=False)
    def decision_page(request: Request, decision_id: str) -> HTMLResponse:
        who, secret = console.principal(request)
        principal = _as_principal(who)
        try:
            record = decisions.get(decision_id, who=principal)
        except DecisionError:
            # The same page for a decision of another site and one that does not exist.
            return _missing_decision(console, request)
        sites = None if principal.all_sites else tuple(principal.sites)
        track = next(
            iter(summarise(decisions.repository.outcome_table(sites=sites, app=record.app))),
            None,
        )
        view = decision_view(
            console.store,
            console.model,
            record,
            track=track,
            audit=audit.entries(entity_id=record.id, limit=50),
        )
        executions = decisions.executions.of_decisions([record.id])
        return render.page(
            request,
            "decision.html",
            console.context(
                request,
                who,
                secret,
                active="/inbox",
                title=record.title,
                view=view,
                d=record,
                executions=executions,
                can_decide=principal.at_least(Role.OPERATOR),
            ),
        )

    @app.get("/inbox/figures", response_class=HTMLResponse, include_in_schema=False)
    def figures_page(request: Request, days: int = 30) -> HTMLResponse:
        who, secret = console.principal(request)
        principal = _as_principal(who)
        days = days if days in {7, 30, 90, 365} else 30
        sites = None if principal.all_sites else tuple(principal.sites)
        figures = inbox_figures(
            DecisionTable(store=console.store).figures(
                DecisionRowFilter(sites=sites, created_from=console.now() - days * DAY_US)
            ),
            site_names={
                f"{console.model.root}/{s.id}": s.name or s.id for s in console.model.plant.sites
            },
            days=days,
        )
        return render.page(
            request,
            "figures.html",
            console.context(
                request,
                who,
                secret,
                active="/inbox",
                title="Inbox figures",
                figures=figures,
                days=days,
            ),
        )

    @app.get("/audit", response_class=HTMLResponse, include_in_schema=False)
    def audit_page(request: Request, before: str | None = None) -> HTMLResponse:
        who, secret = console.principal(request)
        principal = _as_principal(who)
        entries = audit.entries(
            before_seq=int(before) if before is not None and before.isdigit() else None,
            sites=None if principal.all_sites else tuple(principal.sites),
            include_global=principal.all_sites,
            limit=101,
        )
        older = entries[99].seq if len(entries) > 100 else None
        return render.page(
            request,
            "audit.html",
            console.context(
                request,
                who,
                secret,
                active="/audit",
                title="Audit",
                entries=entries[:100],
                older=older,
                verify=pages.verify() if principal.at_least(Role.ADMIN) else None,
            ),
        )

    return pages
