//! sprig's case functions: `upper`, `lower`, `title`, `untitle`, `swapcase`, `snakecase`,
//! `kebabcase`, `camelcase`.
//!
//! Go decodes strings rune by rune and writes each invalid byte back as U+FFFD, and maps
//! case one rune to one rune: see `unicode.rs`. `snakecase`, `kebabcase` and `camelcase`
//! follow huandu/xstrings' word splitting (its rules, not its code).

use super::super::budget::SecureBuf;
use super::super::error::TemplateError;
use super::super::func::{Call, FuncTable};
use super::super::value::Value;
use super::args;
use super::unicode::{
    decode, is_letter, is_lower, is_number, is_punct, is_space, is_title, is_upper, runes,
    to_lower, to_title, to_upper,
};

pub(super) fn register(table: &mut FuncTable) {
    table.register("upper", upper);
    table.register("lower", lower);
    table.register("title", title);
    table.register("untitle", untitle);
    table.register("swapcase", swapcase);
    table.register("snakecase", snakecase);
    table.register("kebabcase", kebabcase);
    table.register("camelcase", camelcase);
}

/// Extra work charged per byte of a non-ASCII character (see `unicode.rs`).
const NON_ASCII_WORK: usize = 15;

use super::Res;
type Done = std::result::Result<(), TemplateError>;

fn push(out: &mut SecureBuf<'_>, c: char) -> Done {
    let mut tmp = [0u8; 4];
    out.extend(c.encode_utf8(&mut tmp).as_bytes())
}

/// The one string argument, after charging the work of reading it.
fn one_string<'a>(
    call: &Call<'_, '_>,
    args: &'a [Value<'_>],
) -> std::result::Result<&'a [u8], TemplateError> {
    call.arity(args, 1)?;
    let s = args::string(call, args, 0)?;
    // A non-ASCII character costs Unicode class look-ups: charge its bytes more.
    let non_ascii = s.iter().filter(|b| !b.is_ascii()).count();
    call.work(
        s.len()
            .saturating_add(non_ascii.saturating_mul(NON_ASCII_WORK)),
    )?;
    Ok(s)
}

/// Every rune of `s` through `f` (Go's `strings.Map`).
fn map_runes<'v>(call: &Call<'_, 'v>, s: &[u8], mut f: impl FnMut(char) -> char) -> Res<'v> {
    let mut out = call.buf_with_capacity(s.len())?;
    for c in runes(s) {
        push(&mut out, f(c))?;
    }
    Ok(call.string(out))
}

fn upper<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let s = one_string(call, &args)?;
    map_runes(call, s, to_upper)
}

fn lower<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let s = one_string(call, &args)?;
    map_runes(call, s, to_lower)
}

/// Go's `strings.Title` separator rule.
fn is_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if is_letter(c) || super::unicode::is_digit(c) {
        return false;
    }
    is_space(c)
}

/// `title`: Go's `strings.Title`, the first letter of each word in title case.
fn title<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let s = one_string(call, &args)?;
    let mut prev = ' ';
    map_runes(call, s, |c| {
        let out = if is_separator(prev) { to_title(c) } else { c };
        prev = c;
        out
    })
}

/// `untitle`: the first letter of each whitespace-separated word in lower case.
fn untitle<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let s = one_string(call, &args)?;
    if s.is_empty() {
        return Ok(args[0].clone());
    }
    let mut next = true;
    map_runes(call, s, |c| {
        if is_space(c) {
            next = true;
            c
        } else if next {
            next = false;
            to_lower(c)
        } else {
            c
        }
    })
}

/// `swapcase` (goutils): upper and title case to lower; lower case to title case at the
/// start of a word, else to upper case.
fn swapcase<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let s = one_string(call, &args)?;
    if s.is_empty() {
        return Ok(args[0].clone());
    }
    let mut word_start = true;
    map_runes(call, s, |c| {
        if is_upper(c) || is_title(c) {
            word_start = false;
            to_lower(c)
        } else if is_lower(c) {
            let out = if word_start { to_title(c) } else { to_upper(c) };
            word_start = false;
            out
        } else {
            word_start = is_space(c);
            c
        }
    })
}

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || is_space(c)
}

