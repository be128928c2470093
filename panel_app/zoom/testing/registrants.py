"""Registrants of meetings and webinars: add, list, get, delete, and status changes (approve, deny, cancel).

API reference, Meetings API (https://developers.zoom.us/docs/api/meetings/), "Invitation & Registration":
"Add a meeting registrant" (POST /meetings/{meetingId}/registrants), "List meeting registrants" (GET),
"Get a meeting registrant" and "Delete a meeting registrant" (/meetings/{meetingId}/registrants/{registrantId}),
"Update registrant's status" (PUT /meetings/{meetingId}/registrants/status); the Webinars API likewise.
"""

from __future__ import annotations

import re
import secrets

from werkzeug.wrappers import Request, Response

from panel_app.zoom.testing.model import EMAIL_RE, ApiError, SimMeeting, SimRegistrant, iso
from panel_app.zoom.testing.model import invalid_field as _invalid

#: The add body's fields ("Add a meeting registrant", request body). Anything else is refused: the
#: documents do not say whether unknown fields are ignored, so the stricter reading is taken.
REGISTRANT_FIELDS = {
    "email", "first_name", "last_name", "address", "city", "state", "zip", "country", "phone", "comments",
    "custom_questions", "industry", "job_title", "no_of_employees", "org", "purchasing_time_frame",
    "role_in_purchase_process", "language", "auto_approve",
}
#: Stored and listed as given ("List meeting registrants" returns these fields).
STORED_FIELDS = ("address", "city", "state", "zip", "country", "phone", "comments", "custom_questions",
                 "industry", "job_title", "no_of_employees", "org", "purchasing_time_frame",
                 "role_in_purchase_process", "language")
#: `language`: "The registrant's language preference for confirmation emails", one of these values.
LANGUAGES = ("en-US", "de-DE", "es-ES", "fr-FR", "jp-JP", "pt-PT", "ru-RU", "zh-CN", "zh-TW", "ko-KO", "it-IT",
             "vi-VN", "pl-PL", "Tr-TR")
NO_OF_EMPLOYEES = ("", "1-20", "21-50", "51-100", "101-500", "500-1,000", "1,001-5,000", "5,001-10,000",
                   "More than 10,000")
PURCHASING_TIME_FRAME = ("", "Within a month", "1-3 months", "4-6 months", "More than 6 months", "No timeframe")
ROLE_IN_PURCHASE_PROCESS = ("", "Decision Maker", "Evaluator/Recommender", "Influencer", "Not involved")
#: first_name and last_name: at most 64 characters; email 128; a custom question's value 128.
NAME_MAX, EMAIL_MAX, ANSWER_MAX = 64, 128, 128
#: "Add a meeting registrant": "there is a maximum limit of 4,999 registrants per meeting".
MAX_REGISTRANTS = 4999
#: "List meeting registrants" `status` query: pending | approved (the default) | denied.
STATUSES = ("pending", "approved", "denied")
#: "Update registrant's status" `action` and the status it leaves. `cancel`, "Cancel previously approved
#: registrant's registration", leaves the registrant listed as denied: Zoom has no "cancelled" status. Support
#: article "Managing meeting and webinar registration" (https://support.zoom.com/hc/en/article?id=zm_kb&
#: sysparm_article=KB0068036): registrants are Pending Approval, Approved or Denied/Blocked, and a cancelled
#: registration "will appear in the Denied/Blocked tab"; developer forum https://devforum.zoom.us/t/39340:
#: "Using the status of cancel is indistinguishable from using deny ... subsequent attempts to re-register
#: this user using the same e-mail address will fail"; Zoom staff thread https://devforum.zoom.us/t/34478.
ACTIONS = {"approve": "approved", "deny": "denied", "cancel": "denied"}


