//! Text as people search it: Vietnamese names typed without their accents on a phone keyboard
//! ("tuan" for "Tuấn", "dong" for "Đồng") must still be found.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The form of `s` that searches compare: lower case, tone and vowel marks removed (NFD, then
/// no combining marks), `đ` read as `d`, runs of white space as one space.
pub fn search_key(s: &str) -> String {
    let folded: String = s
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'đ' { 'd' } else { c })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::search_key;

    #[test]
    fn names_typed_without_accents_match_the_registry() {
        assert_eq!(search_key("Nguyễn Văn Tuấn"), "nguyen van tuan");
        assert_eq!(search_key("ĐỒNG  Bến"), "dong ben");
        assert_eq!(search_key("Hoàng Thị Thuỷ"), search_key("hoang thi thuy"));
        assert_eq!(search_key("TK01-003"), "tk01-003");
        // Precomposed and decomposed input fold alike.
        assert_eq!(search_key("Tu\u{1ea5}n"), search_key("Tua\u{302}\u{301}n"));
    }
}
