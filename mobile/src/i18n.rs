//! Message catalogs: every word the app shows lives in `mobile/i18n/vi.ftl` (the default) or
//! `mobile/i18n/en.ftl`, never in a component.
//!
//! Why Project Fluent (`fluent-bundle`): it is maintained by Mozilla's localisation team and
//! runs Firefox's UI; its messages carry their own grammar (English plurals, Vietnamese has
//! none), so a translator changes a sentence without touching Rust; and its `.ftl` files are
//! plain text that Pontoon and Weblate edit. Numbers reach the catalogs already formatted by
//! [`crate::fmt`], because Fluent's NUMBER() does not group digits the Vietnamese way.

use std::collections::BTreeSet;
use std::rc::Rc;

use dioxus::prelude::*;
use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use unic_langid::langid;

/// The languages of the app; Vietnamese is the default everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Vi, Lang::En];

    /// BCP 47 code, also the `lang` attribute of the page.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// The language's name in itself, as a language picker shows it.
    pub fn endonym(self) -> &'static str {
        match self {
            Lang::Vi => "Tiếng Việt",
            Lang::En => "English",
        }
    }
}

const VI_FTL: &str = include_str!("../i18n/vi.ftl");
const EN_FTL: &str = include_str!("../i18n/en.ftl");

/// A catalog that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("i18n/{file}: {problems}")]
pub struct CatalogError {
    pub file: &'static str,
    pub problems: String,
}

/// Both languages' parsed catalogs.
pub struct Catalogs {
    vi: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

fn bundle(
    lang: Lang,
    file: &'static str,
    source: &str,
) -> Result<FluentBundle<FluentResource>, CatalogError> {
    let resource =
        FluentResource::try_new(source.to_owned()).map_err(|(_, errors)| CatalogError {
            file,
            problems: errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        })?;
    let id = match lang {
        Lang::Vi => langid!("vi"),
        Lang::En => langid!("en"),
    };
    let mut bundle = FluentBundle::new(vec![id]);
    // Bidi isolation marks around arguments are for right-to-left scripts; in Vietnamese and
    // English they only end up as invisible characters in copied text and in tests.
    bundle.set_use_isolating(false);
    bundle
        .add_resource(resource)
        .map_err(|errors| CatalogError {
            file,
            problems: errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        })?;
    Ok(bundle)
}

impl Catalogs {
    /// Parses the embedded catalogs.
    pub fn load() -> Result<Self, CatalogError> {
        Ok(Catalogs {
            vi: bundle(Lang::Vi, "vi.ftl", VI_FTL)?,
            en: bundle(Lang::En, "en.ftl", EN_FTL)?,
        })
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }

