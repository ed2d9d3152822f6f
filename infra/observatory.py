"""``Observatory``: the storage one observatory gets, grouped as one component."""

from __future__ import annotations

import pulumi

from infra.config import ObservatoryConfig, StackConfig
from infra.resources.view import View


class Observatory(pulumi.ComponentResource):
    """One block of stack config becomes one of these; no code per observatory."""

    def __init__(self, cfg: ObservatoryConfig, stack: StackConfig) -> None:
        super().__init__("vastobs:index:Observatory", cfg.name)
        child = pulumi.ResourceOptions(parent=self, protect=cfg.protect)
        self.view = View(
            f"{cfg.name}-view",
            path=cfg.path,
            local_root=str(stack.local_root.resolve()),
            allow_destroy_with_data=cfg.allow_destroy_with_data,
            opts=child,
        )
        self.register_outputs({"path": cfg.path, "directory": self.view.directory})
