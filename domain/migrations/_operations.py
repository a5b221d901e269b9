"""Operations the migrations share (the loader skips modules whose names start with "_")."""

from typing import Any

from tortoise.migrations import operations as ops


class RunSQLOn(ops.RunSQL):
    """RunSQL on one kind of database only, each statement whole (SQLite's schema editor
    would split a trigger's body at its semicolons)."""

    def __init__(self, dialect: str, sql: list[str], reverse_sql: list[str]) -> None:
        super().__init__(sql, reverse_sql)
        self.dialect = dialect

    async def database_forward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None) -> None:
        await self._run_on(state_editor, self.sql)

    async def database_backward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None) -> None:
        await self._run_on(state_editor, self.reverse_sql)

    async def _run_on(self, state_editor: Any, statements: list[str]) -> None:
        if state_editor is None or state_editor.DIALECT != self.dialect:
            return
        for statement in statements:
            await _run(state_editor, statement)


class AlterFieldOnPostgres(ops.AlterField):
    """An AlterField whose database change is made on PostgreSQL only."""

    async def database_forward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None) -> None:
        if state_editor is not None and state_editor.DIALECT == "postgres":
            await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None) -> None:
        if state_editor is not None and state_editor.DIALECT == "postgres":
            await super().database_backward(app_label, old_state, new_state, state_editor)


class AddFieldBySQL(ops.AddField):
    """An AddField whose column the given SQL adds and drops, on every database: for what the
    schema editor cannot say, such as a NOT NULL column with a default for the rows there are
    already."""

    def __init__(self, model_name: str, name: str, field: Any, sql: str, reverse_sql: str) -> None:
        super().__init__(model_name, name, field)
        self.sql = sql
        self.reverse_sql = reverse_sql

    async def database_forward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None) -> None:
        await _run(state_editor, self.sql)

    async def database_backward(self, app_label: str, old_state: Any, new_state: Any, state_editor: Any = None) -> None:
        await _run(state_editor, self.reverse_sql)


async def _run(state_editor: Any, statement: str) -> None:
    """Run the statement, or collect it when the editor only collects SQL."""
    if state_editor is None:
        return
    if state_editor.collect_sql:
        state_editor.collected_sql.append(statement)
    else:
        await state_editor.client.execute_query(statement)
