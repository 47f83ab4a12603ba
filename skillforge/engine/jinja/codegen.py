"""The sandbox's code generator (sandbox.py's `TemplateSandbox` compiles with it).

It writes `~` as a size-checked join, one chunk per output node, and the cheap cases of
`+`, `*`, `%`, `a.b` and `a[b]` in place (what the sandbox's `call_binop`, `getattr` and
`getitem` return for them), everything else as the calls to the sandbox Jinja2 writes.
"""

from __future__ import annotations

from typing import Any

from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst

# The names a dict has as attributes: `d.items` is the method, read through the sandbox.
DICT_NAMES = frozenset(dir(dict))


class BoundedConcat(CodeGenerator):
    """Compiles `~` to `environment.bounded_concat`, which checks the size before joining;
    and yields the parts of one output node (`{{ a }}-{{ b }}: {{ c }}`, a line of a loop) as
    one chunk, joined, not one chunk each: a render is the same text in fewer chunks, each of
    which the render's size cap (limits.py) and its consumer handle at a cost."""

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        if frame.buffer is not None or frame.require_output_check or len(node.nodes) < 2:
            super().visit_Output(node, frame)  # buffered (macros, set blocks), or extends
            return
        finalize = self._make_finalize()
        body: list[list[Any] | nodes.Expr] = []
        for child in node.nodes:  # as CodeGenerator.visit_Output groups them
            try:
                if not (finalize.const or isinstance(child, nodes.TemplateData)):
                    raise nodes.Impossible()
                const = self._output_child_to_const(child, frame, finalize)
            except (nodes.Impossible, Exception):
                body.append(child)
                continue
            if body and isinstance(body[-1], list):
                body[-1].append(const)
            else:
                body.append([const])
        if len(body) < 2:
            super().visit_Output(node, frame)
            return
        self.writeline("yield concat((")
        self.indent()
        for item in body:
            if isinstance(item, list):
                self.writeline(self._output_const_repr(item) + ",")
            else:
                self.newline(item)
                self._output_child_pre(item, frame, finalize)
                self.visit(item, frame)
                self._output_child_post(item, frame, finalize)
                self.write(",")
        self.outdent()
        self.writeline("))")

    @optimizeconst
    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        """`spec.name`: a dict's item read in place when the dict has it, as
        `TemplateSandbox.getattr` reads it; anything else through `environment.getattr`."""
        if self.environment.is_async or node.attr in DICT_NAMES:
            CodeGenerator.visit_Getattr(self, node, frame)
            return
        obj, attr = self.temporary_identifier(), repr(node.attr)
        self.write(f"({obj}[{attr}] if type({obj} := (")
        self.visit(node.node, frame)
        self.write(f")) is dict and {attr} in {obj} else environment.getattr({obj}, {attr}))")

    @optimizeconst
    def visit_Getitem(self, node: nodes.Getitem, frame: Frame) -> None:
        """`rules[i]`: a list's item by an int index in its range read in place, as
        `TemplateSandbox.getitem` reads it; anything else through `environment.getitem`."""
        if self.environment.is_async or isinstance(node.arg, nodes.Slice):
            CodeGenerator.visit_Getitem(self, node, frame)
            return
        obj, key = self.temporary_identifier(), self.temporary_identifier()
        self.write(f"({obj}[{key}] if (type({obj} := (")
        self.visit(node.node, frame)
        self.write(f")) is list) & (type({key} := (")
        self.visit(node.arg, frame)
        self.write(
            f")) is int) and -len({obj}) <= {key} < len({obj})"
            f" else environment.getitem({obj}, {key}))"
        )

    def _int_binop(self, node: nodes.BinExpr, frame: Frame, op: str) -> None:
        """`a + b`, `a * b`, `a % b` with two ints computed in place, anything else through
        `environment.call_binop` as before: what call_binop does with two ints, without the
        call (`i + 1`, `i % n` in a loop). Each operand is evaluated once, left first."""
        left, right = self.temporary_identifier(), self.temporary_identifier()
        self.write(f"({left} {op} {right} if (type({left} := (")
        self.visit(node.left, frame)
        self.write(f")) is int) & (type({right} := (")
        self.visit(node.right, frame)
        self.write(f")) is int) else environment.call_binop(context, {op!r}, {left}, {right}))")

    @optimizeconst
    def visit_Add(self, node: nodes.BinExpr, frame: Frame) -> None:
        self._int_binop(node, frame, "+")

    @optimizeconst
    def visit_Mul(self, node: nodes.BinExpr, frame: Frame) -> None:
        self._int_binop(node, frame, "*")

    @optimizeconst
    def visit_Mod(self, node: nodes.BinExpr, frame: Frame) -> None:
        self._int_binop(node, frame, "%")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            markup = "context.eval_ctx.volatile"
        else:
            markup = "True" if frame.eval_ctx.autoescape else "False"
        self.write(f"environment.bounded_concat({markup}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")
