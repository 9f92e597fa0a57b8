"""How the domains are wired together: the parts each one installs for the others."""

from __future__ import annotations

from xqr.app import XqrApp
from xqr.context import Parts


def test_every_part_the_context_declares_is_installed_by_the_app(app: XqrApp) -> None:
    declared = Parts.__annotations__
    made_later = {name for name in declared if hasattr(Parts, name)}  # default None
    missing = [
        name for name in declared if name not in made_later and name not in vars(app.ctx.parts)
    ]
    assert missing == [], f"declared in xqr.context.Parts but set by no domain's install: {missing}"
