"""A small evaluator for the CEL rules (x-kubernetes-validations) of CRD schemas.

It covers what the Gateway API and Envoy Gateway rules use: literals, field
access, has(), the all/exists/exists_one/map/filter macros, in, comparisons,
&&, ||, !, ?:, arithmetic, size(), matches(), startsWith(), endsWith(),
contains(), split(), lowerAscii() and upperAscii().
NOTE: a rule with other syntax or functions, or whose evaluation fails
(for example on a missing field), is skipped, so it never rejects an object
that a real server would accept for that reason.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

Node = tuple[Any, ...]


class CelUnsupported(Exception):
    """The rule uses syntax or a function this evaluator does not implement."""


class CelError(Exception):
    """Evaluating the rule failed (missing field, wrong type)."""


TOKEN_RE = re.compile(
    r"""\s*(?:
    (?P<string>[rR]?(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'))
    |(?P<number>\d+\.\d+|\d+[uU]?)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*)
    |(?P<operator>&&|\|\||==|!=|<=|>=|[-+*/%!<>?:.,()\[\]{}])
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, Any]]:
    result: list[tuple[str, Any]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = TOKEN_RE.match(text, position)
        if not match or match.end() == position:
            raise CelUnsupported(f"unexpected character at {position}")
        position = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "string":
            result.append(("literal", _string(value)))
        elif kind == "number":
            result.append(("literal", float(value) if "." in value else int(value.rstrip("uU"))))
        elif kind == "name" and value in ("true", "false"):
            result.append(("literal", value == "true"))
        elif kind == "name" and value == "null":
            result.append(("literal", None))
        elif kind == "name" and value == "in":
            result.append(("operator", "in"))
        else:
            result.append((kind, value))
    result.append(("end", None))
    return result


def _string(token: str) -> str:
    raw = token[0] in "rR"
    if raw:
        token = token[1:]
    quote = token[:3] if token[:3] in ('"""', "'''") else token[0]
    body = token[len(quote):-len(quote)]
    if raw:
        return body
    return body.encode("utf-8").decode("unicode_escape")


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.position = 0

    def peek(self) -> tuple[str, Any]:
        return self.tokens[self.position]

    def take(self, value: Any = None) -> tuple[str, Any]:
        token = self.tokens[self.position]
        if value is not None and token[1] != value:
            raise CelUnsupported(f"expected {value}, found {token[1]}")
        self.position += 1
        return token

    def parse(self) -> Node:
        node = self.ternary()
        if self.peek()[0] != "end":
            raise CelUnsupported(f"unexpected {self.peek()[1]}")
        return node

    def ternary(self) -> Node:
        condition = self.binary(0)
        if self.peek() == ("operator", "?"):
            self.take("?")
            when_true = self.ternary()
            self.take(":")
            return ("if", condition, when_true, self.ternary())
        return condition

    LEVELS = [("||",), ("&&",), ("==", "!=", "<", "<=", ">", ">=", "in"), ("+", "-"), ("*", "/", "%")]

    def binary(self, level: int) -> Node:
        if level == len(self.LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while self.peek()[0] == "operator" and self.peek()[1] in self.LEVELS[level]:
            operator = self.take()[1]
            node = ("op", operator, node, self.binary(level + 1))
        return node

    def unary(self) -> Node:
        if self.peek() == ("operator", "!"):
            self.take()
            return ("not", self.unary())
        if self.peek() == ("operator", "-"):
            self.take()
            return ("neg", self.unary())
        return self.postfix(self.primary())

    def arguments(self) -> list[Node]:
        self.take("(")
        arguments = []
        while self.peek() != ("operator", ")"):
            arguments.append(self.ternary())
            if self.peek() == ("operator", ","):
                self.take()
        self.take(")")
        return arguments

    def postfix(self, node: Node) -> Node:
        while True:
            token = self.peek()
            if token == ("operator", "."):
                self.take()
                name = self.take()[1]
                if self.peek() == ("operator", "("):
                    node = ("method", name, node, self.arguments())
                else:
                    node = ("field", node, name)
            elif token == ("operator", "["):
                self.take()
                index = self.ternary()
                self.take("]")
                node = ("index", node, index)
            else:
                return node

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "literal":
            return ("literal", value)
        if kind == "name":
            if self.peek() == ("operator", "("):
                return ("call", value, self.arguments())
            return ("name", value)
        if value == "(":
            node = self.ternary()
            self.take(")")
            return node
        if value == "[":
            entries = []
            while self.peek() != ("operator", "]"):
                entries.append(self.ternary())
                if self.peek() == ("operator", ","):
                    self.take()
            self.take("]")
            return ("list", entries)
        if value == "{":
            pairs = []
            while self.peek() != ("operator", "}"):
                key = self.ternary()
                self.take(":")
                pairs.append((key, self.ternary()))
                if self.peek() == ("operator", ","):
                    self.take()
            self.take("}")
            return ("map", pairs)
        raise CelUnsupported(f"unexpected {value}")


@lru_cache(maxsize=1024)
def compile_rule(rule: str) -> Node:
    """Parse a rule once; raise CelUnsupported for syntax outside the subset."""
    return _Parser(rule).parse()


MACROS = {"all", "exists", "exists_one", "map", "filter"}


def _items(collection: Any) -> list[Any]:
    if isinstance(collection, dict):
        return list(collection)
    if isinstance(collection, list):
        return collection
    raise CelError("macro target is not a list or map")


def _size(value: Any) -> int:
    if isinstance(value, (str, list, dict)):
        return len(value)
    raise CelError("size() of a value without size")


def _evaluate(node: Node, scope: dict[str, Any]) -> Any:
    kind = node[0]
    if kind == "literal":
        return node[1]
    if kind == "name":
        if node[1] not in scope:
            raise CelUnsupported(f"unknown name {node[1]}")
        return scope[node[1]]
    if kind == "list":
        return [_evaluate(entry, scope) for entry in node[1]]
    if kind == "map":
        return {_evaluate(key, scope): _evaluate(value, scope) for key, value in node[1]}
    if kind == "field":
        target = _evaluate(node[1], scope)
        if isinstance(target, dict) and node[2] in target:
            return target[node[2]]
        raise CelError(f"no such key: {node[2]}")
    if kind == "index":
        target, index = _evaluate(node[1], scope), _evaluate(node[2], scope)
        try:
            return target[index]
        except (KeyError, IndexError, TypeError) as error:
            raise CelError("invalid index") from error
    if kind == "if":
        return _evaluate(node[2] if _boolean(_evaluate(node[1], scope)) else node[3], scope)
    if kind == "not":
        return not _boolean(_evaluate(node[1], scope))
    if kind == "neg":
        return -_evaluate(node[1], scope)
    if kind == "op":
        return _operator(node, scope)
    if kind == "call":
        return _call(node[1], node[2], scope)
    if kind == "method":
        return _method(node, scope)
    raise CelUnsupported(kind)


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise CelError("condition is not a bool")
    return value


def _logical(operator: str, left: Node, right: Node, scope: dict[str, Any]) -> bool:
    # CEL's && and || ignore an error on one side when the other side decides the result.
    decisive = operator == "||"
    try:
        left_value = _boolean(_evaluate(left, scope))
    except CelError:
        if _boolean(_evaluate(right, scope)) == decisive:
            return decisive
        raise
    if left_value == decisive:
        return decisive
    return _boolean(_evaluate(right, scope))


def _equal(a: Any, b: Any) -> bool:
    # Unlike Python, CEL never treats true as equal to 1.
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return a == b


def _operator(node: Node, scope: dict[str, Any]) -> Any:
    operator, left, right = node[1], node[2], node[3]
    if operator in ("&&", "||"):
        return _logical(operator, left, right, scope)
    a, b = _evaluate(left, scope), _evaluate(right, scope)
    if operator == "==":
        return _equal(a, b)
    if operator == "!=":
        return not _equal(a, b)
    if operator == "in":
        if isinstance(b, (list, dict)):
            return a in b
        raise CelError("in needs a list or map")
    try:
        if operator == "<":
            return a < b
        if operator == "<=":
            return a <= b
        if operator == ">":
            return a > b
        if operator == ">=":
            return a >= b
        if operator == "+":
            return a + b
        if operator == "-":
            return a - b
        if operator == "*":
            return a * b
        if operator == "/":
            return a // b if isinstance(a, int) and isinstance(b, int) else a / b
        if operator == "%":
            return a % b
    except (TypeError, ZeroDivisionError) as error:
        raise CelError(str(error)) from error
    raise CelUnsupported(operator)


def _call(name: str, arguments: list[Node], scope: dict[str, Any]) -> Any:
    if name == "has":
        if len(arguments) != 1 or arguments[0][0] != "field":
            raise CelUnsupported("has() needs a field selection")
        target = _evaluate(arguments[0][1], scope)
        if isinstance(target, dict):
            return arguments[0][2] in target
        raise CelError("has() on a value that is not an object")
    values = [_evaluate(argument, scope) for argument in arguments]
    if name == "size" and len(values) == 1:
        return _size(values[0])
    if name == "string" and len(values) == 1:
        return str(values[0]).lower() if isinstance(values[0], bool) else str(values[0])
    if name == "int" and len(values) == 1:
        try:
            return int(values[0])
        except (TypeError, ValueError) as error:
            raise CelError("int() failed") from error
    raise CelUnsupported(f"function {name}")


def _method(node: Node, scope: dict[str, Any]) -> Any:
    name, target_node, arguments = node[1], node[2], node[3]
    if name in MACROS:
        if len(arguments) != 2 or arguments[0][0] != "name":
            raise CelUnsupported(f"{name} needs a variable and an expression")
        variable, body = arguments[0][1], arguments[1]
        entries = _items(_evaluate(target_node, scope))

        def test(entry: Any) -> Any:
            return _evaluate(body, {**scope, variable: entry})

        if name == "all":
            return all(_boolean(test(entry)) for entry in entries)
        if name == "exists":
            return any(_boolean(test(entry)) for entry in entries)
        if name == "exists_one":
            return sum(1 for entry in entries if _boolean(test(entry))) == 1
        if name == "map":
            return [test(entry) for entry in entries]
        return [entry for entry in entries if _boolean(test(entry))]

    target = _evaluate(target_node, scope)
    values = [_evaluate(argument, scope) for argument in arguments]
    if name == "size" and not values:
        return _size(target)
    if not isinstance(target, str):
        raise CelError(f"{name}() on a value that is not a string")
    if name == "matches" and len(values) == 1:
        try:
            return re.search(values[0], target) is not None
        except re.error as error:
            raise CelUnsupported("pattern outside Python's regular expressions") from error
    if name == "startsWith" and len(values) == 1:
        return target.startswith(values[0])
    if name == "endsWith" and len(values) == 1:
        return target.endswith(values[0])
    if name == "contains" and len(values) == 1:
        return values[0] in target
    if name == "split" and len(values) == 1:
        return target.split(values[0])
    if name == "lowerAscii" and not values:
        return target.lower()
    if name == "upperAscii" and not values:
        return target.upper()
    raise CelUnsupported(f"method {name}")


def rule_holds(rule: str, value: Any) -> bool | None:
    """Evaluate a rule with `self` bound to value: True or False, or None when it is skipped."""
    if "oldSelf" in rule:
        return None
    try:
        result = _evaluate(compile_rule(rule), {"self": value})
    except (CelUnsupported, CelError, RecursionError):
        return None
    return result if isinstance(result, bool) else None
