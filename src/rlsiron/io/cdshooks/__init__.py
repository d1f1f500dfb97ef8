"""rlsiron as a CDS Hooks 2.0.1 service: iron status for RLS in the EHR's workflow.

Three services (services.py): patient-view assesses the record when a chart is opened;
order-select and order-sign check iron orders against the same assessment. The request and
every card are the specification's shapes (models.py). A call (hooks.py) gathers the record
from the prefetch or the client's FHIR server (gather.py, fhir_client.py), has it read by the
FHIR importer and assessed by the core (record.py), and answers cards (cards.py, orders.py).
Feedback on the cards is kept through a store (feedback.py). Which clients may call is
trust.py (the specification's signed JWTs, verified when issuers are configured); which
FHIR servers may be read, an allow-list given to the router. The HTTP layer is router.py:
`router.create_app()` serves it alone, `router.make_router()` mounts it in a larger app.
"""