/// A letter that is not a CJK ideograph.
fn is_alphabet(c: char) -> bool {
    is_letter(c) && !matches!(c as u32, 0x4E00..=0x9FCC | 0x3400..=0x4D85 | 0x20000..=0x2B81D)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Word {
    Invalid,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

/// The next valid rune of `s` and the bytes up to and including it (invalid bytes and
/// U+FFFD are skipped); `prev` and all of `s` when there is none.
fn next_valid(s: &[u8], prev: char) -> (char, usize) {
    let mut size = 0;
    while size < s.len() {
        let (c, w) = decode(&s[size..]);
        size += w;
        if c != char::REPLACEMENT_CHARACTER {
            return (c, size);
        }
    }
    (prev, size)
}

/// The next word of `s`: its kind and length in bytes.
fn next_word(s: &[u8]) -> (Word, usize) {
    if s.is_empty() {
        return (Word::Invalid, 0);
    }
    let (first, size) = next_valid(s, char::REPLACEMENT_CHARACTER);
    let mut offset = size;
    if first == char::REPLACEMENT_CHARACTER {
        return (Word::Invalid, offset);
    }
    // Extend the word while `keep` holds for the next valid rune.
    let take_while = |offset: &mut usize, mut r: char, keep: &dyn Fn(char) -> bool| -> char {
        while *offset < s.len() {
            let (c, size) = next_valid(&s[*offset..], r);
            r = c;
            if !keep(r) {
                break;
            }
            *offset += size;
        }
        r
    };
    let kind = if is_connector(first) {
        take_while(&mut offset, first, &is_connector);
        Word::Connector
    } else if is_punct(first) {
        take_while(&mut offset, first, &is_punct);
        Word::Punct
    } else if is_upper(first) {
        if offset < s.len() {
            let (r, size) = next_valid(&s[offset..], first);
            if is_upper(r) {
                let mut prev_size = size;
                offset += size;
                let mut r = r;
                while offset < s.len() {
                    let (c, size) = next_valid(&s[offset..], r);
                    r = c;
                    if !is_upper(r) {
                        break;
                    }
                    prev_size = size;
                    offset += size;
                }
                // `HTTPServer`: the last capital starts the next word.
                if offset < s.len() && is_alphabet(r) {
                    offset -= prev_size;
                }
            } else if is_alphabet(r) {
                offset += size;
                take_while(&mut offset, r, &|c| is_alphabet(c) && !is_upper(c));
            }
        }
        Word::Upper
    } else if is_alphabet(first) {
        take_while(&mut offset, first, &|c| is_alphabet(c) && !is_upper(c));
        Word::Alphabet
    } else if is_number(first) {
        take_while(&mut offset, first, &is_number);
        Word::Number
    } else {
        take_while(&mut offset, first, &|c| {
            !(is_connector(c) || is_alphabet(c) || is_number(c) || is_punct(c))
        });
        Word::Other
    };
    (kind, offset)
}

/// A word in lower case: upper-case and connector words rune by rune (connectors become
/// `connector`), other words as they are.
fn lower_word(out: &mut SecureBuf<'_>, kind: Word, word: &[u8], connector: char) -> Done {
    if kind != Word::Upper && kind != Word::Connector {
        return out.extend(word);
    }
    for c in runes(word) {
        if is_connector(c) {
            push(out, connector)?;
        } else if is_upper(c) {
            push(out, to_lower(c))?;
        } else {
            push(out, c)?;
        }
    }
    Ok(())
}

/// A cursor over the words of a string.
struct Words<'s> {
    rest: &'s [u8],
}

impl<'s> Words<'s> {
    fn next(&mut self) -> (Word, &'s [u8]) {
        let (kind, n) = next_word(self.rest);
        let n = n.min(self.rest.len());
        let word = &self.rest[..n];
        self.rest = &self.rest[n..];
        (kind, word)
    }
}

/// xstrings' `camelCaseToLowerCase`: words in lower case joined by `connector`.
fn to_lower_case<'v>(call: &Call<'_, 'v>, s: &[u8], connector: char) -> Res<'v> {
    let mut out = call.buf_with_capacity(s.len())?;
    if s.is_empty() {
        return Ok(call.string(out));
    }
    let mut words = Words { rest: s };
    let (mut kind, mut word) = words.next();
    let letters = |k: Word| k == Word::Alphabet || k == Word::Number;
    let separates = |k: Word| k != Word::Invalid && k != Word::Punct && k != Word::Connector;
    while !words.rest.is_empty() {
        if kind != Word::Connector {
            lower_word(&mut out, kind, word, connector)?;
        }
        let prev = kind;
        let last = word;
        (kind, word) = words.next();
        match prev {
            Word::Number => {
                while letters(kind) {
                    lower_word(&mut out, kind, word, connector)?;
                    (kind, word) = words.next();
                }
                if separates(kind) {
                    push(&mut out, connector)?;
                }
            }
            Word::Connector => lower_word(&mut out, prev, last, connector)?,
            Word::Punct => {}
            _ => {
                if kind != Word::Number {
                    if kind != Word::Connector && kind != Word::Punct {
                        push(&mut out, connector)?;
                    }
                    continue;
                }
                if words.rest.is_empty() {
                    continue;
                }
                let number = word;
                (kind, word) = words.next();
                if kind != Word::Alphabet {
                    lower_word(&mut out, Word::Number, number, connector)?;
                    if kind != Word::Connector && kind != Word::Punct {
                        push(&mut out, connector)?;
                    }
                    continue;
                }
                push(&mut out, connector)?;
                lower_word(&mut out, Word::Number, number, connector)?;
                while letters(kind) {
                    lower_word(&mut out, kind, word, connector)?;
                    (kind, word) = words.next();
                }
                if kind != Word::Invalid && kind != Word::Connector && kind != Word::Punct {
                    push(&mut out, connector)?;
                }
            }
        }
    }
    lower_word(&mut out, kind, word, connector)?;
    Ok(call.string(out))
}

fn snakecase<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let s = one_string(call, &args)?;
    to_lower_case(call, s, '_')
}

