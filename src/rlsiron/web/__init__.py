"""The personal app on the web: the JSON API and accounts (pages and charts build on them).

- app.py        create_app(settings): migrate, routers, problem details, security headers
- settings.py   Settings (pydantic-settings, from the environment or the CLI)
- deps.py       the typed dependencies routes declare: CurrentPerson, DatabaseDep, ...
- accounts.py   sign up, sign in (rate-limited), session, sign out
- cookies.py    the session cookie and the CSRF token derived from it
- passwords.py  argon2id hashing;  ratelimit.py  failed sign-ins per key and window
- problems.py   RFC 9457 problem details for every error
- openapi.py    problem responses and raw bodies in the OpenAPI document
- headers.py    the security headers middleware
- api/          the API's routers, one per resource
"""
