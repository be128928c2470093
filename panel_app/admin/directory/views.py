"""Console pages: the directory of parliaments and organisations, its import, an entry and its contacts.

Everyone signed in reads; organisers change (the console's access rule already needs one for
any POST, `require_role` for the pages that only serve changes).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from panel_app.admin.auth import require_role
from panel_app.admin.blueprint import bp
from panel_app.admin.common import MAX_ROW_ID, current_account, locale
from panel_app.admin.directory.forms import (
    ERROR_MESSAGES,
    ContactForm,
    ImportForm,
    OrganisationForm,
    contact_data,
    organisation_data,
)
from panel_app.admin.registrations.filters import country_code_for
from panel_app.directory import importer, services
from panel_app.extensions import db
from panel_app.models import AffiliationType, UserRole, utcnow
from panel_app.registration.countries import country_choices

#: An upload larger than this is refused before it is read (a directory of every parliament with
#: several contacts each is well under 1 MB as CSV or .xlsx).
IMPORT_MAX_BYTES = 5 * 1024 * 1024


def _parse_filters(args) -> tuple[services.DirectoryFilters, list[str]]:
    filters, errors = services.DirectoryFilters(), []
    q = (args.get("q") or "").strip()
    if len(q) > 200 or any(ord(ch) < 32 for ch in q):
        errors.append(_("The search text is too long or contains characters that cannot be searched for."))
    else:
        filters.q = q
    kind = args.get("affiliation_type") or ""
    if kind and kind not in {a.value for a in AffiliationType}:
        errors.append(_("Unknown value for the filter “%(name)s”.", name="affiliation_type"))
    else:
        filters.affiliation_type = kind
    active = args.get("active") or "yes"
    if active not in ("yes", "no", "all"):
        errors.append(_("Unknown value for the filter “%(name)s”.", name="active"))
    else:
        filters.active = active
    region = (args.get("region") or "").strip()
    filters.region = region[:100]
    country = (args.get("country") or "").strip()
    if country:
        code = country_code_for(country, locale()) if len(country) <= 100 and "\x00" not in country else None
        if code:
            filters.country = code
        else:
            errors.append(_("Unknown country “%(name)s”: choose a name from the list or type a two-letter code such "
                            "as FR.", name=country[:100]))
    page = args.get("page") or "1"
    if not page.isdigit() or not 1 <= int(page[:9]) or len(page) > 9:
        errors.append(_("The page number must be a whole number from 1."))
    else:
        filters.page = int(page)
    return filters, errors


@bp.get("/directory")
def directory():
    filters, errors = _parse_filters(request.args)
    page = services.list_entries(db.session, filters)
    return render_template("admin/directory/list.html", filters=filters, errors=errors, page=page,
                           regions=services.regions(db.session), affiliations=[a.value for a in AffiliationType],
                           country_options=country_choices(locale())), 400 if errors else 200


@bp.app_template_global()
def directory_url(filters: services.DirectoryFilters, **overrides) -> str:
    return url_for("admin.directory", **filters.query_args(**overrides))


@bp.route("/directory/import", methods=["GET", "POST"])
@require_role(UserRole.ORGANISER)
def directory_import():
    form = ImportForm()
    report, status = None, 200
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(IMPORT_MAX_BYTES + 1) if upload and getattr(upload, "filename", "") else b""
        if not data:
            form.file.errors.append(_("Choose a CSV or Excel file to import."))
        elif len(data) > IMPORT_MAX_BYTES:
            form.file.errors.append(_("The file is larger than 5 MB."))
        else:
            report = importer.import_file(db.session, upload.filename or "", data,
                                          deactivate_missing=not form.keep_missing.data, actor=current_account(),
                                          now=utcnow())
            if report.ok:
                db.session.commit()
                flash(_("Directory imported: %(added)d added, %(updated)d updated, %(deactivated)d made inactive; "
                        "contacts: %(c_added)d added, %(c_updated)d updated, %(c_deactivated)d made inactive.",
                        added=report.added, updated=report.updated, deactivated=report.deactivated,
                        c_added=report.contacts_added, c_updated=report.contacts_updated,
                        c_deactivated=report.contacts_deactivated), "success")
                return redirect(url_for("admin.directory"), code=303)
            db.session.rollback()
        status = 422
    elif form.is_submitted():
        status = 422
    return render_template("admin/directory/import.html", form=form, report=report,
                           columns=[*importer.REQUIRED, *[c for c in importer.ORGANISATION_COLUMNS
                                                          if c not in importer.REQUIRED],
                                    *importer.CONTACT_COLUMNS]), status


def _explain(form, exc: services.DirectoryError) -> None:
    for name, code in exc.errors.items():
        getattr(form, name).errors.append(str(ERROR_MESSAGES.get(code, code)))


@bp.route("/directory/new", methods=["GET", "POST"])
@require_role(UserRole.ORGANISER)
def directory_new():
    form = OrganisationForm(countries=country_choices(locale()))
    if form.validate_on_submit():
        try:
            organisation = services.create_organisation(db.session, form.to_input(), actor=current_account(),
                                                        now=utcnow())
        except services.DirectoryError as exc:
            db.session.rollback()
            _explain(form, exc)
        else:
            db.session.commit()
            flash(_("Entry added to the directory."), "success")
            return redirect(url_for("admin.directory_entry", organisation_id=organisation.id), code=303)
    return render_template("admin/directory/edit.html", form=form, entry=None,
                           regions=services.regions(db.session)), 422 if form.is_submitted() else 200


def _organisation_or_404(organisation_id: int):
    organisation = services.get_organisation(db.session, organisation_id) if organisation_id <= MAX_ROW_ID else None
    if organisation is None:
        abort(404)
    return organisation


@bp.route("/directory/<int:organisation_id>", methods=["GET", "POST"])
def directory_entry(organisation_id: int):
    organisation = _organisation_or_404(organisation_id)
    form = OrganisationForm(countries=country_choices(locale()),
                            data=None if request.method == "POST" else organisation_data(organisation))
    contact_form = ContactForm(prefix="contact")
    status = 200
    if request.method == "POST":  # organisers only: the console's access rule
        if form.validate_on_submit():
            try:
                changed = services.update_organisation(db.session, organisation, form.to_input(),
                                                       actor=current_account(), now=utcnow())
            except services.DirectoryError as exc:
                db.session.rollback()
                _explain(form, exc)
            else:
                db.session.commit()
                flash(_("Entry saved.") if changed else _("Nothing changed."), "success" if changed else "info")
                return redirect(url_for("admin.directory_entry", organisation_id=organisation_id), code=303)
        status = 422
    return render_template("admin/directory/edit.html", form=form, entry=organisation,
                           contact_form=contact_form, regions=services.regions(db.session)), status


@bp.post("/directory/<int:organisation_id>/contacts")
def directory_contact_add(organisation_id: int):
    organisation = _organisation_or_404(organisation_id)
    contact_form = ContactForm(prefix="contact")
    if contact_form.validate_on_submit():
        try:
            services.add_contact(db.session, organisation, contact_form.to_input(), actor=current_account(),
                                 now=utcnow())
        except services.DirectoryError as exc:
            db.session.rollback()
            _explain(contact_form, exc)
        else:
            db.session.commit()
            flash(_("Contact added."), "success")
            return redirect(url_for("admin.directory_entry", organisation_id=organisation_id), code=303)
    form = OrganisationForm(countries=country_choices(locale()), formdata=None, data=organisation_data(organisation))
    return render_template("admin/directory/edit.html", form=form, entry=organisation,
                           contact_form=contact_form, regions=services.regions(db.session)), 422


@bp.route("/directory/<int:organisation_id>/contacts/<int:contact_id>", methods=["GET", "POST"])
@require_role(UserRole.ORGANISER)
def directory_contact_edit(organisation_id: int, contact_id: int):
    organisation = _organisation_or_404(organisation_id)
    contact = services.get_contact(db.session, organisation, contact_id) if contact_id <= MAX_ROW_ID else None
    if contact is None:
        abort(404)
    form = ContactForm(data=None if request.method == "POST" else contact_data(contact))
    if form.validate_on_submit():
        try:
            changed = services.update_contact(db.session, contact, form.to_input(), actor=current_account(),
                                              now=utcnow())
        except services.DirectoryError as exc:
            db.session.rollback()
            _explain(form, exc)
        else:
            db.session.commit()
            flash(_("Contact saved.") if changed else _("Nothing changed."), "success" if changed else "info")
            return redirect(url_for("admin.directory_entry", organisation_id=organisation_id), code=303)
    return render_template("admin/directory/contact.html", form=form, entry=organisation,
                           contact=contact), 422 if form.is_submitted() else 200
