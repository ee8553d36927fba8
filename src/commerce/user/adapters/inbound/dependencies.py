"""How the routers reach the use cases the composition root built for this app."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from commerce.user.application.use_cases import UserUseCases


async def use_cases(request: Request) -> UserUseCases:
    built: UserUseCases | None = getattr(request.app.state, "user_use_cases", None)
    if built is None:
        raise RuntimeError("the user service's lifespan has not run")
    return built


UseCases = Annotated[UserUseCases, Depends(use_cases)]