class RegistrantsMixin:
    """Registrant endpoints, plus `registrant_payload` for webhooks and `status_updates` for tests."""

    def _init_registrants(self) -> None:
        #: (meeting id, action, [registrant ids]) for every accepted "Update registrant's status" call.
        self.status_updates: list[tuple[str, str, list[str]]] = []
        #: Unknown custom question titles: "reject" (400) or "ignore". The documents are silent; the
        #: stricter "reject" is the default.
        self.unknown_custom_questions = "reject"
        #: Adding again an email that was denied or cancelled: "error" (400, the default: forum thread 39340
        #: "will fail") or "silent" (201 with the existing registrant, still denied: what the community report
        #: https://community.zoom.com/t5/Events-and-Webinars/.../m-p/71688 describes, "no one knows the
        #: enrollment has actually been blocked"). No document gives the answer's code.
        self.denied_readd = "error"

    def registrant_payload(self, meeting_id: str, registrant: SimRegistrant) -> dict:
        """`payload` of a `meeting.registration_*` notification (MeetingRegistrationCreatedEvent, rivet types)."""
        obj = self.meeting_object(meeting_id, f"sim{meeting_id}==")
        obj["registrant"] = registrant.as_json()
        return {"account_id": self.account_id, "operator": "host@sim.example", "operator_id": "sim-host-id",
                "object": obj}

    def registrant_cancels(self, meeting_id: str, registrant_id: str) -> None:
        """The registrant cancels through the link in Zoom's email: Zoom removes them entirely (they may register
        again) and sends `registration_cancelled` as for a host's cancel (Zoom staff thread
        https://devforum.zoom.us/t/34478: "If a user cancels their own registration, the registrant is
        removed entirely ... there is only one webhook for both events")."""
        with self._lock:
            meeting = self.meetings[str(meeting_id)]
            registrant = meeting.registrants.pop(registrant_id)
            meeting.by_email.pop(registrant.email.casefold(), None)
        self._notify_registration("cancelled", meeting, registrant)

    # -- endpoints ------------------------------------------------------------------------------

    def _api_registrants(self, request: Request, kind: str, meeting_id: str) -> Response:
        meeting = self._meeting(kind, meeting_id)
        self._require_registration(meeting)
        if request.method == "GET":
            status = request.args.get("status", "approved")
            if status not in STATUSES:
                raise _invalid("status")
            with self._lock:
                items = [r.as_json() for r in meeting.registrants.values() if r.status == status]
            return self._page(request, ("registrants", kind, meeting_id, status), items, "registrants")
        return self._add_registrant(kind, meeting, self._body(request))

    def _api_registrant(self, request: Request, kind: str, meeting_id: str, registrant_id: str) -> Response:
        meeting = self._meeting(kind, meeting_id)
        # "Delete a meeting registrant" lists "Registration has not been enabled" as a 400.
        self._require_registration(meeting, status=400 if request.method == "DELETE" else 404)
        with self._lock:
            registrant = meeting.registrants.get(registrant_id)
            if registrant is None and request.method == "DELETE":
                # "Delete a meeting registrant", error table: 400 code 300 for a registrant id Zoom does not know.
                raise ApiError(400, 300, "The value that you entered for the Registrant ID field is invalid. "
                                         "Enter a valid value and try again.")
            if registrant is None:
                # "Get a meeting registrant" lists no answer for an unknown registrant: a 404 is served (a
                # client must treat the registrant as gone, not retry).
                raise ApiError(404, 404, "Registrant not found.")
            if request.method == "GET":
                return self._json(registrant.as_json())
            # "Delete a meeting registrant": the person is removed (204); their email may register again.
            del meeting.registrants[registrant_id]
            meeting.by_email.pop(registrant.email.casefold(), None)
        # No notification: Zoom has no registration_deleted event (rivet's MeetingsEvents lists none).
        return Response(status=204)

    def _api_registrant_status(self, request: Request, kind: str, meeting_id: str) -> Response:
        meeting = self._meeting(kind, meeting_id)
        self._require_registration(meeting)
        body = self._body(request)
        if set(body) - {"action", "registrants"}:
            raise _invalid(sorted(set(body) - {"action", "registrants"})[0])
        if body.get("action") not in ACTIONS:
            raise _invalid("action")
        people = body.get("registrants")
        # "Update registrant's status": `registrants` lists at most 30 registrants.
        if not isinstance(people, list) or not 1 <= len(people) <= 30:
            raise _invalid("registrants")
        with self._lock:
            targets = []
            for person in people:
                if not isinstance(person, dict) or not person or set(person) - {"id", "email"}:
                    raise _invalid("registrants")
                registrant = self._find(meeting, person)
                # The documents give no answer for a registrant Zoom does not know: it is skipped and the call
                # still answers 204, the stricter case for a client (a 204 proves nothing; read back).
                if registrant is not None:
                    targets.append(registrant)
            new_status = ACTIONS[body["action"]]
            changed = [r for r in targets if r.status != new_status]
            for registrant in changed:
                registrant.status = new_status
            self.status_updates.append((meeting.id, body["action"], [r.id for r in targets]))
        event = {"approve": "approved", "deny": "denied", "cancel": "cancelled"}[body["action"]]
        for registrant in changed:
            self._notify_registration(event, meeting, registrant)
        return Response(status=204)

    # -- add ------------------------------------------------------------------------------------

    def _add_registrant(self, kind: str, meeting: SimMeeting, body: dict) -> Response:
        self._validate_add(meeting, body)
        email = body["email"]
        self._count_registrant_add(kind, meeting.id, email)
        key = email.casefold()
        created = False
        with self._lock:
            existing = meeting.registrants.get(meeting.by_email.get(key, ""))
            if existing is not None and existing.status == "denied" and self.denied_readd == "error":
                # A denied or cancelled registrant is blocked: the email cannot register again (see ACTIONS).
                raise ApiError(400, 300, DENIED_MESSAGE.format(email=email))
            if existing is not None:
                # Adding a registered email again returns the existing registrant, unchanged (observed and
                # reported, https://devforum.zoom.us/t/57798: "it just returns the existing registrant").
                registrant = existing
            else:
                if len(meeting.registrants) >= MAX_REGISTRANTS:
                    raise ApiError(400, 3043, "Meeting has reached maximum attendee capacity.")
                auto = meeting.settings.get("approval_type") == 0 or body.get("auto_approve") is True
                registrant = SimRegistrant(
                    id=secrets.token_urlsafe(16).replace("-", "").replace("_", "")[:22], email=email,
                    first_name=body["first_name"], last_name=body.get("last_name", ""),
                    status="approved" if auto else "pending", create_time=self.clock.now().replace(microsecond=0),
                    join_url=f"{self.root_url}/w/{meeting.id}?tk={secrets.token_urlsafe(24)}",
                    fields=self._stored_fields(meeting, body))
                meeting.registrants[registrant.id] = registrant
                meeting.by_email[key] = registrant.id
                created = True
            # The answer carries the registrant's own join_url whatever the status: approval is told by the
            # registrant's `status` ("List"/"Get a meeting registrant"), never by join_url. The add response
            # schema lists join_url without a condition; the documents are silent on pending registrants, so
            # the stricter case (present, not yet usable) is served.
            data = {"id": meeting.numeric_id, "registrant_id": registrant.id, "join_url": registrant.join_url,
                    "start_time": iso(meeting.start_time), "topic": meeting.topic, "occurrences": [],
                    "participant_pin_code": 100000 + int.from_bytes(registrant.id.encode()[:3], "big") % 900000}
        if created:
            self._notify_registration("created", meeting, registrant)
        return self._json(data, 201)

    def _validate_add(self, meeting: SimMeeting, body: dict) -> None:
        self._require_registration(meeting)
        unknown = sorted(set(body) - REGISTRANT_FIELDS)
        if unknown:
            raise _invalid(unknown[0])
        email = body.get("email")
        if not isinstance(email, str) or len(email) > EMAIL_MAX or not EMAIL_RE.match(email):
            raise _invalid("email")
        first = body.get("first_name")
        if not isinstance(first, str) or not first.strip() or len(first) > NAME_MAX:
            raise _invalid("first_name")
        for name in ("last_name",):
            if name in body and (not isinstance(body[name], str) or len(body[name]) > NAME_MAX):
                raise _invalid(name)
        for name in ("address", "city", "state", "zip", "phone", "comments", "industry", "job_title", "org"):
            if name in body and not isinstance(body[name], str):
                raise _invalid(name)
        # `country`: "The registrant's two-letter country code."
        if "country" in body and not (isinstance(body["country"], str) and re.fullmatch(r"[A-Z]{2}", body["country"])):
            raise _invalid("country")
        for name, allowed in (("language", LANGUAGES), ("no_of_employees", NO_OF_EMPLOYEES),
                              ("purchasing_time_frame", PURCHASING_TIME_FRAME),
                              ("role_in_purchase_process", ROLE_IN_PURCHASE_PROCESS)):
            if name in body and body[name] not in allowed:
                raise _invalid(name)
        if "auto_approve" in body and not isinstance(body["auto_approve"], bool):
            raise _invalid("auto_approve")
        self._validate_answers(meeting, body)

    def _validate_answers(self, meeting: SimMeeting, body: dict) -> None:
        answers = body.get("custom_questions", [])
        if not isinstance(answers, list):
            raise _invalid("custom_questions")
        defined = {q.get("title"): q for q in meeting.custom_questions}
        for answer in answers:
            # Each answer is {"title": ..., "value": ...}; the value at most 128 characters.
            if (not isinstance(answer, dict) or set(answer) - {"title", "value"}
                    or not isinstance(answer.get("title"), str) or not isinstance(answer.get("value"), str)
                    or len(answer["value"]) > ANSWER_MAX):
                raise _invalid("custom_questions")
            question = defined.get(answer["title"])
            if question is None and self.unknown_custom_questions == "reject":
                raise _invalid("custom_questions")
            # A `single` question offers fixed answers; documents are silent on other values: refused.
            if question is not None and question.get("type") == "single" and answer["value"] not in question.get(
                    "answers", []):
                raise _invalid("custom_questions")
        given = {a["title"] for a in answers if a.get("value", "").strip()}
        for question in meeting.custom_questions:
            if question.get("required") and question.get("title") not in given:
                raise _invalid("custom_questions")
        for question in meeting.questions:
            # Standard questions the meeting marks required ("List registration questions": field_name).
            name = question.get("field_name")
            if question.get("required") and name in REGISTRANT_FIELDS and not str(body.get(name, "")).strip():
                raise _invalid(name)

    # -- helpers --------------------------------------------------------------------------------

    def _stored_fields(self, meeting: SimMeeting, body: dict) -> dict:
        fields = {k: body[k] for k in STORED_FIELDS if k in body}
        if "custom_questions" in fields:
            # Answers to questions the meeting does not ask are not kept (when they are not refused).
            titles = {q.get("title") for q in meeting.custom_questions}
            fields["custom_questions"] = [dict(a) for a in fields["custom_questions"] if a["title"] in titles]
        return fields

    def _require_registration(self, meeting: SimMeeting, status: int = 404) -> None:
        if meeting.settings.get("approval_type", 2) == 2:
            # Error tables of "Add a webinar registrant" and "Perform batch registration": HTTP 404 with code
            # 404 "Registration has not been enabled for this meeting: {meetingId}."
            raise ApiError(status, 404, f"Registration has not been enabled for this meeting: {meeting.id}.")

    def _find(self, meeting: SimMeeting, person: dict) -> SimRegistrant | None:
        if "id" in person:
            registrant = meeting.registrants.get(str(person["id"]))
            if registrant is None:
                return None
            if "email" in person and str(person["email"]).casefold() != registrant.email.casefold():
                return None
            return registrant
        return meeting.registrants.get(meeting.by_email.get(str(person.get("email", "")).casefold(), ""))


#: Answer to adding again an email whose registration was denied or cancelled (Zoom's generic code 300, as
#: for other refused values: no document names a code for this case).
DENIED_MESSAGE = "Registrant {email} is denied or blocked for this meeting and cannot register again."