fn kebabcase<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let s = one_string(call, &args)?;
    to_lower_case(call, s, '-')
}

/// `camelcase` (upper camel case): connectors dropped, the rune after one upper-cased, the
/// others lower-cased; leading connectors are kept.
fn camelcase<'c, 'v>(call: &Call<'c, 'v>, args: Vec<Value<'v>>) -> Res<'v> {
    let s = one_string(call, &args)?;
    let mut out = call.buf_with_capacity(s.len())?;
    if s.is_empty() {
        return Ok(call.string(out));
    }
    let mut it = runes(s).peekable();
    let mut r0 = char::REPLACEMENT_CHARACTER;
    let mut any = false;
    for c in it.by_ref() {
        any = true;
        if !is_connector(c) {
            r0 = to_upper(c);
            break;
        }
        r0 = c;
        push(&mut out, c)?;
    }
    if it.peek().is_none() {
        if any {
            push(&mut out, r0)?;
        }
        return Ok(call.string(out));
    }
    for c in it {
        let r1 = r0;
        r0 = c;
        if is_connector(r0) && is_connector(r1) {
            push(&mut out, r1)?;
            continue;
        }
        if is_connector(r1) {
            r0 = to_upper(r0);
        } else {
            r0 = to_lower(r0);
            push(&mut out, r1)?;
        }
    }
    push(&mut out, r0)?;
    Ok(call.string(out))
}