    /// The message `id` in `lang` with `args`. A missing message falls back to Vietnamese, then
    /// to its id, so a gap in a catalog shows up on screen instead of crashing the app (and the
    /// catalog tests catch it first).
    pub fn message(&self, lang: Lang, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let args = (!args.is_empty()).then(|| {
            let mut a = FluentArgs::new();
            for (k, v) in args {
                a.set(*k, v.clone());
            }
            a
        });
        for lang in [lang, Lang::Vi] {
            let bundle = self.bundle(lang);
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, args.as_ref(), &mut errors);
                if !errors.is_empty() {
                    tracing::warn!(id, ?errors, "message formatted with errors");
                }
                return text.into_owned();
            }
        }
        tracing::warn!(id, "no such message");
        id.to_owned()
    }

    /// Every message id of a language's catalog.
    pub fn ids(&self, lang: Lang) -> BTreeSet<String> {
        let source = match lang {
            Lang::Vi => VI_FTL,
            Lang::En => EN_FTL,
        };
        source
            .lines()
            .filter_map(|l| l.split_once(" =").map(|(id, _)| id))
            .filter(|id| {
                !id.is_empty()
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
            .filter(|id| self.bundle(lang).has_message(id))
            .map(str::to_owned)
            .collect()
    }
}

/// The translation service components take from context: the chosen language (a signal, so
/// switching language re-renders every screen) and the catalogs.
#[derive(Clone, Copy)]
pub struct I18n {
    lang: Signal<Lang>,
    catalogs: CopyValue<Rc<Catalogs>>,
}

impl I18n {
    /// Must be called inside the Dioxus runtime (it owns the handle to the catalogs).
    pub fn new(lang: Signal<Lang>, catalogs: Rc<Catalogs>) -> Self {
        I18n {
            lang,
            catalogs: CopyValue::new(catalogs),
        }
    }

    /// The current language (subscribes the calling component to changes).
    pub fn lang(&self) -> Lang {
        (self.lang)()
    }

    pub fn set_lang(&mut self, lang: Lang) {
        self.lang.set(lang);
    }

    /// A message without arguments.
    pub fn t(&self, id: &str) -> String {
        self.catalogs.read().message(self.lang(), id, &[])
    }

    /// A message with arguments, e.g. `t_args("home-waiting", &[("count", fmt::int(..).into())])`.
    pub fn t_args(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        self.catalogs.read().message(self.lang(), id, args)
    }
}

/// The translation service of the current component tree.
pub fn use_i18n() -> I18n {
    use_context::<I18n>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogs_parse_and_hold_the_same_messages() {
        let c = Catalogs::load().unwrap();
        let (vi, en) = (c.ids(Lang::Vi), c.ids(Lang::En));
        assert!(
            vi.len() > 100,
            "the Vietnamese catalog holds the whole app ({} messages)",
            vi.len()
        );
        let only_vi: Vec<_> = vi.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&vi).collect();
        assert!(
            only_vi.is_empty() && only_en.is_empty(),
            "only in vi: {only_vi:?}; only in en: {only_en:?}"
        );
    }

    /// Every `t("…")` / `t_args("…"` / `msg: "…"` id written in the source exists in the catalogs.
    #[test]
    fn every_message_the_code_asks_for_exists() {
        let c = Catalogs::load().unwrap();
        let vi = c.ids(Lang::Vi);
        let mut missing = Vec::new();
        let mut asked = 0;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    // Error messages travel as ids through forms and toasts: every "err-…" literal.
                    for piece in text.split("\"err-").skip(1) {
                        let rest = piece.split('"').next().unwrap();
                        let valid =
                            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
                        if rest.is_empty() || !rest.chars().all(valid) {
                            continue;
                        }
                        let id = format!("err-{rest}");
                        asked += 1;
                        if !vi.contains(&id) {
                            missing.push(format!("{}: {id}", path.display()));
                        }
                    }
                    for marker in [".t(", ".t_args(", ".toast("] {
                        for piece in text.split(marker).skip(1) {
                            // The id may sit on the next line once rustfmt wraps the call.
                            let Some(rest) = piece.trim_start().strip_prefix('"') else {
                                continue;
                            };
                            let id = rest.split('"').next().unwrap();
                            if id
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                            {
                                asked += 1;
                                if !vi.contains(id) {
                                    missing.push(format!("{}: {id}", path.display()));
                                }
                            }
                        }
                    }
                }
            }
        }
        assert!(
            asked > 50,
            "found only {asked} message uses; did the call syntax change?"
        );
        assert!(
            missing.is_empty(),
            "messages missing from vi.ftl: {missing:#?}"
        );
    }

    #[test]
    fn arguments_are_placed_without_isolation_marks() {
        let c = Catalogs::load().unwrap();
        let text = c.message(Lang::Vi, "home-waiting", &[("count", "1.830".into())]);
        assert!(
            text.contains("1.830") && !text.contains('\u{2068}'),
            "{text}"
        );
        assert_eq!(
            c.message(Lang::En, "no-such-message", &[]),
            "no-such-message"
        );
    }
}
