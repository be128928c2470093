"""Console pages: API tokens and webhook endpoints (administrators only).

A new token or signing secret is shown once, on the page that answers the POST that created
it (never in a redirect, a flash message or the session cookie); only its hash is kept.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from panel_app.admin.auth import require_role
from panel_app.admin.blueprint import bp
from panel_app.admin.common import MAX_ROW_ID, checked_action_form, client_ip, current_account
from panel_app.admin.integrations.forms import EVENT_TYPE_LABELS, EndpointEditForm, EndpointForm, TokenForm
from panel_app.api import tokens
from panel_app.api.webhooks import addresses
from panel_app.api.webhooks import services as webhook_services
from panel_app.extensions import db
from panel_app.models import ApiToken, UserRole, WebhookDelivery, WebhookEndpoint, utcnow

_ADDRESS_MESSAGES = {
    "scheme": lambda: _("Use an https:// address (plain http only reaches this computer, in development)."),
    "private": lambda: _("This address is inside a private network: webhooks only go to public addresses here."),
    "unresolvable": lambda: _("This host name cannot be found."),
}


def _page(token_form=None, endpoint_form=None, status=200):
    return render_template(
        "admin/integrations/index.html", token_form=token_form or TokenForm(prefix="t"),
        endpoint_form=endpoint_form or EndpointForm(prefix="w"), tokens=tokens.all_tokens(db.session),
        endpoints=webhook_services.endpoints(db.session), counts=webhook_services.delivery_counts(db.session),
        now=utcnow(), labels=EVENT_TYPE_LABELS), status


@bp.route("/integrations")
@require_role(UserRole.ADMIN)
def integrations():
    return _page()


@bp.post("/integrations/tokens")
@require_role(UserRole.ADMIN)
def token_create():
    form = TokenForm(prefix="t")
    if not form.validate_on_submit():
        return _page(token_form=form, status=422)
    now = utcnow()
    expires_at = now + timedelta(days=int(form.expires_in.data)) if form.expires_in.data else None
    issued = tokens.issue(db.session, name=form.name.data, scope=form.scope.data, expires_at=expires_at,
                          user=current_account(), now=now, ip=client_ip())
    db.session.commit()
    return render_template("admin/integrations/secret.html", kind="token", name=issued.token.name,
                           secret=issued.secret)


def _token_or_404(token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id) if token_id <= MAX_ROW_ID else None
    if token is None:
        abort(404)
    return token


@bp.post("/integrations/tokens/<int:token_id>/revoke")
@require_role(UserRole.ADMIN)
def token_revoke(token_id: int):
    checked_action_form()
    token = _token_or_404(token_id)
    if tokens.revoke(db.session, token, user=current_account(), now=utcnow(), ip=client_ip()):
        db.session.commit()
        flash(_("The token for “%(name)s” was revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("admin.integrations"), code=303)


@bp.post("/integrations/webhooks")
@require_role(UserRole.ADMIN)
def endpoint_create():
    form = EndpointForm(prefix="w")
    if not form.validate_on_submit():
        return _page(endpoint_form=form, status=422)
    try:
        created = webhook_services.create_endpoint(
            db.session, url=form.url.data, event_types=form.event_types.data, description=form.description.data or "",
            user=current_account(), secret_key=current_app.config["SECRET_KEY"],
            allow_private=bool(current_app.config["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"]), now=utcnow(), ip=client_ip())
    except addresses.AddressRefused as exc:
        db.session.rollback()
        message = _ADDRESS_MESSAGES.get(exc.code)
        form.url.errors.append(message() if message else _("This is not a usable web address."))
        return _page(endpoint_form=form, status=422)
    db.session.commit()
    return render_template("admin/integrations/secret.html", kind="webhook", name=created.endpoint.url,
                           secret=created.secret, endpoint=created.endpoint)


def _endpoint_or_404(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id) if endpoint_id <= MAX_ROW_ID else None
    if endpoint is None:
        abort(404)
    return endpoint


@bp.route("/integrations/webhooks/<int:endpoint_id>", methods=["GET", "POST"])
@require_role(UserRole.ADMIN)
def endpoint(endpoint_id: int):
    endpoint = _endpoint_or_404(endpoint_id)
    form = EndpointEditForm(prefix="e", data={"event_types": list(endpoint.event_types), "active": endpoint.active,
                                              "description": endpoint.description})
    status = 200
    if form.validate_on_submit():
        changes = webhook_services.update_endpoint(
            db.session, endpoint, event_types=form.event_types.data, description=form.description.data or "",
            active=form.active.data, user=current_account(), now=utcnow(), ip=client_ip())
        db.session.commit()
        flash(_("Endpoint saved.") if changes else _("Nothing changed."), "success" if changes else "info")
        return redirect(url_for("admin.endpoint", endpoint_id=endpoint.id), code=303)
    if form.is_submitted():
        status = 422
    return render_template("admin/integrations/endpoint.html", endpoint=endpoint, form=form,
                           deliveries=webhook_services.recent_deliveries(db.session, endpoint),
                           labels=EVENT_TYPE_LABELS, now=utcnow()), status


@bp.post("/integrations/webhooks/<int:endpoint_id>/rotate")
@require_role(UserRole.ADMIN)
def endpoint_rotate(endpoint_id: int):
    checked_action_form()
    endpoint = _endpoint_or_404(endpoint_id)
    secret = webhook_services.rotate_secret(db.session, endpoint, user=current_account(),
                                            secret_key=current_app.config["SECRET_KEY"], now=utcnow(), ip=client_ip())
    db.session.commit()
    return render_template("admin/integrations/secret.html", kind="webhook", name=endpoint.url, secret=secret,
                           endpoint=endpoint)


@bp.post("/integrations/webhooks/<int:endpoint_id>/delete")
@require_role(UserRole.ADMIN)
def endpoint_delete(endpoint_id: int):
    checked_action_form()
    endpoint = _endpoint_or_404(endpoint_id)
    webhook_services.delete_endpoint(db.session, endpoint, user=current_account(), now=utcnow(), ip=client_ip())
    db.session.commit()
    flash(_("Endpoint deleted."), "success")
    return redirect(url_for("admin.integrations"), code=303)


@bp.post("/integrations/deliveries/<int:delivery_id>/replay")
@require_role(UserRole.ADMIN)
def delivery_replay(delivery_id: int):
    checked_action_form()
    delivery = db.session.get(WebhookDelivery, delivery_id) if delivery_id <= MAX_ROW_ID else None
    if delivery is None:
        abort(404)
    if webhook_services.replay(db.session, delivery, user=current_account(), now=utcnow(), ip=client_ip()):
        db.session.commit()
        flash(_("The message will be sent again in a moment."), "success")
    else:
        flash(_("This message is being sent right now."), "info")
    return redirect(url_for("admin.endpoint", endpoint_id=delivery.endpoint_id), code=303)
