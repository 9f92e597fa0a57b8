"""How the domains are wired together: the parts each one installs for the others."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import xqr
from xqr.app import XqrApp
from xqr.context import Parts


def test_every_part_the_context_declares_is_installed_by_the_app(app: XqrApp) -> None:
    declared = Parts.__annotations__
    made_later = {name for name in declared if hasattr(Parts, name)}  # default None
    missing = [
        name for name in declared if name not in made_later and name not in vars(app.ctx.parts)
    ]
    assert missing == [], f"declared in xqr.context.Parts but set by no domain's install: {missing}"


SERVICES = sorted(
    f"xqr.{path.parent.name}.service" for path in (Path(xqr.__file__).parent).glob("*/service.py")
)


@pytest.mark.parametrize("module", SERVICES)
def test_a_service_loads_neither_fastapi_nor_starlette(module: str) -> None:
    # In a fresh interpreter: this one has loaded the whole app already.
    probe = (
        f"import importlib, sys; importlib.import_module({module!r}); "
        "print(sorted(m for m in ('fastapi', 'starlette') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]", f"importing {module} loads {result.stdout.strip()}"
