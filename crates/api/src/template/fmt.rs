//! Go's `fmt` for the values a template has: `Sprint`, `Sprintln`, `Sprintf` (verbs, flags,
//! width, precision, `*`, argument indexes, and Go's `%!verb(type=value)` error forms), and
//! `strconv`'s quoting and float formatting.
//!
//! Everything is written into metered, zeroizing buffers: a number or string formatted from
//! a value is plaintext, so no `format!` of a value leaves an unwiped heap copy (the one
//! `String` float formatting needs is wiped before it is dropped).

use super::budget::SecureBuf;
use super::error::TemplateError;
use super::value::Value;
use zeroize::Zeroize;

type R = Result<(), TemplateError>;

/// Print the result of an action as `text/template` does: no value is `<no value>`,
/// anything else `fmt.Fprint`.
pub(super) fn print_value(v: &Value<'_>, out: &mut SecureBuf<'_>) -> R {
    match v {
        Value::Missing => out.extend(b"<no value>"),
        v => Printer::new(out).print_arg(v, 'v'),
    }
}

/// `fmt.Sprint(args...)`: spaces between operands when neither side is a string.
pub(super) fn sprint(args: &[Value<'_>], out: &mut SecureBuf<'_>) -> R {
    let mut prev_string = false;
    let mut p = Printer::new(out);
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::Str(_));
        if i > 0 && !is_string && !prev_string {
            p.out.extend(b" ")?;
        }
        p.flags = Flags::default();
        p.print_arg(a, 'v')?;
        prev_string = is_string;
    }
    Ok(())
}

/// `fmt.Sprintln(args...)`: always spaces, then a newline.
pub(super) fn sprintln(args: &[Value<'_>], out: &mut SecureBuf<'_>) -> R {
    let mut p = Printer::new(out);
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            p.out.extend(b" ")?;
        }
        p.flags = Flags::default();
        p.print_arg(a, 'v')?;
    }
    p.out.extend(b"\n")
}

#[derive(Default, Clone, Copy)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
    wid: Option<usize>,
    prec: Option<usize>,
}

struct Printer<'b, 'm> {
    out: &'b mut SecureBuf<'m>,
    flags: Flags,
}

const LDIGITS: &[u8; 17] = b"0123456789abcdefx";
const UDIGITS: &[u8; 17] = b"0123456789ABCDEFX";

/// Go's `tooLarge`: widths, precisions and argument numbers above a million are refused.
const TOO_LARGE: usize = 1_000_000;

/// `fmt.Sprintf(format, args...)`.
pub(super) fn sprintf(format: &[u8], args: &[Value<'_>], out: &mut SecureBuf<'_>) -> R {
    let mut p = Printer::new(out);
    let end = format.len();
    let mut c = Cursor::default();
    'format: while c.i < end {
        c.good_arg_num = true;
        let last = c.i;
        while c.i < end && format[c.i] != b'%' {
            c.i += 1;
        }
        if c.i > last {
            p.out.extend(&format[last..c.i])?;
        }
        if c.i >= end {
            break;
        }
        c.i += 1;
        p.flags = Flags::default();
        while c.i < end {
            let b = format[c.i];
            match b {
                b'#' => p.flags.sharp = true,
                b'0' => p.flags.zero = !p.flags.minus,
                b'+' => p.flags.plus = true,
                b'-' => {
                    p.flags.minus = true;
                    p.flags.zero = false;
                }
                b' ' => p.flags.space = true,
                _ => {
                    // Go's fast path: a plain lowercase verb right after the flags.
                    if b.is_ascii_lowercase() && c.arg_num < args.len() {
                        p.print_next(args, &mut c.arg_num, char::from(b))?;
                        c.i += 1;
                        continue 'format;
                    }
                    break;
                }
            }
            c.i += 1;
        }

        c.index(format, args.len());
        if c.i < end && format[c.i] == b'*' {
            match c.star(args) {
                None => {
                    p.out.extend(b"%!(BADWIDTH)")?;
                    p.flags.wid = None;
                }
                Some(w) if w < 0 => {
                    p.flags.wid = Some(w.unsigned_abs() as usize);
                    p.flags.minus = true;
                    p.flags.zero = false;
                }
                Some(w) => p.flags.wid = Some(w.unsigned_abs() as usize),
            }
        } else {
            let (w, present, ni) = parse_num(format, c.i, end);
            c.i = ni;
            p.flags.wid = present.then_some(w);
            if c.after_index && present {
                c.good_arg_num = false;
            }
        }

        if c.i + 1 < end && format[c.i] == b'.' {
            c.i += 1;
            if c.after_index {
                c.good_arg_num = false;
            }
            c.index(format, args.len());
            if c.i < end && format[c.i] == b'*' {
                match c.star(args) {
                    Some(pr) if pr >= 0 => p.flags.prec = Some(pr.unsigned_abs() as usize),
                    _ => {
                        p.flags.prec = None;
                        p.out.extend(b"%!(BADPREC)")?;
                    }
                }
            } else {
                let (pr, present, ni) = parse_num(format, c.i, end);
                c.i = ni;
                p.flags.prec = Some(if present { pr } else { 0 });
            }
        }

        if !c.after_index {
            c.index(format, args.len());
        }

        if c.i >= end {
            p.out.extend(b"%!(NOVERB)")?;
            break;
        }
        let (verb, size) = decode_rune(&format[c.i..]);
        c.i += size;
        match verb {
            '%' => p.out.extend(b"%")?,
            _ if !c.good_arg_num => p.bad_arg(verb, b"BADINDEX")?,
            _ if c.arg_num >= args.len() => p.bad_arg(verb, b"MISSING")?,
            _ => p.print_next(args, &mut c.arg_num, verb)?,
        }
    }
    if !c.reordered && c.arg_num < args.len() {
        p.flags = Flags::default();
        p.out.extend(b"%!(EXTRA ")?;
        for (k, a) in args[c.arg_num..].iter().enumerate() {
            if k > 0 {
                p.out.extend(b", ")?;
            }
            match a {
                Value::Nil | Value::Missing => p.out.extend(b"<nil>")?,
                a => {
                    p.out.extend(a.type_name().as_bytes())?;
                    p.out.extend(b"=")?;
                    p.print_arg(a, 'v')?;
                }
            }
        }
        p.out.extend(b")")?;
    }
    Ok(())
}

