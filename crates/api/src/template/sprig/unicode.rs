//! Go's `unicode` package where Rust's `char` methods differ: Go maps case one rune to one
//! rune (simple case mapping; Rust's `to_uppercase` may yield several), Go has a title case,
//! and Go's `IsUpper`/`IsLower` are the general categories Lu/Ll (Rust's include the
//! Other_Uppercase/Other_Lowercase characters such as `Ⓐ`).
//!
//! Go 1.19 uses Unicode 13; Rust's tables are newer. Characters assigned after Unicode 13 may
//! differ (documented).

use regex::Regex;
use std::sync::LazyLock;

/// Whether `c` is in the Unicode class `class` (a `\p{…}` class of the regex crate).
fn in_class(re: &Regex, c: char) -> bool {
    let mut tmp = [0u8; 4];
    re.is_match(c.encode_utf8(&mut tmp))
}

macro_rules! class {
    ($name:ident, $pattern:literal) => {
        pub(super) fn $name(c: char) -> bool {
            static RE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new($pattern).ok());
            RE.as_ref().is_some_and(|re| in_class(re, c))
        }
    };
}

class!(upper_class, r"^\p{Lu}$");
class!(lower_class, r"^\p{Ll}$");
class!(title_class, r"^\p{Lt}$");
class!(number_class, r"^\p{N}$");
class!(punct_class, r"^\p{P}$");

// ASCII first: most characters are ASCII, and the class look-ups cost far more.

/// Go's `unicode.IsUpper` (Lu).
pub(super) fn is_upper(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_uppercase();
    }
    upper_class(c)
}

/// Go's `unicode.IsLower` (Ll).
pub(super) fn is_lower(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_lowercase();
    }
    lower_class(c)
}

/// Go's `unicode.IsTitle` (Lt; none is ASCII).
pub(super) fn is_title(c: char) -> bool {
    !c.is_ascii() && title_class(c)
}

/// Go's `unicode.IsLetter`, from Go's own tables.
pub(super) fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    super::super::unicode_tables::contains(super::super::unicode_tables::LETTER, c)
}

/// Go's `unicode.IsDigit` (Nd), from Go's own tables.
pub(super) fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    super::super::unicode_tables::contains(super::super::unicode_tables::DIGIT, c)
}

/// Go's `unicode.IsNumber` (N).
pub(super) fn is_number(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    number_class(c)
}

/// Go's `unicode.IsPunct` (P): in ASCII, `!"#%&'()*,-./:;?@[\]_{}` (`$+<=>^`|~` are symbols).
pub(super) fn is_punct(c: char) -> bool {
    if c.is_ascii() {
        return br##"!"#%&'()*,-./:;?@[\]_{}"##.contains(&(c as u8));
    }
    punct_class(c)
}

/// Go's `unicode.IsSpace`.
pub(super) fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Go's `unicode.ToUpper` (simple mapping).
pub(super) fn to_upper(c: char) -> char {
    match c as u32 {
        // Greek with ypogegrammeni: the simple mapping is the titlecase letter.
        0x1F80..=0x1F87 | 0x1F90..=0x1F97 | 0x1FA0..=0x1FA7 => shift(c, 8),
        0x1FB3 => '\u{1FBC}',
        0x1FC3 => '\u{1FCC}',
        0x1FF3 => '\u{1FFC}',
        _ => single(c.to_uppercase()).unwrap_or(c),
    }
}

/// Go's `unicode.ToLower` (simple mapping).
pub(super) fn to_lower(c: char) -> char {
    match c {
        '\u{130}' => 'i',
        _ => single(c.to_lowercase()).unwrap_or(c),
    }
}

/// Go's `unicode.ToTitle`.
pub(super) fn to_title(c: char) -> char {
    match c as u32 {
        0x1C4..=0x1C6 => '\u{1C5}',
        0x1C7..=0x1C9 => '\u{1C8}',
        0x1CA..=0x1CC => '\u{1CB}',
        0x1F1..=0x1F3 => '\u{1F2}',
        // Georgian Mkhedruli: its title case is itself (its upper case is Mtavruli).
        0x10D0..=0x10FA | 0x10FD..=0x10FF => c,
        0x1F88..=0x1F8F | 0x1F98..=0x1F9F | 0x1FA8..=0x1FAF | 0x1FBC | 0x1FCC | 0x1FFC => c,
        _ => to_upper(c),
    }
}

fn shift(c: char, by: u32) -> char {
    char::from_u32(c as u32 + by).unwrap_or(c)
}

fn single(mut it: impl Iterator<Item = char>) -> Option<char> {
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

/// The runes of `s` as Go's `for range` and `[]rune(s)` decode them: each byte of an invalid
/// sequence is one U+FFFD.
pub(super) fn runes(s: &[u8]) -> impl Iterator<Item = char> + '_ {
    s.utf8_chunks().flat_map(|chunk| {
        chunk
            .valid()
            .chars()
            .chain(chunk.invalid().iter().map(|_| char::REPLACEMENT_CHARACTER))
    })
}

/// Go's `utf8.DecodeRune`: the rune at the start of `s` and its width; an invalid byte is
/// U+FFFD of width 1.
pub(super) fn decode(s: &[u8]) -> (char, usize) {
    let Some(chunk) = s.utf8_chunks().next() else {
        return (char::REPLACEMENT_CHARACTER, 0);
    };
    match chunk.valid().chars().next() {
        Some(c) => (c, c.len_utf8()),
        None => (char::REPLACEMENT_CHARACTER, 1),
    }
}
