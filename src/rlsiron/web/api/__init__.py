"""The JSON API under `/api/v1`: one router module per resource.

- accounts (`rlsiron.web.accounts`): sign up, sign in, session, sign out
- person.py       /me, its facts and settings, the exports, deletion
- records.py      /me/labs, /me/irls, /me/diary, /me/medicines, /me/conditions,
                  /me/iron-courses (CRUD), /me/assessments (saved: read, delete)
- assessments.py  POST /assessments (stateless), GET /me/assessment?as_of= (not saved),
                  POST /me/assessments?as_of= (saves one)
- uploads.py      /me/uploads (preview, stores nothing), /me/uploads/accept
- clinic.py       share codes, shares and revocation; clinics, joining, members, invitations
- worklist.py     a clinic's worklist, a linked patient's assessment and notes
- feed.py         a clinic's lab feed (FHIR Bulk NDJSON, HL7 v2 batches), patient identifiers
- audit (`rlsiron.web.audit`): GET /me/audit, GET /clinics/{organisation_id}/audit
  (?format=csv: the whole log)
"""

from __future__ import annotations

from fastapi import APIRouter

from rlsiron.web import accounts, audit
from rlsiron.web.api import assessments, clinic, feed, person, uploads, worklist
from rlsiron.web.api.records import records_router


def api_router() -> APIRouter:
    router = APIRouter()
    for module in (accounts, person, assessments, uploads, clinic, worklist, feed, audit):
        router.include_router(module.router)
    router.include_router(records_router())
    return router
