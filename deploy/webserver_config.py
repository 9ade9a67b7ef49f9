"""Login of the Airflow UI and API in production (FAB auth manager), mounted at /opt/airflow/webserver_config.py.

Default: accounts in Airflow's metadata database (AUTH_DB), created by an Admin in the UI (Security -> Users)
or with `airflow users create ... --role DataEngineer|Walidata|Viewer`. To log in with the province's
directory or single sign-on instead, uncomment one block below and restart airflow-apiserver; the roles stay
the ones `satudata airflow-roles` keeps (map directory groups onto them with AUTH_ROLES_MAPPING).
"""

import os  # noqa: F401 - the LDAP and OAuth blocks below read their secrets from the environment

from flask_appbuilder.const import AUTH_DB

AUTH_TYPE = AUTH_DB
# Nobody registers themselves: an Admin creates every account.
AUTH_USER_REGISTRATION = False
# Session cookies only over HTTPS when the UI is behind the TLS proxy (deploy/Caddyfile).
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- LDAP / Active Directory ------------------------------------------------------------------------
# from flask_appbuilder.const import AUTH_LDAP
# AUTH_TYPE = AUTH_LDAP
# AUTH_LDAP_SERVER = "ldaps://ldap.kab.go.id:636"
# AUTH_LDAP_SEARCH = "ou=people,dc=kab,dc=go,dc=id"
# AUTH_LDAP_UID_FIELD = "uid"
# AUTH_LDAP_BIND_USER = "cn=airflow,ou=services,dc=kab,dc=go,dc=id"
# AUTH_LDAP_BIND_PASSWORD = os.environ["AIRFLOW_LDAP_BIND_PASSWORD"]   # from .env, never here
# AUTH_USER_REGISTRATION = True            # an account is made at the first login ...
# AUTH_USER_REGISTRATION_ROLE = "Viewer"   # ... with the least role
# AUTH_ROLES_MAPPING = {"cn=satudata-engineers,ou=groups,dc=kab,dc=go,dc=id": ["DataEngineer"],
#                       "cn=walidata,ou=groups,dc=kab,dc=go,dc=id": ["Walidata"]}
# AUTH_ROLES_SYNC_AT_LOGIN = True

# --- OAuth / OpenID Connect (e.g. Keycloak of the province) -----------------------------------------
# from flask_appbuilder.const import AUTH_OAUTH
# AUTH_TYPE = AUTH_OAUTH
# OAUTH_PROVIDERS = [{
#     "name": "keycloak", "icon": "fa-key", "token_key": "access_token",
#     "remote_app": {
#         "client_id": "satudata-airflow", "client_secret": os.environ["AIRFLOW_OAUTH_CLIENT_SECRET"],
#         "server_metadata_url": "https://sso.prov.go.id/realms/satudata/.well-known/openid-configuration",
#         "client_kwargs": {"scope": "openid email profile"},
#     },
# }]
# AUTH_USER_REGISTRATION = True
# AUTH_USER_REGISTRATION_ROLE = "Viewer"
# AUTH_ROLES_MAPPING = {"satudata-engineers": ["DataEngineer"], "walidata": ["Walidata"]}
# AUTH_ROLES_SYNC_AT_LOGIN = True
