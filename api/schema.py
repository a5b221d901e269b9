"""The schema, with its abuse limits declared once: depth, tokens, aliases, introspection
only for signed-in admins; the domain errors a mutation expects returned as its result
union's members, and unexpected errors masked."""

from __future__ import annotations

from collections.abc import Iterator

import strawberry
from graphql import GraphQLError, Visitor, visit
from graphql.validation import ASTValidationRule, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.types import ExecutionContext

from api.context import Context
from api.errors import exception_handlers, log_error, should_mask
from api.mutations import Mutation
from api.queries import Query
from domain.permissions import Permission

MAX_DEPTH = 10
MAX_TOKENS = 2000
MAX_ALIASES = 15
MAX_FIELDS = 250
CACHED_DOCUMENTS = 256
# The depth and alias limits as validation rules made once (QueryDepthLimiter and
# MaxAliasesLimiter make new ones per request), so that a validated document can be cached.
LIMIT_RULES: list[type[ASTValidationRule]] = [
    depth_rule(MAX_DEPTH, None),
    aliases_rule(MAX_ALIASES),
]


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


class MaxFieldsLimiter(SchemaExtension):
    """At most MAX_FIELDS field selections in a document, counted before validation: graphql's
    rule that overlapping fields can be merged compares same-named selections pairwise, so 400
    repeats of `viewer { permissions }` (within the token limit) cost a second of CPU to
    validate; 250 fields cost at most about 0.1 s (the largest page query selects 40)."""

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None:
            counter = _FieldCounter()
            visit(document, counter)
            if counter.fields > MAX_FIELDS:
                self.execution_context.pre_execution_errors = [
                    GraphQLError(
                        f"The document selects {counter.fields} fields; at most {MAX_FIELDS}."
                    )
                ]
        yield


class _FieldCounter(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.fields = 0

    def enter_field(self, *args: object) -> None:
        self.fields += 1


class CachedValidation(ValidationCache):
    """Strawberry's validation cache, but a document already refused (by MaxFieldsLimiter) is
    not validated at all."""

    def on_validate(self) -> Iterator[None]:
        if self.execution_context.pre_execution_errors:
            yield
            return
        yield from super().on_validate()


class MaskUnexpectedErrors(MaskErrors):
    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        masked = super().anonymise_error(error)
        masked.extensions = {"errorId": (error.extensions or {}).get("errorId")}
        return masked


class Schema(strawberry.Schema):
    """Strawberry's schema, but its errors are logged by `log_error` (expected ones at INFO, by
    message and place only) instead of each at ERROR with the document around it."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        for error in errors:
            log_error(error)


def build_schema() -> strawberry.Schema:
    return Schema(
        query=Query,
        mutation=Mutation,
        exception_handlers=exception_handlers(),
        extensions=[
            lambda: AddValidationRules(LIMIT_RULES),
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            IntrospectionForAdmins,
            MaxFieldsLimiter,
            # parsed and validated documents are kept by query text and by the rules that
            # applied (introspection is a rule: admins' and others' validations stay apart)
            lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
            lambda: CachedValidation(maxsize=CACHED_DOCUMENTS),
            lambda: MaskUnexpectedErrors(
                should_mask_error=should_mask, error_message="Unexpected error."
            ),
        ],
    )


def schema_sdl() -> str:
    return build_schema().as_str() + "\n"
