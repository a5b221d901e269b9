"""The schema, with its abuse limits declared once: depth, tokens, aliases, introspection
only for signed-in admins, and unexpected errors masked."""

from __future__ import annotations

from collections.abc import Iterator

import strawberry
from graphql import GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

from api.context import Context
from api.errors import should_mask
from api.mutations import Mutation
from api.queries import Query
from domain.permissions import Permission

MAX_DEPTH = 10
MAX_TOKENS = 2000
MAX_ALIASES = 15


class IntrospectionForAdmins(SchemaExtension):
    """Only signed-in super-admins and admins may look at the schema."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        actor = context.actor if isinstance(context, Context) else None
        if actor is None or Permission.USERS_READ not in actor.permissions:
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                NoSchemaIntrospectionCustomRule,
            )
        yield


class MaskUnexpectedErrors(MaskErrors):
    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"errorId": (error.extensions or {}).get("errorId")}
        return masked


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
            IntrospectionForAdmins,
            lambda: MaskUnexpectedErrors(
                should_mask_error=should_mask, error_message="Unexpected error."
            ),
        ],
    )


def schema_sdl() -> str:
    return build_schema().as_str() + "\n"
