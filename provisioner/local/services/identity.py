"""The caller's identity: `GET /api/2.0/preview/scim/v2/Me` (SDK `current_user.me`).

The local workspace has one user, `Settings.user`, who creates everything it holds.
"""

from __future__ import annotations

from provisioner.local.protocol import Context, Request, Routes

routes = Routes()


@routes.get("/api/2.0/preview/scim/v2/Me")
def me(ctx: Context, req: Request) -> dict:
    return {"id": "1", "userName": ctx.settings.user, "active": True,
            "displayName": ctx.settings.user.split("@")[0],
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}
