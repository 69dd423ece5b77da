"""Who is acting: users, roles, passwords, signed sessions and sign-in throttling.

Pure helpers (roles, principal, passwords, session, throttle) plus the user actions in
`tracking.auth.users`, whose SQL lives in `tracking.store.users`. No Streamlit here: the console
wires these into its sign-in form, cookie and page gating.
"""