/// Where `sprintf` stands: Go's `i`, `argNum`, `afterIndex`, `reordered` and `goodArgNum`.
/// They are one struct because an explicit `[n]` index or a `*` moves several of them at once,
/// at three places in a directive.
#[derive(Default)]
struct Cursor {
    i: usize,
    arg_num: usize,
    after_index: bool,
    reordered: bool,
    good_arg_num: bool,
}

impl Cursor {
    /// Go's `argNumber` step: take an explicit `[n]` index at `i`, if one is there.
    fn index(&mut self, format: &[u8], num_args: usize) {
        self.reordered |= format.get(self.i) == Some(&b'[');
        let (n, ni, found, good) = arg_number(self.arg_num, format, self.i, num_args);
        (self.arg_num, self.i, self.after_index) = (n, ni, found);
        self.good_arg_num &= good;
    }

    /// A `*` at `i`: the width or precision comes from the next argument, which must be an
    /// integer no larger than [`TOO_LARGE`]; `None` otherwise.
    fn star(&mut self, args: &[Value<'_>]) -> Option<i64> {
        self.i += 1;
        let (n, ok, next) = int_from_arg(args, self.arg_num);
        self.arg_num = next;
        self.after_index = false;
        ok.then_some(n)
    }
}

/// Go's `argNumber`: an explicit `[n]` index at `i`. Returns (argument number, new index,
/// whether an index was found, whether it was good).
fn arg_number(
    arg_num: usize,
    format: &[u8],
    i: usize,
    num_args: usize,
) -> (usize, usize, bool, bool) {
    if format.len() <= i || format[i] != b'[' {
        return (arg_num, i, false, true);
    }
    let (index, wid, ok) = parse_arg_number(&format[i..]);
    if ok && index >= 1 && index - 1 < num_args {
        return (index - 1, i + wid, true, true);
    }
    (arg_num, i + wid, ok, false)
}

/// Go's `parseArgNumber` (1-based index as written, width consumed, ok).
fn parse_arg_number(format: &[u8]) -> (usize, usize, bool) {
    if format.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..format.len() {
        if format[i] == b']' {
            let (n, ok, ni) = parse_num(format, 1, i);
            if !ok || ni != i {
                return (0, i + 1, false);
            }
            return (n, i + 1, true);
        }
    }
    (0, 1, false)
}

/// Go's `parsenum`: (number, whether digits were there, new index).
fn parse_num(s: &[u8], start: usize, end: usize) -> (usize, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let mut num = 0usize;
    let mut is_num = false;
    let mut i = start;
    while i < end && s[i].is_ascii_digit() {
        if num > TOO_LARGE {
            return (0, false, end);
        }
        num = num * 10 + usize::from(s[i] - b'0');
        is_num = true;
        i += 1;
    }
    (num, is_num, i)
}

/// Go's `intFromArg`: a `*` width or precision taken from an integer argument.
fn int_from_arg(args: &[Value<'_>], arg_num: usize) -> (i64, bool, usize) {
    let Some(a) = args.get(arg_num) else {
        return (0, false, arg_num);
    };
    match a.as_int() {
        Some(n) if n.unsigned_abs() <= TOO_LARGE as u64 => (n, true, arg_num + 1),
        _ => (0, false, arg_num + 1),
    }
}

fn decode_rune(b: &[u8]) -> (char, usize) {
    match b.utf8_chunks().next() {
        Some(chunk) if !chunk.valid().is_empty() => {
            let c = chunk.valid().chars().next().unwrap_or('\u{FFFD}');
            (c, c.len_utf8())
        }
        _ => ('\u{FFFD}', 1),
    }
}

fn rune_count(b: &[u8]) -> usize {
    b.utf8_chunks()
        .map(|c| c.valid().chars().count() + c.invalid().len())
        .sum()
}

impl<'b, 'm> Printer<'b, 'm> {
    fn new(out: &'b mut SecureBuf<'m>) -> Self {
        Self {
            out,
            flags: Flags::default(),
        }
    }

    fn scratch(&self) -> SecureBuf<'m> {
        SecureBuf::new(self.out.meter())
    }

    fn write_padding(&mut self, n: usize, zero: bool) -> R {
        let byte = if zero { b'0' } else { b' ' };
        let chunk = [byte; 64];
        let mut left = n;
        while left > 0 {
            let k = left.min(64);
            self.out.extend(&chunk[..k])?;
            left -= k;
        }
        Ok(())
    }

    /// Go's `fmt.pad`: `b` padded to the width, counted in runes.
    fn pad(&mut self, b: &[u8]) -> R {
        let Some(wid) = self.flags.wid.filter(|w| *w > 0) else {
            return self.out.extend(b);
        };
        let width = wid.saturating_sub(rune_count(b));
        let zero = self.flags.zero;
        if self.flags.minus {
            self.out.extend(b)?;
            self.write_padding(width, zero)
        } else {
            self.write_padding(width, zero)?;
            self.out.extend(b)
        }
    }

    fn bad_arg(&mut self, verb: char, what: &[u8]) -> R {
        self.out.extend(b"%!")?;
        self.rune(verb)?;
        self.out.extend(b"(")?;
        self.out.extend(what)?;
        self.out.extend(b")")
    }

    fn rune(&mut self, c: char) -> R {
        let mut tmp = [0u8; 4];
        self.out.extend(c.encode_utf8(&mut tmp).as_bytes())
    }

    fn bad_verb(&mut self, verb: char, v: &Value<'_>) -> R {
        self.out.extend(b"%!")?;
        self.rune(verb)?;
        self.out.extend(b"(")?;
        match v {
            Value::Nil | Value::Missing => self.out.extend(b"<nil>")?,
            v => {
                self.out.extend(v.type_name().as_bytes())?;
                self.out.extend(b"=")?;
                self.print_arg(v, 'v')?;
            }
        }
        self.out.extend(b")")
    }

    /// Go's `printArg` (depth 0) and `printValue` (inside collections).
    /// Print `args[*arg_num]` with `verb` and move past it. For `%v`, Go turns the `#` and
    /// `+` flags into `sharpV` and `plusV`.
    fn print_next(&mut self, args: &[Value<'_>], arg_num: &mut usize, verb: char) -> R {
        let Some(arg) = args.get(*arg_num) else {
            return self.bad_arg(verb, b"MISSING");
        };
        if verb == 'v' {
            self.flags.sharp_v = self.flags.sharp;
            self.flags.sharp = false;
            self.flags.plus_v = self.flags.plus;
            self.flags.plus = false;
        }
        self.print_arg(arg, verb)?;
        *arg_num += 1;
        Ok(())
    }

    fn print_arg(&mut self, v: &Value<'_>, verb: char) -> R {
        self.print_value(v, verb, 0)
    }

    fn print_value(&mut self, v: &Value<'_>, verb: char, depth: usize) -> R {
        if verb == 'T' && depth == 0 {
            return match v {
                // Go pads "<nil>" without truncating it; a type name is a `%s`.
                Value::Nil | Value::Missing => self.pad(b"<nil>"),
                v => self.fmt_s(v.type_name().as_bytes()),
            };
        }
        match v {
            Value::Nil | Value::Missing => {
                if depth > 0 {
                    // A nil element of a []interface{} or map[string]interface{}.
                    return self.out.extend(b"<nil>");
                }
                match verb {
                    'v' => self.pad(b"<nil>"),
                    _ => self.bad_verb(verb, v),
                }
            }
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad(if *b { b"true" } else { b"false" }),
                _ => self.bad_verb(verb, v),
            },
            Value::Int(i) | Value::Int64(i) => self.fmt_int(*i, verb, v),
            // `%#v` of an unsigned integer is Go syntax: 0x-prefixed hexadecimal.
            Value::Uint8(b) if verb == 'v' && self.flags.sharp_v => {
                self.flags.sharp = true;
                self.fmt_integer(u64::from(*b), 16, false, 'v', LDIGITS)
            }
            Value::Uint8(b) => self.fmt_int(i64::from(*b), verb, v),
            Value::Float(f) => self.fmt_float_verb(*f, verb, v),
            Value::Str(s) => self.fmt_string(s.as_bytes(), verb, v),
            Value::List(list) => {
                if self.flags.sharp_v {
                    return self.sharp_v_unsupported();
                }
                self.out.extend(b"[")?;
                for (i, item) in list.items.iter().enumerate() {
                    if i > 0 {
                        self.out.extend(b" ")?;
                    }
                    self.print_value(item, verb, depth + 1)?;
                }
                self.out.extend(b"]")
            }
            Value::Map(map) => {
                if self.flags.sharp_v {
                    return self.sharp_v_unsupported();
                }
                self.out.extend(b"map[")?;
                for (i, (k, item)) in map.entries().iter().enumerate() {
                    if i > 0 {
                        self.out.extend(b" ")?;
                    }
                    self.print_value(&Value::Str(k.clone()), verb, depth + 1)?;
                    self.out.extend(b":")?;
                    self.print_value(item, verb, depth + 1)?;
                }
                self.out.extend(b"]")
            }
        }
    }

    /// `%#v` of a list or map prints Go syntax, which we do not write.
    fn sharp_v_unsupported(&self) -> R {
        Err(TemplateError::Unsupported("%#v of a list or map"))
    }

    fn fmt_s(&mut self, s: &[u8]) -> R {
        let s = truncate(s, self.flags.prec);
        self.pad(s)
    }

    fn fmt_string(&mut self, s: &[u8], verb: char, v: &Value<'_>) -> R {
        match verb {
            'v' if self.flags.sharp_v => self.fmt_q(s),
            'v' | 's' => self.fmt_s(s),
            'x' => self.fmt_sx(s, LDIGITS),
            'X' => self.fmt_sx(s, UDIGITS),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(verb, v),
        }
    }

    fn fmt_sx(&mut self, s: &[u8], digits: &[u8; 17]) -> R {
        let mut length = s.len();
        if let Some(p) = self.flags.prec {
            length = length.min(p);
        }
        let mut width = 2 * length;
        if width > 0 {
            if self.flags.space {
                if self.flags.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.flags.sharp {
                width += 2;
            }
        } else {
            if let Some(w) = self.flags.wid {
                self.write_padding(w, self.flags.zero)?;
            }
            return Ok(());
        }
        let wid = self.flags.wid.unwrap_or(0);
        if wid > width && !self.flags.minus {
            self.write_padding(wid - width, self.flags.zero)?;
        }
        if self.flags.sharp {
            self.out.extend(&[b'0', digits[16]])?;
        }
        for (i, c) in s[..length].iter().enumerate() {
            if self.flags.space && i > 0 {
                self.out.extend(b" ")?;
                if self.flags.sharp {
                    self.out.extend(&[b'0', digits[16]])?;
                }
            }
            self.out
                .extend(&[digits[usize::from(c >> 4)], digits[usize::from(c & 0xf)]])?;
        }
        if wid > width && self.flags.minus {
            self.write_padding(wid - width, self.flags.zero)?;
        }
        Ok(())
    }

    fn fmt_q(&mut self, s: &[u8]) -> R {
        let s = truncate(s, self.flags.prec);
        let mut tmp = self.scratch();
        if self.flags.sharp && can_backquote(s) {
            tmp.extend(b"`")?;
            tmp.extend(s)?;
            tmp.extend(b"`")?;
        } else {
            quote(s, b'"', self.flags.plus, &mut tmp)?;
        }
        self.pad(tmp.as_slice())
    }

    fn fmt_int(&mut self, i: i64, verb: char, v: &Value<'_>) -> R {
        let u = i as u64;
        match verb {
            'v' | 'd' => self.fmt_integer(u, 10, true, verb, LDIGITS),
            'b' => self.fmt_integer(u, 2, true, verb, LDIGITS),
            'o' | 'O' => self.fmt_integer(u, 8, true, verb, LDIGITS),
            'x' => self.fmt_integer(u, 16, true, verb, LDIGITS),
            'X' => self.fmt_integer(u, 16, true, verb, UDIGITS),
            'c' => {
                let c = rune_or_error(u);
                let mut tmp = [0u8; 4];
                let bytes = c.encode_utf8(&mut tmp).as_bytes().to_owned();
                self.pad(&bytes)
            }
            'q' => {
                let c = rune_or_error(u);
                let mut tmp = self.scratch();
                let mut enc = [0u8; 4];
                quote(
                    c.encode_utf8(&mut enc).as_bytes(),
                    b'\'',
                    self.flags.plus,
                    &mut tmp,
                )?;
                self.pad(tmp.as_slice())
            }
            'U' => self.fmt_unicode(u),
            _ => self.bad_verb(verb, v),
        }
    }

    /// Go's `fmt.fmtInteger`.
    fn fmt_integer(
        &mut self,
        mut u: u64,
        base: u64,
        signed: bool,
        verb: char,
        digits: &[u8; 17],
    ) -> R {
        let negative = signed && (u as i64) < 0;
        if negative {
            u = u.wrapping_neg();
        }
        let f = self.flags;
        let mut prec = 0usize;
        if let Some(p) = f.prec {
            prec = p;
            if p == 0 && u == 0 {
                return self.write_padding(f.wid.unwrap_or(0), false);
            }
        } else if f.zero && f.wid.is_some() {
            prec = f.wid.unwrap_or(0);
            if negative || f.plus || f.space {
                prec = prec.saturating_sub(1);
            }
        }
        // Digits, most significant last, then reversed.
        let mut rev: Vec<u8> = Vec::with_capacity(70);
        loop {
            rev.push(digits[(u % base) as usize]);
            u /= base;
            if u == 0 {
                break;
            }
        }
        let mut body = self.scratch();
        body.reserve_exact_more(prec.max(rev.len()) + 4)?;
        let zeros = prec.saturating_sub(rev.len());
        let mut prefix: Vec<u8> = Vec::new();
        if negative {
            prefix.push(b'-');
        } else if f.plus {
            prefix.push(b'+');
        } else if f.space {
            prefix.push(b' ');
        }
        let leading_zero = zeros > 0 || rev.last() == Some(&b'0');
        if f.sharp {
            match base {
                2 => prefix.extend_from_slice(b"0b"),
                8 if !leading_zero => prefix.push(b'0'),
                16 => prefix.extend_from_slice(&[b'0', digits[16]]),
                _ => {}
            }
        }
        if verb == 'O' {
            prefix.extend_from_slice(b"0o");
        }
        body.extend(&prefix)?;
        for _ in 0..zeros {
            body.extend(b"0")?;
        }
        rev.reverse();
        body.extend(&rev)?;
        rev.zeroize();
        let saved = self.flags.zero;
        self.flags.zero = false;
        let r = self.pad(body.as_slice());
        self.flags.zero = saved;
        r
    }

    fn fmt_unicode(&mut self, u: u64) -> R {
        let mut prec = 4usize;
        if let Some(p) = self.flags.prec.filter(|p| *p > 4) {
            prec = p;
        }
        let mut body = self.scratch();
        body.extend(b"U+")?;
        let mut hex: Vec<u8> = Vec::new();
        let mut x = u;
        loop {
            hex.push(UDIGITS[(x & 0xf) as usize]);
            x >>= 4;
            if x == 0 {
                break;
            }
        }
        for _ in hex.len()..prec {
            body.extend(b"0")?;
        }
        hex.reverse();
        body.extend(&hex)?;
        if self.flags.sharp
            && let Some(c) = u32::try_from(u).ok().and_then(char::from_u32)
            && go_is_print(c)
        {
            body.extend(b" '")?;
            let mut tmp = [0u8; 4];
            body.extend(c.encode_utf8(&mut tmp).as_bytes())?;
            body.extend(b"'")?;
        }
        let saved = self.flags.zero;
        self.flags.zero = false;
        let r = self.pad(body.as_slice());
        self.flags.zero = saved;
        r
    }

    fn fmt_float_verb(&mut self, f: f64, verb: char, v: &Value<'_>) -> R {
        match verb {
            'v' => self.fmt_float(f, 'g', None),
            'g' | 'G' => self.fmt_float(f, verb, None),
            'e' | 'E' | 'f' => self.fmt_float(f, verb, Some(6)),
            'F' => self.fmt_float(f, 'f', Some(6)),
            'b' | 'x' | 'X' => self.fmt_float(f, verb, None),
            _ => self.bad_verb(verb, v),
        }
    }

    /// Go's `fmt.fmtFloat` over `strconv.AppendFloat`.
    fn fmt_float(&mut self, v: f64, verb: char, default_prec: Option<usize>) -> R {
        let prec = self.flags.prec.or(default_prec);
        let mut num = self.scratch();
        num.extend(if v.is_sign_negative() { b"-" } else { b"+" })?;
        format_float(v.abs(), verb, prec, &mut num)?;
        let mut n: Vec<u8> = num.as_slice().to_vec();
        if self.flags.space && n[0] == b'+' && !self.flags.plus {
            n[0] = b' ';
        }
        if n.get(1).is_some_and(|c| *c == b'I' || *c == b'N') {
            if n[1] == b'N' && !self.flags.space && !self.flags.plus {
                n.remove(0);
            }
            let saved = self.flags.zero;
            self.flags.zero = false;
            let r = self.pad(&n);
            self.flags.zero = saved;
            n.zeroize();
            return r;
        }
        if self.flags.sharp && verb != 'b' {
            let mut digits: isize = match verb {
                'v' | 'g' | 'G' | 'x' => prec.map_or(6, |p| p as isize),
                _ => 0,
            };
            let mut tail: Vec<u8> = Vec::new();
            let mut has_point = false;
            let mut saw_nonzero = false;
            let mut i = 1;
            while i < n.len() {
                match n[i] {
                    b'.' => has_point = true,
                    b'p' | b'P' => {
                        tail.extend_from_slice(&n[i..]);
                        n.truncate(i);
                        break;
                    }
                    b'e' | b'E' if verb != 'x' && verb != 'X' => {
                        tail.extend_from_slice(&n[i..]);
                        n.truncate(i);
                        break;
                    }
                    c => {
                        if c != b'0' {
                            saw_nonzero = true;
                        }
                        if saw_nonzero {
                            digits -= 1;
                        }
                    }
                }
                i += 1;
            }
            if !has_point {
                if n.len() == 2 && n[1] == b'0' {
                    digits -= 1;
                }
                n.push(b'.');
            }
            while digits > 0 {
                n.push(b'0');
                digits -= 1;
            }
            n.extend_from_slice(&tail);
        }
        let r = if self.flags.plus || n[0] != b'+' {
            match self.flags.wid {
                Some(w) if self.flags.zero && w > n.len() => {
                    self.out.extend(&n[..1])?;
                    self.write_padding(w - n.len(), true)?;
                    self.out.extend(&n[1..])
                }
                _ => self.pad(&n),
            }
        } else {
            let body = n[1..].to_vec();
            let r = self.pad(&body);
            let mut body = body;
            body.zeroize();
            r
        };
        n.zeroize();
        r
    }
}

fn rune_or_error(u: u64) -> char {
    u32::try_from(u)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}')
}

/// Go's `truncateString`: the first `prec` runes (an invalid byte counts as one).
fn truncate(s: &[u8], prec: Option<usize>) -> &[u8] {
    let Some(mut n) = prec else {
        return s;
    };
    let mut i = 0;
    while i < s.len() {
        if n == 0 {
            return &s[..i];
        }
        n -= 1;
        let (_, w) = decode_rune(&s[i..]);
        i += w;
    }
    s
}

/// `strconv.CanBackquote`.
fn can_backquote(s: &[u8]) -> bool {
    for chunk in s.utf8_chunks() {
        if !chunk.invalid().is_empty() {
            return false;
        }
        for c in chunk.valid().chars() {
            if c == '\u{feff}' {
                return false;
            }
            if c.is_ascii() && ((c < ' ' && c != '\t') || c == '`' || c == '\u{7f}') {
                return false;
            }
        }
    }
    true
}

/// `strconv.Quote` (quote `"`), `QuoteRune` (quote `'`), and their `ToASCII` forms.
pub(super) fn quote(s: &[u8], q: u8, ascii_only: bool, out: &mut SecureBuf<'_>) -> R {
    out.extend(&[q])?;
    for chunk in s.utf8_chunks() {
        for c in chunk.valid().chars() {
            escaped_rune(c, q, ascii_only, out)?;
        }
        for b in chunk.invalid() {
            hex_escape(b'x', u32::from(*b), 2, out)?;
        }
    }
    out.extend(&[q])
}

fn escaped_rune(c: char, q: u8, ascii_only: bool, out: &mut SecureBuf<'_>) -> R {
    if c as u32 == u32::from(q) || c == '\\' {
        return out.extend(&[b'\\', c as u8]);
    }
    let printable = if ascii_only {
        c.is_ascii() && go_is_print(c)
    } else {
        go_is_print(c)
    };
    if printable {
        let mut tmp = [0u8; 4];
        return out.extend(c.encode_utf8(&mut tmp).as_bytes());
    }
    match c {
        '\u{7}' => out.extend(b"\\a"),
        '\u{8}' => out.extend(b"\\b"),
        '\u{c}' => out.extend(b"\\f"),
        '\n' => out.extend(b"\\n"),
        '\r' => out.extend(b"\\r"),
        '\t' => out.extend(b"\\t"),
        '\u{b}' => out.extend(b"\\v"),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => hex_escape(b'x', c as u32, 2, out),
        c if (c as u32) < 0x10000 => hex_escape(b'u', c as u32, 4, out),
        c => hex_escape(b'U', c as u32, 8, out),
    }
}

fn hex_escape(kind: u8, value: u32, digits: usize, out: &mut SecureBuf<'_>) -> R {
    let mut buf = [0u8; 10];
    buf[0] = b'\\';
    buf[1] = kind;
    for i in 0..digits {
        let shift = 4 * (digits - 1 - i);
        buf[2 + i] = LDIGITS[((value >> shift) & 0xf) as usize];
    }
    out.extend(&buf[..2 + digits])
}

/// Go's `unicode.IsPrint` (which `strconv.IsPrint` matches): letters, marks, numbers,
/// punctuation, symbols and U+0020, from Go's own tables.
pub(super) fn go_is_print(c: char) -> bool {
    super::unicode_tables::contains(super::unicode_tables::PRINT, c)
}

/// `strconv.FormatFloat(v, verb, prec, 64)` for a non-negative `v` (sign written by the
/// caller): verbs `e`, `E`, `f`, `g`, `G`; `prec` None means shortest.
fn format_float(v: f64, verb: char, prec: Option<usize>, out: &mut SecureBuf<'_>) -> R {
    if v.is_nan() {
        return out.extend(b"NaN");
    }
    if v.is_infinite() {
        return out.extend(b"Inf");
    }
    if matches!(verb, 'b' | 'x' | 'X') {
        return binary_float(v, verb, prec, out);
    }
    // Decimal digits (no trailing zeros) and the decimal point position, as Go's decimal.
    let (mut digits, dp) = match (verb, prec) {
        (_, None) => decimal_digits(v, None),
        ('e' | 'E', Some(p)) => decimal_digits(v, Some(p.saturating_add(1))),
        ('g' | 'G', Some(p)) => decimal_digits(v, Some(p.max(1))),
        (_, Some(p)) => fixed_digits(v, p),
    };
    let nd = digits.len() as isize;
    let r = match verb {
        'e' | 'E' => {
            let p = prec.unwrap_or(nd.saturating_sub(1).max(0) as usize);
            fmt_e(&digits, dp, p, verb == 'E', out)
        }
        'f' => {
            let p = prec.unwrap_or((nd - dp).max(0) as usize);
            fmt_f(&digits, dp, p, out)
        }
        _ => {
            let shortest = prec.is_none();
            let mut p = match prec {
                None => nd as usize,
                Some(0) => 1,
                Some(p) => p,
            };
            let mut eprec = p as isize;
            if eprec > nd && nd >= dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = dp - 1;
            if exp < -4 || exp >= eprec {
                if p as isize > nd {
                    p = nd as usize;
                }
                fmt_e(&digits, dp, p.saturating_sub(1), verb == 'G', out)
            } else {
                if p as isize > dp {
                    p = nd as usize;
                }
                fmt_f(&digits, dp, (p as isize - dp).max(0) as usize, out)
            }
        }
    };
    digits.zeroize();
    r
}

/// Significant digits of `v` (shortest round-trip when `n` is None, else rounded to `n`),
/// without trailing zeros, and the decimal exponent `dp` (value = 0.digits × 10^dp).
fn decimal_digits(v: f64, n: Option<usize>) -> (Vec<u8>, isize) {
    if v == 0.0 {
        return (Vec::new(), 0);
    }
    let mut s = match n {
        None => format!("{v:e}"),
        Some(n) => format!("{:.*e}", n.saturating_sub(1).min(1100), v),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: isize = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    s.zeroize();
    while digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits.is_empty() {
        return (Vec::new(), 0);
    }
    (digits, exp + 1)
}

/// Digits of `v` rounded to `p` places after the point, trimmed, with `dp`.
fn fixed_digits(v: f64, p: usize) -> (Vec<u8>, isize) {
    let mut s = format!("{:.*}", p.min(1100), v);
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut all: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let mut dp = int.len() as isize;
    s.zeroize();
    let lead = all.iter().take_while(|c| **c == b'0').count();
    all.drain(..lead);
    dp -= lead as isize;
    while all.last() == Some(&b'0') {
        all.pop();
    }
    if all.is_empty() {
        return (Vec::new(), 0);
    }
    (all, dp)
}

/// `%e`: d.ddddde±dd.
fn fmt_e(digits: &[u8], dp: isize, prec: usize, upper: bool, out: &mut SecureBuf<'_>) -> R {
    out.extend(&[digits.first().copied().unwrap_or(b'0')])?;
    if prec > 0 {
        out.extend(b".")?;
        for i in 1..=prec {
            out.extend(&[digits.get(i).copied().unwrap_or(b'0')])?;
        }
    }
    out.extend(if upper { b"E" } else { b"e" })?;
    let exp = if digits.is_empty() { 0 } else { dp - 1 };
    out.extend(if exp < 0 { b"-" } else { b"+" })?;
    let e = exp.unsigned_abs();
    if e < 10 {
        out.extend(&[b'0', b'0' + e as u8])
    } else if e < 100 {
        out.extend(&[b'0' + (e / 10) as u8, b'0' + (e % 10) as u8])
    } else {
        out.extend(&[
            b'0' + (e / 100) as u8,
            b'0' + (e / 10 % 10) as u8,
            b'0' + (e % 10) as u8,
        ])
    }
}

/// `%f`: ddd.ddd with `prec` places.
fn fmt_f(digits: &[u8], dp: isize, prec: usize, out: &mut SecureBuf<'_>) -> R {
    if dp > 0 {
        for i in 0..dp as usize {
            out.extend(&[digits.get(i).copied().unwrap_or(b'0')])?;
        }
    } else {
        out.extend(b"0")?;
    }
    if prec > 0 {
        out.extend(b".")?;
        for i in 1..=prec as isize {
            let j = dp + i - 1;
            let c = if j < 0 {
                b'0'
            } else {
                digits.get(j as usize).copied().unwrap_or(b'0')
            };
            out.extend(&[c])?;
        }
    }
    Ok(())
}

/// `strconv.FormatFloat` with `b` (mantissa `p` binary exponent) and `x`/`X` (hexadecimal
/// mantissa and binary exponent), for a non-negative finite `v`.
fn binary_float(v: f64, verb: char, prec: Option<usize>, out: &mut SecureBuf<'_>) -> R {
    const MANT_BITS: u32 = 52;
    let bits = v.to_bits();
    let mut exp = ((bits >> MANT_BITS) & 0x7ff) as i64;
    let mut mant = bits & ((1u64 << MANT_BITS) - 1);
    if exp == 0 {
        exp += 1;
    } else {
        mant |= 1u64 << MANT_BITS;
    }
    exp -= 1023;
    let mut tmp = [0u8; 24];
    if verb == 'b' {
        let digits = decimal(mant, &mut tmp);
        out.extend(digits)?;
        let e = exp - i64::from(MANT_BITS);
        out.extend(if e >= 0 { b"p+" } else { b"p-" })?;
        let digits = decimal(e.unsigned_abs(), &mut tmp);
        return out.extend(digits);
    }
    if mant == 0 {
        exp = 0;
    }
    mant <<= 60 - MANT_BITS;
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if let Some(p) = prec.filter(|p| *p < 15) {
        let shift = (p * 4) as u32;
        let extra = (mant << shift) & ((1u64 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let hex = if verb == 'X' { UDIGITS } else { LDIGITS };
    out.extend(&[b'0', verb as u8, b'0' + ((mant >> 60) & 1) as u8])?;
    mant <<= 4;
    match prec {
        None if mant != 0 => {
            out.extend(b".")?;
            while mant != 0 {
                out.extend(&[hex[((mant >> 60) & 15) as usize]])?;
                mant <<= 4;
            }
        }
        Some(p) if p > 0 => {
            out.extend(b".")?;
            for _ in 0..p {
                out.extend(&[hex[((mant >> 60) & 15) as usize]])?;
                mant <<= 4;
            }
        }
        _ => {}
    }
    out.extend(if verb == 'X' { b"P" } else { b"p" })?;
    out.extend(if exp < 0 { b"-" } else { b"+" })?;
    let e = exp.unsigned_abs();
    if e < 10 {
        out.extend(b"0")?;
    }
    let digits = decimal(e, &mut tmp);
    out.extend(digits)
}

/// `n` in decimal, in `buf`.
fn decimal(mut n: u64, buf: &mut [u8; 24]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}
