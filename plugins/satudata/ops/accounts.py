"""Personal Airflow accounts in production: the roles of the FAB auth manager, kept as data.

    satudata airflow-roles           # create or bring the three roles up to date (idempotent)
    airflow users create -u siti -r Walidata -f Siti -l Rahma -e siti@kab.go.id --use-random-password

| role | who | may |
|---|---|---|
| `DataEngineer` | Diskominfo/Bappeda data engineers | everything FAB's `Op` may: run, clear, backfill, pause every DAG; pools, connections, variables |
| `Walidata` | the walidata of the Satu Data forum | read everything a viewer reads; answer the publication approval (HITL) of `satudata_publish`, nothing else |
| `Viewer` | anyone who watches runs | read only (FAB's own role, unchanged) |

The walidata's answer needs `can_edit` on the HITL resource *and* on the DAG it belongs to (FAB checks
both); the DAG permission is given for `satudata_publish` only, which also lets the walidata pause that one
DAG: the only side effect, and a harmless one. Users live in the Airflow metadata database (AUTH_DB);
LDAP or OAuth are set in `webserver_config.py` (docs/deploy.md), the roles stay these.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

PUBLISH_DAG = "satudata_publish"
DATA_ENGINEER = "DataEngineer"
WALIDATA = "Walidata"
VIEWER = "Viewer"


def role_permissions() -> dict[str, set[tuple[str, str]]]:
    """(action, resource) pairs of the roles this project manages, from FAB's own role definitions."""
    from airflow.providers.fab.auth_manager.security_manager.override import (
        FabAirflowSecurityManagerOverride as SM,
    )
    from airflow.providers.fab.www.security import permissions as P

    viewer = set(SM.VIEWER_PERMISSIONS)
    return {
        DATA_ENGINEER: viewer | set(SM.USER_PERMISSIONS) | set(SM.OP_PERMISSIONS),
        WALIDATA: viewer | {
            (P.ACTION_CAN_EDIT, P.RESOURCE_HITL_DETAIL),
            (P.ACTION_CAN_ACCESS_MENU, P.RESOURCE_HITL_DETAIL),
            (P.ACTION_CAN_EDIT, P.resource_name(PUBLISH_DAG, P.RESOURCE_DAG)),
        },
    }


def sync_roles() -> dict[str, int]:
    """Create the roles or bring their permissions to exactly the definition; returns permissions per role."""
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    wanted = role_permissions()
    out = {}
    with get_application_builder() as appbuilder:
        sm = appbuilder.sm
        for name, pairs in wanted.items():
            role = sm.find_role(name) or sm.add_role(name)
            have = {(p.action.name, p.resource.name): p for p in role.permissions}
            for action, resource in sorted(pairs - set(have)):
                sm.add_permission_to_role(role, sm.create_permission(action, resource))
            for pair in sorted(set(have) - pairs):
                sm.remove_permission_from_role(role, have[pair])
            out[name] = len(pairs)
            log.info("role %s: %d permissions (%d added, %d removed)", name, len(pairs), len(pairs - set(have)),
                     len(set(have) - pairs))
    return out
