//! Text files as editors and Windows tools write them, for the tests of readers that must
//! decode every one of them.

/// `text` in UTF-16, big- or little-endian, with or without a byte-order mark.
pub fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let bom = bom.then_some(0xfeff_u16);
    bom.into_iter()
        .chain(text.encode_utf16())
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}
