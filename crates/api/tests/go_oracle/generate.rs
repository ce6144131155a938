//! Templates built structurally (proptest strategies over a small grammar of Go's
//! template language), printed as text. Some are invalid on purpose (`break` outside a
//! range, undefined variables, bad arity, type errors): failing where Go fails is half of
//! the contract.
//!
//! Only Go's builtins that sprig does not shadow are used: not `slice` (sprig's `slice`
//! replaces Go's under Bitnami) and not `call` (refused).

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

fn pick(options: &'static [&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(options)
        .prop_map(str::to_owned)
        .boxed()
}

/// A leaf operand.
fn operand() -> BoxedStrategy<String> {
    prop_oneof![
        6 => pick(&[".", ".user", ".pass", ".empty", ".num", ".missing", ".zero", ".Upper", "$", "$.user"]),
        1 => pick(&[".user.x", ".missing.x", "$x", "$y", "$x.user"]),
        4 => pick(&[
            "\"a\"", "\"\"", "\"user\"", "\"a\\tb\"", "`r\\n`", "\"\\xff\"", "\"日本\"",
            "\"%d\"", "\"%s|%v\"", "\"%q\"", "\"%5.2f\"", "\"%-4s|\"", "\"%x %X\"",
            "\"%03d\"", "\"%+d\"", "\"%[2]v %[1]v\"", "\"%c\"", "\"%U\"", "\"%t\"",
            "\"%e\"", "\"%g\"", "\"%T\"", "\"%\"", "\"%!\"", "\"%#x\"", "\"%*d\"",
            "\"%.1s\"", "\"% d\"", "\"%o\"", "\"%b\"", "\"%08.3f\"",
        ]),
        3 => pick(&[
            "0", "1", "-2", "42", "0x1F", "1.5", "-0.25", "1e3", "'a'", "'\\n'", "1_000",
            "0b101", "0o17", "017", "2.0", "1e-7", "123456789", "1e21",
        ]),
        1 => pick(&["true", "false", "nil"]),
    ]
    .boxed()
}

/// Go's builtins with the argument counts they take (the rest of the time, any count).
const FUNCS: &[(&str, usize, usize)] = &[
    ("and", 1, 3),
    ("or", 1, 3),
    ("not", 1, 1),
    ("len", 1, 1),
    ("index", 2, 3),
    ("print", 0, 3),
    ("printf", 1, 3),
    ("println", 0, 3),
    ("eq", 2, 3),
    ("ne", 2, 2),
    ("lt", 2, 2),
    ("le", 2, 2),
    ("gt", 2, 2),
    ("ge", 2, 2),
    ("html", 0, 2),
    ("js", 0, 2),
    ("urlquery", 0, 2),
];

/// A command: an operand alone, or a function with arguments.
fn command(arg: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let call = (
        proptest::sample::select(FUNCS),
        proptest::collection::vec(arg.clone(), 0..4),
        0..8u8,
    )
        .prop_map(|((f, min, max), mut args, odd)| {
            // Mostly a fitting count; sometimes whatever was drawn.
            if odd != 0 {
                args.truncate(max);
                while args.len() < min {
                    args.push("1".to_owned());
                }
            }
            let mut s = f.to_owned();
            for a in args {
                s.push(' ');
                s.push_str(&a);
            }
            s
        });
    prop_oneof![2 => arg, 3 => call.clone()].boxed()
}

/// A later stage of a pipeline: a function call mostly (a literal there is an error).
fn stage(arg: BoxedStrategy<String>) -> BoxedStrategy<String> {
    prop_oneof![1 => command(arg.clone()), 6 => command(arg).prop_filter("a call", |c| {
        c.chars().next().is_some_and(|ch| ch.is_ascii_lowercase())
    })]
    .boxed()
}

fn stages(arg: BoxedStrategy<String>) -> BoxedStrategy<String> {
    (
        command(arg.clone()),
        proptest::collection::vec(stage(arg), 0..2),
    )
        .prop_map(|(first, rest)| {
            let mut s = first;
            for r in rest {
                s.push_str(" | ");
                s.push_str(&r);
            }
            s
        })
        .boxed()
}

/// A pipeline: optional declaration, then commands joined by `|`.
fn pipeline() -> BoxedStrategy<String> {
    let arg = operand().prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            3 => inner.clone(),
            1 => stages(inner.clone().boxed()).prop_map(|p| format!("({p})")),
            1 => (stages(inner.boxed()), pick(&[".user", ".x", ".a.b"]))
                .prop_map(|(p, f)| format!("({p}){f}")),
        ]
    });
    (
        pick(&["", "", "", "$x := ", "$y := ", "$x = ", "$x, $y := "]),
        stages(arg.boxed()),
    )
        .prop_map(|(decl, p)| format!("{decl}{p}"))
        .boxed()
}

fn open() -> BoxedStrategy<String> {
    prop_oneof![4 => pick(&["{{", "{{ "]), 3 => pick(&["{{- "]), 1 => pick(&["{{-"])].boxed()
}

fn close() -> BoxedStrategy<String> {
    prop_oneof![4 => pick(&["}}", " }}"]), 3 => pick(&[" -}}"]), 1 => pick(&["-}}"])].boxed()
}

/// A sequence of nodes.
fn nodes(depth: u32) -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        4 => pick(&["a", " ", "\n", "x y", " \t\n b", "<&>"]),
        6 => (open(), pipeline(), close()).prop_map(|(o, p, c)| format!("{o}{p}{c}")),
        2 => pick(&["{{/* c */}}", "{{- /* c */ -}}", "{{template \"t\"}}", "{{template \"t\" .user}}"]),
        // Valid only inside a range, or never: rare, so that most templates get to run.
        1 => pick(&["{{break}}", "{{continue}}", "{{else}}", "{{end}}"]),
    ]
    .boxed();
    if depth == 0 {
        return proptest::collection::vec(leaf, 0..4)
            .prop_map(|v| v.concat())
            .boxed();
    }
    let inner = nodes(depth - 1);
    let control = (
        pick(&[
            "if",
            "with",
            "range",
            "range $i, $e :=",
            "range $e :=",
            "if not",
        ]),
        pipeline(),
        inner.clone(),
        proptest::option::of(inner.clone()),
        pick(&["", "else if .user", "else if .missing"]),
        open(),
        close(),
    )
        .prop_map(|(kw, p, body, other, elif, o, c)| {
            let head = if kw.starts_with("range $") {
                // A declaration is already there: the pipeline must not bring another.
                format!("{o}{kw} {}{c}", p.split(":= ").last().unwrap_or(&p))
            } else {
                format!("{o}{kw} {p}{c}")
            };
            let mut s = head + &body;
            if !elif.is_empty() && kw.starts_with("if") {
                s += &format!("{{{{{elif}}}}}{}", other.clone().unwrap_or_default());
            }
            if let Some(e) = other {
                s += &format!("{{{{else}}}}{e}");
            }
            s + "{{end}}"
        });
    proptest::collection::vec(prop_oneof![3 => leaf, 1 => control], 0..4)
        .prop_map(|v| v.concat())
        .boxed()
}

/// A whole template: nodes, sometimes with a definition of "t" and a `block`.
fn template() -> BoxedStrategy<String> {
    (
        // Variables declared up front, so that later uses of `$x`, `$y` mostly parse.
        pick(&[
            "",
            "{{ $x := .user }}{{ $y := 1 }}",
            "{{- $x := . -}}{{ $y := \"%d\" }}",
        ]),
        nodes(2),
        proptest::option::of(nodes(1)),
        pick(&[
            "",
            "",
            "{{block \"b\" .}}[{{.user}}]{{end}}",
            "{{block \"b\" (print .num)}}{{.}}{{end}}",
        ]),
    )
        .prop_map(|(vars, body, def, block)| match def {
            Some(d) => format!("{{{{define \"t\"}}}}{d}{{{{end}}}}{vars}{body}{block}"),
            None => format!("{vars}{body}{block}"),
        })
        .boxed()
}

/// `n` generated templates (a fresh random seed each run; a difference prints the template).
pub fn templates(n: usize) -> Vec<String> {
    let mut runner = TestRunner::default();
    let strategy = template();
    (0..n)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .map(|t| t.current())
                .unwrap_or_default()
        })
        .collect()
}
